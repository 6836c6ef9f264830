"""Hidden cases for lesson 04 (ReLU networks are piecewise linear).

Networks built by the learner (``fit_piecewise_linear``, ``compose_shallow``) are not unique: they are
compared as functions, at every joint of either network, between them and far beyond them. Inputs keep
away from ReLU kinks, and coinciding joints coincide exactly (dyadic numbers), so counts are well defined.
"""
import numpy as np

from ...checking import CheckFailure, as_array, as_float, expect_equal
from ...checking.tolerance import lowest_precision
from . import reference as ref
from ...grading.hidden_cases import CASES_PER_EXERCISE, close_within, hidden


def _round(array, decimals=2):
    return np.asarray(array, dtype=float).round(decimals)


def _exact_count(got, want):
    """An integer answer, exactly (numpy integers and whole-number floats accepted, bools not)."""
    if isinstance(got, (bool, np.bool_)) or isinstance(got, (str, bytes)):
        raise CheckFailure("the count should be an integer")
    if not isinstance(got, (int, np.integer)):
        value = as_float(got)
        if not value.is_integer():
            raise CheckFailure("the count should be a whole number")
        got = int(value)
    expect_equal(int(got), int(want))


def _nonzero(rng, size, low=0.3, high=2.0):
    return _round(rng.choice([-1.0, 1.0], size=size) * rng.uniform(low, high, size=size))


def _shallow_parameters(rng, units):
    return (_nonzero(rng, units), _round(rng.normal(0, 1.5, size=units)), _round(rng.normal(0, 1.5, size=units)),
            round(float(rng.normal()), 2))


@hidden("04.shallow_net", compare=close_within(1e-6, 1e-9, 1e-6))  # the public check's tolerance
def _shallow_net(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        w, b, v, c = _shallow_parameters(rng, int(rng.integers(1, 6)))
        x = _round(rng.uniform(-4, 4, size=int(rng.integers(1, 15))))
        pre = np.outer(x, w) + b
        x = x[np.all(np.abs(pre) > 1e-6, axis=1)]  # no input exactly at a kink
        if len(x) == 0:
            x = np.array([100.0])
        cases.append(((x, w, b, v, c), {}))
    return cases


def _joints(rng, units):
    """w and b whose joints -b/w are exact (dyadic) and sometimes coincide; some units have w = 0."""
    positions = rng.integers(-12, 13, size=max(units // 2, 1)) / 4.0
    joint = rng.choice(positions, size=units)
    w = rng.choice([-3.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 4.0], size=units)
    w[rng.random(units) < 0.15] = 0.0
    b = -w * joint  # exact: -b/w gives back joint exactly
    b[w == 0] = _round(rng.normal(size=int((w == 0).sum())))
    return w, b + 0.0


@hidden("04.joint_positions")  # close_results, as the public check
def _joint_positions(rng):
    cases = []
    for index in range(CASES_PER_EXERCISE):
        units = int(rng.integers(1, 8))
        if index % 2:
            w, b = _joints(rng, units)
        else:  # joints anywhere, one of them far outside any plot (beyond ±12)
            w = _round(rng.choice([-1.0, 1.0], size=units) * rng.uniform(0.05, 3.0, size=units))
            b = _round(rng.normal(0, 3, size=units))
            w[0], b[0] = _round(rng.choice([-1.0, 1.0]) * rng.uniform(0.05, 0.2)), _round(rng.choice([-1.0, 1.0]) * rng.uniform(3, 6))
        cases.append(((w, b), {}))
    return cases


@hidden("04.count_regions_1d", compare=_exact_count)
def _count_regions_1d(rng):
    cases = []
    for index in range(CASES_PER_EXERCISE):
        w, b = _joints(rng, int(rng.integers(1, 9)))
        if index % 2 and np.any(w != 0):  # one more unit, its joint 1/16 from another: distinct, yet close
            d = int(np.flatnonzero(w != 0)[0])
            joint = -b[d] / w[d] + rng.choice([-1.0, 1.0]) / 16
            w, b = np.append(w, 2.0), np.append(b, -2.0 * joint) + 0.0
        cases.append(((w, b), {}))
    return cases


def _network(answer):
    if not isinstance(answer, (tuple, list)) or len(answer) != 4:
        raise CheckFailure("the network should be a tuple (w, b, v, c)")
    w, b, v = (as_array(a).reshape(-1) for a in answer[:3])
    if not len(w) == len(b) == len(v):
        raise CheckFailure("w, b and v should have the same length")
    return w, b, v, as_float(answer[3])


def _joints_of(w, b):
    bends = w != 0
    return -b[bends] / w[bends]


def _learner_rtol(answer, rtol):
    """``rtol``, or the float32 (float16) tolerance when the learner's network holds such numbers."""
    return max(rtol, (lowest_precision(answer) or (0.0,))[0])


def _same_function(evaluate_got, evaluate_want, joints, rtol, magnitude):
    """Two continuous piecewise-linear functions of x, equal at every joint, between joints and beyond them,
    within ``rtol * (1 + |want| + magnitude(xs))`` as in the public checks (see ``network_magnitude``)."""
    joints = np.unique(joints[np.isfinite(joints)])
    if len(joints) == 0:
        joints = np.zeros(1)
    lo, hi = joints[0], joints[-1]
    xs = np.concatenate([joints, (joints[:-1] + joints[1:]) / 2, [lo - 1.0, lo - 100.0, hi + 1.0, hi + 100.0],
                         np.linspace(lo - 5.0, hi + 5.0, 101)])
    got, want = evaluate_got(xs), evaluate_want(xs)
    if not np.all(np.isfinite(got)):
        raise CheckFailure("the network's output contains nan or inf")
    if np.any(np.abs(got - want) > rtol * (1.0 + np.abs(want) + magnitude(xs))):
        raise CheckFailure("the network differs from the target")


def _piecewise_compare(got, want):
    """Any network equal to the target everywhere is right (the public checker's tolerance, 1e-6)."""
    from .checks import network_magnitude

    w, b, v, c = _network(got)
    theirs, ours = ref.shallow_to_layers(w, b, v, c), ref.shallow_to_layers(*want)
    _same_function(lambda xs: ref.shallow_net(xs, w, b, v, c), lambda xs: ref.shallow_net(xs, *want),
                   np.concatenate([_joints_of(w, b), _joints_of(np.asarray(want[0]), np.asarray(want[1]))]),
                   _learner_rtol(got, 1e-6),
                   lambda xs: np.maximum(network_magnitude(xs, theirs), network_magnitude(xs, ours)))


@hidden("04.fit_piecewise_linear", compare=_piecewise_compare)
def _fit_piecewise_linear(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        n = int(rng.integers(2, 8))
        knots = np.cumsum(_round(rng.uniform(0.5, 2.0, size=n))) + round(float(rng.uniform(-4, 0)), 2)
        cases.append(((_round(knots), _round(rng.normal(0, 2, size=n))), {}))
    return cases


def _exact_int(got, want):
    """The bound, exactly: an integer (Python or numpy), never a float, as the public check demands."""
    if isinstance(got, (float, np.floating)):
        raise CheckFailure("the bound should be an exact integer, not a float")
    _exact_count(got, want)


@hidden("04.max_regions", compare=_exact_int)
def _max_regions(rng):
    cases = []
    for index in range(CASES_PER_EXERCISE):
        if index % 4 == 3:  # as many inputs as units or more: every pattern, 2^D
            d_hidden = int(rng.integers(0, 12))
            d_in = d_hidden + int(rng.integers(0, 3))
        elif index % 4 == 2:  # each C(D, j) fits in int64 but their sum does not: a numpy int64 sum wraps
            d_hidden = int(rng.integers(64, 67))
            d_in = int(rng.integers(40, d_hidden))
        else:
            d_in, d_hidden = int(rng.integers(1, 40)), int(rng.integers(1, 250))
        cases.append(((max(d_in, 1), d_hidden), {}))
    return cases


def _layers(rng, widths):
    return [(_round(rng.normal(size=(n_out, n_in))), _round(rng.normal(0, 0.8, size=n_out)))
            for n_in, n_out in zip(widths[:-1], widths[1:])]


def _pre_activations(X, layers):
    """Every hidden unit's pre-activation for the rows of X, shape (N, hidden units)."""
    h, out = X, []
    for W, b in layers[:-1]:
        z = h @ W.T + b
        out.append(z)
        h = np.maximum(z, 0.0)
    return np.concatenate(out, axis=1)


@hidden("04.count_activation_patterns", compare=_exact_count)
def _count_activation_patterns(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        d_in = int(rng.integers(1, 4))
        widths = [d_in] + [int(s) for s in rng.integers(1, 6, size=int(rng.integers(1, 4)))] + [int(rng.integers(1, 3))]
        layers = _layers(rng, widths)
        X = _round(rng.uniform(-3, 3, size=(int(rng.integers(20, 400)), d_in)), 3)
        X = X[np.all(np.abs(_pre_activations(X, layers)) > 1e-4, axis=1)]  # no point on a region boundary
        cases.append(((X, layers), {}))
    return cases


def _deep_layers(answer, shapes):
    if not isinstance(answer, (tuple, list)) or len(answer) != len(shapes):
        raise CheckFailure("the network should be a list of (W, b) pairs")
    layers = []
    for layer, shape in zip(answer, shapes):
        if not isinstance(layer, (tuple, list)) or len(layer) != 2:
            raise CheckFailure("each layer should be a pair (W, b)")
        W, b = as_array(layer[0], shape=shape), as_array(layer[1]).reshape(-1)
        if len(b) != shape[0]:
            raise CheckFailure("a bias has the wrong length")
        layers.append((W, b))
    return layers


def _compose_compare(got, want):
    """Any layers of the right shapes that compute g(f(x)) are right: compare the functions."""
    shapes = [np.shape(W) for W, _ in want]
    layers = _deep_layers(got, shapes)
    first_joints = np.concatenate([_joints_of(W.reshape(-1), b) for W, b in (layers[0], want[0])])
    from .checks import network_magnitude

    _same_function(lambda xs: ref.deep_net(xs[:, None], layers)[:, 0], lambda xs: ref.deep_net(xs[:, None], want)[:, 0],
                   np.concatenate([first_joints, np.linspace(-10.0, 10.0, 401)]), _learner_rtol(got, 1e-6),
                   lambda xs: np.maximum(network_magnitude(xs, layers), network_magnitude(xs, want)))


@hidden("04.compose_shallow", compare=_compose_compare)
def _compose_shallow(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        f = _shallow_parameters(rng, int(rng.integers(1, 5)))
        g = _shallow_parameters(rng, int(rng.integers(1, 5)))
        cases.append(((f, g), {}))
    return cases
