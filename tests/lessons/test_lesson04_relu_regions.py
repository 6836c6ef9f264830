"""Checker contract for lesson 04: the reference passes, the stub is not attempted, mistakes fail."""
from math import comb

import numpy as np

from checker_contract import contract_tests
from course_utils.lessons.lesson04_relu_regions import reference as ref

relu = ref.relu


# --- mistakes no hint names (the named ones are declared in the lesson's mistakes.py) ------------------------

def shallow_bias_outside_relu(x, w, b, v, c):
    """The hidden bias added after the ReLU."""
    return (relu(np.outer(x, w)) + b) @ v + c


def joints_sorted_descending(w, b):
    return ref.joint_positions(w, b)[::-1]


def regions_rounding_joints(w, b):
    """Joints compared after rounding: two nearby joints merge."""
    return len(np.unique(np.round(ref.joint_positions(w, b), 0))) + 1


def fit_returns_three_things(knots, values):
    return ref.fit_piecewise_linear(knots, values)[:3]


def fit_slopes_without_spacing(knots, values):
    """Slopes taken as differences of values, forgetting to divide by the knot spacing."""
    knots, values = np.asarray(knots, dtype=float), np.asarray(values, dtype=float)
    slopes = np.diff(values)
    interior = knots[1:-1]
    w = np.concatenate([[1.0, -1.0], np.ones(len(interior))])
    b = np.concatenate([[0.0, 0.0], -interior])
    v = np.concatenate([[slopes[0], -slopes[0]], np.diff(slopes)])
    return w, b, v, float(values[0] - slopes[0] * knots[0])


def zaslavsky_in_floats(d_in, d_hidden):
    from scipy.special import comb as float_comb
    return float(sum(float_comb(d_hidden, j) for j in range(d_in + 1)))


def zaslavsky_numpy_cumulative(d_in, d_hidden):
    """Binomials built in an int64 array: wrong as soon as an intermediate passes 2⁶³."""
    terms = np.ones(d_in + 1, dtype=np.int64)
    for j in range(1, d_in + 1):
        terms[j] = terms[j - 1] * (d_hidden - j + 1) // j
    return int(terms.sum())


def patterns_first_layer_only(X, layers):
    return ref.count_activation_patterns(X, layers[:1] + [layers[-1]])


def compose_without_g_bias(f, g):
    (W1, b1), (W2, b2), (W3, b3) = ref.compose_shallow(f, g)
    return [(W1, b1), (W2, np.asarray(g[0], dtype=float) * float(f[3])), (W3, b3)]


MUTANTS = {
    "04.shallow_net": [shallow_bias_outside_relu],
    "04.joint_positions": [(joints_sorted_descending, "sorted")],
    "04.count_regions_1d": [regions_rounding_joints],
    "04.fit_piecewise_linear": [fit_returns_three_things, fit_slopes_without_spacing],
    "04.max_regions": [(zaslavsky_in_floats, "math.comb"), (zaslavsky_numpy_cumulative, "computed in numpy int64")],
    "04.count_activation_patterns": [patterns_first_layer_only],
    "04.compose_shallow": [compose_without_g_bias],
}


# --- correct answers written differently -------------------------------------------------------------------------

def shallow_float32(x, w, b, v, c):
    """Issue 13: computed in float32 (rtol 1e-9 used to reject it)."""
    f32 = np.float32
    hidden = np.maximum(np.outer(np.asarray(x, f32), np.asarray(w, f32)) + np.asarray(b, f32), f32(0))
    return hidden @ np.asarray(v, f32) + f32(c)


def shallow_float32_list(x, w, b, v, c):
    """float32 arithmetic handed back as Python floats: the tolerance policy cannot see it, rtol 1e-6 must allow it."""
    return shallow_float32(x, w, b, v, c).tolist()


def shallow_torch(x, w, b, v, c):
    import torch
    t = lambda a: torch.as_tensor(np.asarray(a, dtype=float))
    return torch.relu(torch.outer(t(x), t(w)) + t(b)) @ t(v) + c


def shallow_loops(x, w, b, v, c):
    return [c + sum(v_d * max(w_d * x_n + b_d, 0.0) for w_d, b_d, v_d in zip(w, b, v)) for x_n in x]


def joints_python_sorted(w, b):
    return sorted(-b_d / w_d for w_d, b_d in zip(w, b) if w_d != 0)


def joints_float32_tensor(w, b):
    import torch
    w, b = torch.tensor(np.asarray(w), dtype=torch.float32), torch.tensor(np.asarray(b), dtype=torch.float32)
    return torch.sort(-b[w != 0] / w[w != 0]).values


def regions_python_set(w, b):
    return len({-b_d / w_d for w_d, b_d in zip(w, b) if w_d != 0}) + 1


def fit_mirrored_construction(knots, values):
    """Another valid network: a unit facing left at x_0 carries the first slope, one facing right each knot after."""
    knots, values = np.asarray(knots, dtype=float), np.asarray(values, dtype=float)
    slopes = np.diff(values) / np.diff(knots)
    w = np.concatenate([[-1.0], np.ones(len(knots) - 1)])
    b = np.concatenate([[knots[0]], -knots[:-1]])
    v = np.concatenate([[-slopes[0]], [slopes[0]], np.diff(slopes)])
    return w.tolist(), b.tolist(), v.tolist(), float(values[0])


def fit_float32(knots, values):
    return tuple(np.asarray(a, dtype=np.float32) for a in ref.fit_piecewise_linear(knots, values)[:3]) + (
        np.float32(ref.fit_piecewise_linear(knots, values)[3]),)


def fit_float32_lists(knots, values):
    """float32 arithmetic handed back as lists of Python floats."""
    return tuple(np.asarray(a, dtype=np.float32).tolist() for a in ref.fit_piecewise_linear(
        np.asarray(knots, dtype=np.float32), np.asarray(values, dtype=np.float32)))


def compose_float32_lists(f, g):
    return [(np.asarray(W, dtype=np.float32).tolist(), np.asarray(b, dtype=np.float32).tolist())
            for W, b in ref.compose_shallow(f, g)]


def zaslavsky_multiplicative(d_in, d_hidden):
    total, term = 0, 1
    for j in range(d_in + 1):
        total += term
        term = term * (d_hidden - j) // (j + 1)
    return total


def zaslavsky_scipy_exact(d_in, d_hidden):
    from scipy.special import comb as scipy_comb
    return sum(scipy_comb(d_hidden, j, exact=True) for j in range(d_in + 1))


def zaslavsky_numpy_object_sum(d_in, d_hidden):
    return np.array([comb(d_hidden, j) for j in range(d_in + 1)], dtype=object).sum()


def patterns_unique_rows(X, layers):
    h, states = np.asarray(X, dtype=float), []
    for W, b in layers[:-1]:
        z = h @ np.asarray(W).T + b
        states.append(z > 0)
        h = np.maximum(z, 0)
    return len(np.unique(np.hstack(states), axis=0))


def patterns_strings(X, layers):
    P = ref.activation_patterns(X, layers)
    return len({"".join("1" if bit else "0" for bit in row) for row in P})


def compose_permuted_and_listed(f, g):
    """g's units in reverse order, everything as nested lists: the same function."""
    (W1, b1), (W2, b2), (W3, b3) = ref.compose_shallow(f, g)
    return [(W1.tolist(), b1.tolist()), (W2[::-1].tolist(), b2[::-1].tolist()), (W3[:, ::-1].tolist(), b3.tolist())]


def compose_float32_torch(f, g):
    import torch
    return [(torch.tensor(W, dtype=torch.float32), torch.tensor(b, dtype=torch.float32))
            for W, b in ref.compose_shallow(f, g)]


ALTERNATIVES = {
    "04.shallow_net": [shallow_float32, shallow_float32_list, shallow_torch, shallow_loops],
    "04.joint_positions": [joints_python_sorted, joints_float32_tensor],
    "04.count_regions_1d": [regions_python_set],
    "04.fit_piecewise_linear": [fit_mirrored_construction, fit_float32, fit_float32_lists],
    "04.max_regions": [zaslavsky_multiplicative, zaslavsky_scipy_exact, zaslavsky_numpy_object_sum],
    "04.count_activation_patterns": [patterns_unique_rows, patterns_strings],
    "04.compose_shallow": [compose_permuted_and_listed, compose_float32_torch, compose_float32_lists],
}
UNVARIED = {}

globals().update(contract_tests("04", MUTANTS, ALTERNATIVES, UNVARIED))
