"""Checker contract for lesson 04: the reference passes, the stub is not attempted, mistakes fail."""
from math import comb

import numpy as np

from checker_contract import contract_tests
from course_utils.reference import lesson04_relu_regions as ref

relu = ref.relu


# 04.shallow_net
def shallow_without_output_bias(x, w, b, v, c):
    return relu(np.outer(x, w) + b) @ v


def shallow_without_relu(x, w, b, v, c):
    return (np.outer(x, w) + b) @ v + c


def shallow_relu_on_output(x, w, b, v, c):
    return relu(relu(np.outer(x, w) + b) @ v + c)


def shallow_without_hidden_bias(x, w, b, v, c):
    return relu(np.outer(x, w)) @ v + c


# 04.joint_positions
def joints_plus_sign(w, b):
    w, b = np.asarray(w), np.asarray(b)
    return np.sort(b[w != 0] / w[w != 0])


def joints_unsorted(w, b):
    w, b = np.asarray(w), np.asarray(b)
    return -b[w != 0] / w[w != 0]


def joints_including_flat_units(w, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sort(-np.asarray(b) / np.asarray(w))


def joints_from_a_grid(w, b):
    """Look for sign changes of each unit on a grid over [-10, 10]: misses joints outside the window."""
    x = np.linspace(-10, 10, 2001)
    found = []
    for w_d, b_d in zip(w, b):
        z = w_d * x + b_d
        change = np.nonzero(np.sign(z[:-1]) != np.sign(z[1:]))[0]
        if len(change) and w_d != 0:
            found.append(-b_d / w_d)
    return np.sort(found)


def joints_deduplicated(w, b):
    return np.unique(ref.joint_positions(w, b))


# 04.count_regions_1d
def regions_always_d_plus_1(w, b):
    return len(w) + 1


def regions_without_plus_one(w, b):
    return len(np.unique(ref.joint_positions(w, b)))


def regions_counting_duplicates(w, b):
    return len(ref.joint_positions(w, b)) + 1


# 04.fit_piecewise_linear
def fit_without_output_bias(knots, values):
    w, b, v, c = ref.fit_piecewise_linear(knots, values)
    return w, b, v, 0.0


def fit_joints_mirrored(knots, values):
    w, b, v, c = ref.fit_piecewise_linear(knots, values)
    return w, -b, v, c


def fit_slopes_not_changes(knots, values):
    knots, values = np.asarray(knots, dtype=float), np.asarray(values, dtype=float)
    w, b, v, c = ref.fit_piecewise_linear(knots, values)
    slopes = np.diff(values) / np.diff(knots)
    return w, b, np.concatenate([v[:2], slopes[1:]]), c


def fit_flat_outside(knots, values):
    """One unit per knot starting at x_0: right inside [x_0, x_K], flat to the left of x_0."""
    knots, values = np.asarray(knots, dtype=float), np.asarray(values, dtype=float)
    slopes = np.diff(values) / np.diff(knots)
    w = np.ones(len(knots) - 1)
    b = -knots[:-1]
    v = np.concatenate([[slopes[0]], np.diff(slopes)])
    return w, b, v, values[0]


def fit_returns_three_things(knots, values):
    return ref.fit_piecewise_linear(knots, values)[:3]


# 04.max_regions
def zaslavsky_strict_sum(d_in, d_hidden):
    return sum(comb(d_hidden, j) for j in range(d_in))


def zaslavsky_one_dimensional(d_in, d_hidden):
    return d_hidden + 1


def zaslavsky_all_patterns(d_in, d_hidden):
    return 2 ** d_hidden


def zaslavsky_in_floats(d_in, d_hidden):
    from scipy.special import comb as float_comb
    return float(sum(float_comb(d_hidden, j) for j in range(d_in + 1)))


def zaslavsky_last_term_only(d_in, d_hidden):
    return comb(d_hidden, d_in)


# 04.count_activation_patterns
def patterns_counting_every_point(X, layers):
    return len(X)


def patterns_without_bias(X, layers):
    return ref.count_activation_patterns(X, [(W, 0 * b) for W, b in layers])


def patterns_without_relu_between_layers(X, layers):
    h, rows = np.asarray(X, dtype=float), []
    for W, b in layers[:-1]:
        h = h @ np.asarray(W).T + b
        rows.append(h > 0)
    return len(np.unique(np.concatenate(rows, axis=1), axis=0))


def patterns_last_layer_only(X, layers):
    last_width = len(layers[-2][1])
    return len(np.unique(ref.activation_patterns(X, layers)[:, -last_width:], axis=0))


def patterns_including_output(X, layers):
    P = np.concatenate([ref.activation_patterns(X, layers), ref.deep_net(X, layers) > 0], axis=1)
    return len(np.unique(P, axis=0))


# 04.compose_shallow
def compose_forgetting_first_output_bias(f, g):
    (W1, b1), (W2, b2), (W3, b3) = ref.compose_shallow(f, g)
    return [(W1, b1), (W2, np.asarray(g[1], dtype=float)), (W3, b3)]


def compose_forgetting_last_bias(f, g):
    (W1, b1), (W2, b2), (W3, b3) = ref.compose_shallow(f, g)
    return [(W1, b1), (W2, b2), (W3, 0 * b3)]


def compose_transposed_middle(f, g):
    (W1, b1), (W2, b2), (W3, b3) = ref.compose_shallow(f, g)
    return [(W1, b1), (W2.T, b2), (W3, b3)]


def compose_bias_added_unscaled(f, g):
    (W1, b1), (W2, b2), (W3, b3) = ref.compose_shallow(f, g)
    return [(W1, b1), (W2, np.asarray(g[1], dtype=float) + float(f[3])), (W3, b3)]


MUTANTS = {
    "04.shallow_net": [
        (shallow_without_output_bias, "output bias c"),
        (shallow_without_relu, "straight line"),
        (shallow_relu_on_output, "no ReLU after"),
        (shallow_without_hidden_bias, "hidden biases"),
    ],
    "04.joint_positions": [
        (joints_plus_sign, "-b_d / w_d"),
        (joints_unsorted, "sorted"),
        (joints_including_flat_units, "w_d = 0"),
        (joints_from_a_grid, "far outside"),
        (joints_deduplicated, "coincide"),
    ],
    "04.count_regions_1d": [
        (regions_always_d_plus_1, "w = 0"),
        (regions_without_plus_one, "+ 1"),
        (regions_counting_duplicates, "distinct joints"),
    ],
    "04.fit_piecewise_linear": [
        (fit_without_output_bias, "output bias c"),
        (fit_joints_mirrored, "-b/w"),
        (fit_slopes_not_changes, "change of slope"),
        (fit_flat_outside, "beyond them"),
        fit_returns_three_things,
    ],
    "04.max_regions": [
        (zaslavsky_strict_sum, "include the last term"),
        (zaslavsky_one_dimensional, "scalar input only"),
        (zaslavsky_all_patterns, "every on/off pattern"),
        (zaslavsky_in_floats, "math.comb"),
        (zaslavsky_last_term_only, "not only j = D_i"),
    ],
    "04.count_activation_patterns": [
        (patterns_counting_every_point, "distinct patterns"),
        (patterns_without_bias, "biases"),
        (patterns_without_relu_between_layers, "apply the ReLU"),
        (patterns_last_layer_only, "every layer"),
        (patterns_including_output, "output layer"),
    ],
    "04.compose_shallow": [
        (compose_forgetting_first_output_bias, "c_f reaches"),
        (compose_forgetting_last_bias, "c_g"),
        (compose_transposed_middle, "(D_g, D_f)"),
        (compose_bias_added_unscaled, "not b_g + c_f"),
    ],
}

ALTERNATIVES = {}
UNVARIED = {}

globals().update(contract_tests(MUTANTS, ALTERNATIVES, UNVARIED))
