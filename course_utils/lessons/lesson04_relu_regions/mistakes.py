"""The mistakes learners make in lesson 04, each a wrong implementation with the hint that names it.

The checkers show a hint when the learner's answer is the one its mistake gives; the test suite runs
every implementation here as a mutant that must get exactly its hint (tests/checker_contract.py).
"""
from math import comb

import numpy as np

from ...checking import Mistakes
from . import reference as ref


def _hidden(x, w, b):
    return np.outer(np.asarray(x, dtype=float), np.asarray(w, dtype=float)) + np.asarray(b, dtype=float)


SHALLOW_NET = Mistakes({
    "did you forget the output bias c?": lambda x, w, b, v, c: ref.relu(_hidden(x, w, b)) @ v,
    "did you forget the hidden biases b inside the ReLU?": lambda x, w, b, v, c: ref.relu(_hidden(x, w, 0.0)) @ v + c,
    "apply the ReLU to each hidden unit's w_d·x + b_d; without it the network is a straight line":
        lambda x, w, b, v, c: _hidden(x, w, b) @ v + c,
    "the output is a plain weighted sum: no ReLU after v·h + c":
        lambda x, w, b, v, c: ref.relu(ref.relu(_hidden(x, w, b)) @ v + c),
})


def _bending(w, b):
    w, b = np.asarray(w, dtype=float), np.asarray(b, dtype=float)
    return w[w != 0], b[w != 0]


def joints_with_plus_sign(w, b):
    w, b = _bending(w, b)
    return np.sort(b / w)


def joints_unsorted(w, b):
    w, b = _bending(w, b)
    return -b / w


def joints_of_every_unit(w, b):
    return np.sort(-np.asarray(b, dtype=float) / np.asarray(w, dtype=float))


def joints_from_a_grid(w, b):
    """Looks for each unit's sign change on a grid over [-10, 10]: misses joints outside the window."""
    x = np.linspace(-10, 10, 2001)
    found = []
    for w_d, b_d in zip(w, b):
        z = w_d * x + b_d
        if w_d != 0 and np.any(np.sign(z[:-1]) != np.sign(z[1:])):
            found.append(-b_d / w_d)
    return np.sort(found)


JOINT_POSITIONS = Mistakes({
    "unit d switches where w_d·x + b_d = 0, that is at x = -b_d / w_d (mind the sign)": joints_with_plus_sign,
    "return the joints sorted from left to right": joints_unsorted,
    "a unit with w_d = 0 is constant and never bends: leave it out": joints_of_every_unit,
    "every joint counts, even far outside the window you would plot: solve w_d·x + b_d = 0 instead of searching "
    "a grid": joints_from_a_grid,
    "keep one entry per bending unit, even when two joints coincide": lambda w, b: np.unique(ref.joint_positions(w, b)),
})

# counting coinciding joints twice comes before D + 1: where no unit is flat, the two give the same count
COUNT_REGIONS_1D = Mistakes({
    "k distinct joints cut the line into k + 1 pieces: did you forget the + 1?":
        lambda w, b: len(np.unique(ref.joint_positions(w, b))),
    "joints at the same position make a single boundary: count distinct joints":
        lambda w, b: len(ref.joint_positions(w, b)) + 1,
    "a unit with w = 0 is constant and adds no joint, so D + 1 is only the maximum": lambda w, b: len(w) + 1,
})


def fit_without_output_bias(knots, values):
    w, b, v, c = ref.fit_piecewise_linear(knots, values)
    return w, b, v, 0.0


def fit_flat_outside(knots, values):
    """One unit per knot from x_0 on: right on [x_0, x_K], but flat left of x_0."""
    knots, values = np.asarray(knots, dtype=float), np.asarray(values, dtype=float)
    slopes = np.diff(values) / np.diff(knots)
    return np.ones(len(knots) - 1), -knots[:-1], np.concatenate([[slopes[0]], np.diff(slopes)]), values[0]


def fit_joints_mirrored(knots, values):
    w, b, v, c = ref.fit_piecewise_linear(knots, values)
    return w, -b, v, c


def fit_slopes_not_changes(knots, values):
    w, b, v, c = ref.fit_piecewise_linear(knots, values)
    slopes = np.diff(values) / np.diff(knots)
    return w, b, np.concatenate([v[:2], slopes[1:]]), c


FIT_PIECEWISE_LINEAR = Mistakes({
    "the shape is right but shifted by a constant: choose the output bias c so that f(x_0) = y_0":
        fit_without_output_bias,
    "between the outer knots you are right; beyond them the target keeps the slopes of its first and last pieces "
    "(a ReLU is flat on one side: the first slope needs units facing both ways)": fit_flat_outside,
    "relu(w·x + b) bends at x = -b/w: to bend at knot x_k use b = -w·x_k": fit_joints_mirrored,
    "each unit adds v·w to the slope right of its joint, so set v to the change of slope s_k - s_(k-1) at knot x_k, "
    "not to the slope s_k": fit_slopes_not_changes,
})


def zaslavsky_in_numpy_int64(d_in, d_hidden):
    """Each C(D, j) below 2⁶³ is held in int64, so their sum wraps around past 2⁶³."""
    return np.sum([comb(d_hidden, j) for j in range(d_in + 1)])


MAX_REGIONS = Mistakes({
    "D + 1 is the bound for scalar input only; in D_i dimensions sum C(D, j) over j ≤ D_i":
        lambda d_in, d_hidden: d_hidden + 1,
    "the sum runs over j = 0, 1, ..., D_i: include the last term j = D_i":
        lambda d_in, d_hidden: sum(comb(d_hidden, j) for j in range(d_in)),
    "2^D counts every on/off pattern, but D hyperplanes in D_i < D dimensions cannot make them all":
        lambda d_in, d_hidden: 2 ** d_hidden,
    "sum C(D, j) over every j from 0 to D_i, not only j = D_i": lambda d_in, d_hidden: comb(d_hidden, d_in),
    "past 2⁶³ - 1 a numpy int64 sum (np.sum, np.int64) wraps around to a wrong, often negative, number; add Python "
    "ints (math.comb and the built-in sum), which are exact": zaslavsky_in_numpy_int64,
})


def _count_rows(patterns):
    return len(np.unique(patterns, axis=0))


def patterns_without_relu_between_layers(X, layers):
    h, patterns = np.asarray(X, dtype=float), []
    for W, b in layers[:-1]:
        h = h @ np.asarray(W).T + b
        patterns.append(h > 0)
    return _count_rows(np.concatenate(patterns, axis=1))


def patterns_of_the_last_hidden_layer(X, layers):
    return _count_rows(ref.activation_patterns(X, layers)[:, -len(layers[-2][1]):])


def patterns_with_the_output_sign(X, layers):
    return _count_rows(np.concatenate([ref.activation_patterns(X, layers), ref.deep_net(X, layers) > 0], axis=1))


COUNT_ACTIVATION_PATTERNS = Mistakes({
    "count distinct patterns: many points share one pattern, so the answer is far below the number of points":
        lambda X, layers: len(X),
    "did you forget the biases b?": lambda X, layers: ref.count_activation_patterns(X, [(W, 0 * b) for W, b in layers]),
    "apply the ReLU before feeding a layer's output to the next layer": patterns_without_relu_between_layers,
    "the pattern is the on/off state of every hidden unit in every layer, not just the last hidden layer":
        patterns_of_the_last_hidden_layer,
    "the output layer has no ReLU, so its sign is not part of the pattern": patterns_with_the_output_sign,
})


def _with_middle(f, g, W2=None, b2=None, b3=None):
    """The reference's layers with the middle layer's weights or bias, or the last bias, replaced."""
    (W1, b1), (W2_right, b2_right), (W3, b3_right) = ref.compose_shallow(f, g)
    return [(W1, b1), (W2_right if W2 is None else W2, b2_right if b2 is None else b2),
            (W3, b3_right if b3 is None else b3)]


def compose_without_f_output_bias(f, g):
    return _with_middle(f, g, b2=np.asarray(g[1], dtype=float))


def compose_without_g_output_bias(f, g):
    return _with_middle(f, g, b3=np.zeros(1))


def compose_adding_c_f_unscaled(f, g):
    return _with_middle(f, g, b2=np.asarray(g[1], dtype=float) + float(f[3]))


def compose_without_v_f(f, g):
    """Each g unit reads f's hidden units with its own input weight, forgetting f's output weights."""
    return _with_middle(f, g, W2=np.repeat(np.asarray(g[0], dtype=float)[:, None], len(f[0]), axis=1))


def compose_with_middle_transposed(f, g):
    (W1, b1), (W2, b2), (W3, b3) = ref.compose_shallow(f, g)
    return [(W1, b1), (W2.T, b2), (W3, b3)]


COMPOSE_SHALLOW = Mistakes({
    "f's output bias c_f reaches g's units too: their bias becomes w_g·c_f + b_g": compose_without_f_output_bias,
    "the output bias of g, c_g, is the bias of the last layer": compose_without_g_output_bias,
    "c_f is multiplied by g's input weights: the middle bias is w_g·c_f + b_g, not b_g + c_f":
        compose_adding_c_f_unscaled,
    "the middle weights are the outer product of w_g and v_f (each g unit reads f's output)": compose_without_v_f,
    "one row per unit of the layer it feeds, one column per unit it reads: W2 is (D_g, D_f)":
        compose_with_middle_transposed,
})
