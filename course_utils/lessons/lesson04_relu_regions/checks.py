"""Checkers for lesson 04: ReLU networks are piecewise linear.

Every answer in this lesson is exact (joint positions, integer region counts, a network that equals a
target function everywhere), so the checkers are strict: exact integers, and function values compared at
many points, including points far outside any plotted window.
"""
import numpy as np

from ...checking import CheckFailure, as_array, as_float, expect_close, expect_equal
from ...checking.tolerance import lowest_precision
from ...exercises import exercise
from .. import LessonInfo
from . import mistakes
from . import reference as ref

LESSON = LessonInfo("04", "relu_regions", "ReLU networks are piecewise linear", 75,
                    "where a ReLU network's joints sit, the general-position bound on linear regions and when it "
                    "holds, building a target function exactly by hand, folding by composition, deep vs shallow "
                    "region counts, why He initialisation")


# ---------------------------------------------------------------------------------------------- helpers

# the tolerance a float64 answer must meet (the hidden cases use the same: close_results); float32 answers get
# float32-sized tolerances from the course's tolerance policy
RTOL, ATOL = 1e-6, 1e-9
# shallow_net: plus 1e-6 of the largest |f(x)|, as float32 arithmetic handed back as Python floats (`.tolist()`)
# can leave 1e-7 of the terms' size in an output where they cancel (hidden: close_within(RTOL, ATOL, SCALED_ATOL))
SCALED_ATOL = 1e-6
INT64_MAX = 2 ** 63 - 1


def _in_learner_precision(values, answer):
    """``values`` (a float64 evaluation of the learner's network) cast to the lowest float precision held in
    ``answer``, so that the tolerance policy treats a network built in float32 as a float32 answer."""
    low = lowest_precision(answer)
    if low is None:
        return values
    return np.asarray(values, dtype=np.float16 if low[0] >= 5e-3 else np.float32)


def network_magnitude(xs, layers):
    """For each x, the size of the computation the network does there: the same network with every weight,
    bias and input replaced by its absolute value. Rounding a network's numbers (say to float32, then handing
    them back as Python floats) moves its output by that size times the rounding error, so a network is
    compared with its target within ``RTOL * (1 + |target| + magnitude)``, in the public check and the hidden
    cases alike. A real mistake (a missing unit, a wrong slope or bias) is off by far more."""
    absolute = [(np.abs(np.asarray(W, dtype=float)), np.abs(np.asarray(b, dtype=float).reshape(-1))) for W, b in layers]
    return ref.deep_net(np.abs(np.asarray(xs, dtype=float))[:, None], absolute)[:, 0]


def _entries(n):
    return f"{n} entr{'y' if n == 1 else 'ies'}"


def _vector(got, *, case, what, length=None):
    """A 1-D float array (a scalar is not accepted), with its length checked when given."""
    array = as_array(got, case=case, what=what)
    if array.ndim != 1:
        raise CheckFailure(f"{what} should be a 1-D array, but it has shape {array.shape}.", case=case,
                           show_values=False)
    if length is not None and len(array) != length:
        raise CheckFailure(f"{what} should have {_entries(length)}, but it has {len(array)}.", case=case,
                           show_values=False)
    return array


def _compare_vectors(got, expected, *, case, what, mistakes, hint=None):
    """Like expect_close for 1-D results whose length may be wrong; a wrong length can still match a mistake."""
    array = _vector(got, case=case, what=what)
    expected = np.asarray(expected, dtype=float)
    if array.shape != expected.shape:
        for mistake_hint, candidate in mistakes.items():
            candidate = np.asarray(candidate, dtype=float)
            if candidate.shape == array.shape and np.allclose(array, candidate, equal_nan=True):
                hint = mistake_hint
                break
        raise CheckFailure(f"{what} should have {_entries(len(expected))}, but it has {len(array)}.", case=case,
                           expected=expected, got=array, hint=hint)
    expect_close(array, expected, case=case, what=what, mistakes=mistakes, hint=hint, rtol=RTOL, atol=ATOL)


def _count(got, *, case, what):
    """An exact integer answer: Python or numpy integers (a whole-number float is accepted for small counts)."""
    if isinstance(got, (bool, np.bool_)):
        raise CheckFailure(f"{what} should be an integer, but it is a bool.", case=case, show_values=False)
    if isinstance(got, (int, np.integer)):
        return int(got)
    if isinstance(got, (str, bytes)):
        raise CheckFailure(f"{what} should be an integer, but it is a string ({got!r}).", case=case,
                           show_values=False)
    value = as_float(got, case=case, what=what)
    if not float(value).is_integer():
        raise CheckFailure(f"{what} should be a whole number, but it is {value:g}.", case=case, show_values=False,
                           hint="a count of regions or patterns is an integer")
    return int(value)


def _shallow(answer, *, case, what="your network"):
    """Validate a shallow network (w, b, v, c) and return it as arrays and a float."""
    if not isinstance(answer, (tuple, list)) or len(answer) != 4:
        raise CheckFailure(f"{what} should be a tuple (w, b, v, c).", case=case, got=answer, show_values=False)
    w = _vector(answer[0], case=case, what="`w`")
    b = _vector(answer[1], case=case, what="`b`", length=len(w))
    v = _vector(answer[2], case=case, what="`v`", length=len(w))
    c = as_float(answer[3], case=case, what="the output bias c")
    return w, b, v, c


# ---------------------------------------------------------------------------------------------- exercises

@exercise("04.shallow_net", points=1, reference=ref.shallow_net, title="a shallow ReLU network with scalar input",
          mistakes=mistakes.SHALLOW_NET)
def check_shallow_net(shallow_net):
    rng = np.random.default_rng(4)
    cases = [(np.linspace(-3.0, 3.0, 13), rng.normal(size=3).round(2), rng.normal(size=3).round(2),
              np.array([1.5, -2.0, 1.0]), 0.5),
             (np.array([-50.0, -2.5, -0.7, 0.25, 1.5, 4.0, 30.0]), np.array([1.0, -1.0]), np.array([0.0, 1.0]),
              np.array([-1.0, -2.0]), -1.0),
             (np.array([0.75]), np.array([2.0]), np.array([-1.0]), np.array([3.0]), 0.25)]
    for x, w, b, v, c in cases:
        case = {"x": x, "w": w, "b": b, "v": v, "c": c}
        expected = ref.shallow_net(x, w, b, v, c)
        atol = ATOL + SCALED_ATOL * float(np.max(np.abs(expected)))
        expect_close(shallow_net(x, w, b, v, c), expected, case=case, what="the output f(x)", rtol=RTOL, atol=atol,
                     mistakes=mistakes.SHALLOW_NET.answers(x, w, b, v, c),
                     hint="h_d = relu(w_d·x + b_d) for every unit, then f(x) = c + Σ_d v_d h_d, for each entry of x")


@exercise("04.joint_positions", points=1, reference=ref.joint_positions, title="where each hidden unit bends",
          mistakes=mistakes.JOINT_POSITIONS)
def check_joint_positions(joint_positions):
    cases = [([1.0, -2.0, 0.5], [-1.0, 1.0, 1.0]),     # joints 1, 0.5, -2 (unsorted by unit)
             ([2.0, 0.0, -1.0], [-1.0, 3.0, 4.0]),     # a unit with w = 0 never bends
             ([0.01, 1.0, -0.5], [-1.0, 0.0, 20.0]),   # joints at 100 and 40: far outside any plot
             ([1.0, 2.0], [-1.0, -2.0])]               # two units bend at the same place
    for w, b in cases:
        w, b = np.array(w), np.array(b)
        case = {"w": w, "b": b}
        with np.errstate(divide="ignore", invalid="ignore"):   # -b/w before filtering w = 0 is fine
            got = joint_positions(w, b)
        _compare_vectors(got, ref.joint_positions(w, b), case=case, what="the joint positions",
                         mistakes=mistakes.JOINT_POSITIONS.answers(w, b),
                         hint="for each unit with w_d ≠ 0 the joint is at x = -b_d / w_d; return them sorted")


@exercise("04.count_regions_1d", points=1, reference=ref.count_regions_1d,
          title="how many linear pieces a shallow net has in 1-D", mistakes=mistakes.COUNT_REGIONS_1D)
def check_count_regions_1d(count_regions_1d):
    cases = [([1.0, -1.0, 2.0, 0.5], [0.0, 1.0, -3.0, 2.0]),   # four distinct joints
             ([1.0, 0.0, -2.0], [-1.0, 5.0, 1.0]),             # a unit with w = 0
             ([1.0, 2.0, -1.0], [-1.0, -2.0, 1.0]),            # three units with the same joint
             ([0.0, 0.0], [1.0, -1.0]),                       # nothing bends at all
             ([1.0, -1.0, 1.0, 2.0, 1.0], [-0.31, 0.33, -2.1, -4.4, -5.0])]  # close joints are still distinct
    for w, b in cases:
        w, b = np.array(w), np.array(b)
        case = {"w": w, "b": b}
        with np.errstate(divide="ignore", invalid="ignore"):
            got = count_regions_1d(w, b)
        got = _count(got, case=case, what="the number of regions")
        expect_equal(got, ref.count_regions_1d(w, b), case=case, what="the number of regions",
                     mistakes=mistakes.COUNT_REGIONS_1D.answers(w, b),
                     hint="count the distinct joints -b_d/w_d of units with w_d ≠ 0, then add 1")


@exercise("04.fit_piecewise_linear", points=3, reference=ref.fit_piecewise_linear,
          title="build a given piecewise-linear function exactly", mistakes=mistakes.FIT_PIECEWISE_LINEAR)
def check_fit_piecewise_linear(fit_piecewise_linear):
    cases = [([-1.0, 0.0, 1.0], [1.0, 0.0, 1.0]),
             ([0.0, 1.0, 3.0, 4.0], [2.0, 2.0, 0.0, 0.0]),
             ([-2.0, -1.0, 0.5, 2.0, 3.0], [1.0, -1.0, 2.0, 0.0, 0.5]),
             ([1.0, 2.0], [3.0, 1.0])]
    for knots, values in cases:
        knots, values = np.array(knots), np.array(values)
        case = {"knots": knots, "values": values}
        fit_answer = fit_piecewise_linear(knots, values)
        w, b, v, c = _shallow(fit_answer, case=case)
        xs = np.unique(np.concatenate([np.linspace(knots[0] - 5, knots[-1] + 5, 301), knots,
                                       [knots[0] - 100.0, knots[-1] + 100.0]]))
        target = ref.piecewise_linear(xs, knots, values)
        got = ref.shallow_net(xs, w, b, v, c)
        tolerance = max(RTOL, (lowest_precision(fit_answer) or (0,))[0])
        magnitude = np.maximum(network_magnitude(xs, ref.shallow_to_layers(w, b, v, c)),
                               network_magnitude(xs, ref.shallow_to_layers(*ref.fit_piecewise_linear(knots, values))))
        if not np.all(np.isfinite(got)):
            raise CheckFailure("your network's output contains nan or inf.", case=case, show_values=False,
                               hint="check for a division by zero when you compute slopes")
        allowed = tolerance * (1 + np.abs(target) + magnitude)
        worst = int(np.argmax(np.abs(got - target) - allowed))
        if abs(got[worst] - target[worst]) > allowed[worst]:
            mistaken = mistakes.FIT_PIECEWISE_LINEAR.answers(knots, values).map(lambda net: ref.shallow_net(xs, *net))
            hint = next((hint for hint, outputs in mistaken.items() if np.all(np.abs(got - outputs) <= allowed)),
                        "start from the first piece's line, then add one unit relu(x - x_k) per interior knot with "
                        "v = s_k - s_(k-1)")
            raise CheckFailure(f"your network differs from the target at x = {xs[worst]:g}.", case=case,
                               expected=float(target[worst]), got=float(got[worst]), hint=hint)


@exercise("04.max_regions", points=2, reference=ref.max_regions,
          title="the largest number of linear regions of a shallow network", mistakes=mistakes.MAX_REGIONS)
def check_max_regions(max_regions):
    # (63, 64): every term C(64, j) fits in int64 but the sum, 2⁶⁴ - 1, does not; (30, 100): terms past 2⁶³
    cases = [(1, 5), (2, 3), (10, 8), (10, 50), (3, 0), (2, 1), (30, 100), (63, 64)]
    for d_in, d_hidden in cases:
        case = {"d_in": d_in, "d_hidden": d_hidden}
        got = max_regions(d_in, d_hidden)
        expected = ref.max_regions(d_in, d_hidden)
        if isinstance(got, (float, np.floating)):
            raise CheckFailure("the bound should be an exact integer, but your function returned a float.",
                               case=case, show_values=False,
                               hint="use math.comb, which gives exact Python integers; floats lose digits "
                                    "beyond 2⁵³ and numpy int64 overflows beyond 2⁶³")
        got = _count(got, case=case, what="the maximum number of regions")
        hint = "the general-position count: Σ_{j=0}^{D_i} C(D, j), with math.comb(D, j)"
        if expected > INT64_MAX and abs(got) <= INT64_MAX:
            hint += (f"; the bound here is {expected}, past 2⁶³ - 1, so if you computed in numpy int64 it "
                     f"overflowed: use Python ints, which are exact")
        expect_equal(got, expected, case=case, what="the maximum number of regions",
                     mistakes=mistakes.MAX_REGIONS.answers(d_in, d_hidden), hint=hint)


def _grid(lo, hi, n):
    g = np.linspace(lo, hi, n)
    return np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)


def _pattern_cases():
    rng = np.random.default_rng(7)
    three_lines = [(np.array([[1.0, 1.0], [1.0, -1.0], [0.0, 1.0]]), np.array([0.5, -1.0, 1.2])),
                   (np.array([[1.0, -1.0, 2.0]]), np.array([0.0]))]
    deep = [(rng.normal(size=(4, 2)).round(2), rng.normal(size=4).round(2)),
            (rng.normal(size=(3, 4)).round(2), rng.normal(size=3).round(2)),
            (rng.normal(size=(1, 3)).round(2), np.array([0.3]))]
    tent_x = ((np.arange(400) + 0.381966) / 400)[:, None]
    return [("a shallow net, 3 units, on a 41 x 41 grid over [-3, 3]²", _grid(-3, 3, 41), three_lines),
            ("a deep net 2 → 4 → 3 → 1 on a 41 x 41 grid over [-3, 3]²", _grid(-3, 3, 41), deep),
            ("the tent map composed 3 times, 400 points in (0, 1)", tent_x, ref.repeated_tent(3))]


@exercise("04.count_activation_patterns", points=2, reference=ref.count_activation_patterns,
          title="count linear regions by their activation patterns", mistakes=mistakes.COUNT_ACTIVATION_PATTERNS)
def check_count_activation_patterns(count_activation_patterns):
    for label, X, layers in _pattern_cases():
        expected = ref.count_activation_patterns(X, layers)
        got = _count(count_activation_patterns(X, layers), case=label, what="the number of patterns")
        expect_equal(got, expected, case=label, what="the number of distinct activation patterns",
                     mistakes=mistakes.COUNT_ACTIVATION_PATTERNS.answers(X, layers),
                     hint="collect (pre-activation > 0) for every hidden unit of every layer, one row per point, "
                          "then count the distinct rows (np.unique(..., axis=0))")


def _layers(answer, f, g, mistaken, *, case):
    """Validate a composed network's layers [(W1, b1), (W2, b2), (W3, b3)]; a wrong shape can match a mistake's."""
    d_f, d_g = len(f[0]), len(g[0])
    if not isinstance(answer, (tuple, list)) or len(answer) != 3 or \
            not all(isinstance(layer, (tuple, list)) and len(layer) == 2 for layer in answer):
        raise CheckFailure("`compose_shallow` should return a list of three (W, b) pairs: [(W1, b1), (W2, b2), (W3, b3)].",
                           case=case, got=answer, show_values=False)
    shapes = [(d_f, 1), (d_g, d_f), (1, d_g)]
    layers = []
    for index, ((W, b), shape) in enumerate(zip(answer, shapes), start=1):
        W = as_array(W, case=case, what=f"`W{index}`")
        if W.shape != shape:
            hint = next((hint for hint, wrong in mistaken.items() if np.shape(wrong[index - 1][0]) == W.shape), None)
            raise CheckFailure(f"`W{index}` should have shape {shape}, but it has shape {W.shape}.", case=case,
                               show_values=False, hint=hint)
        b = as_array(b, case=case, what=f"`b{index}`").reshape(-1)
        if len(b) != shape[0]:
            raise CheckFailure(f"`b{index}` should have {_entries(shape[0])}, but it has {len(b)}.", case=case,
                               show_values=False)
        layers.append((W, b))
    return layers


@exercise("04.compose_shallow", points=2, reference=ref.compose_shallow,
          title="compose two shallow networks into one deep network", mistakes=mistakes.COMPOSE_SHALLOW)
def check_compose_shallow(compose_shallow):
    f1 = (np.array([1.0, -2.0, 0.5]), np.array([0.3, 1.0, -1.0]), np.array([1.0, 2.0, -1.0]), 0.7)
    g1 = (np.array([2.0, -1.0]), np.array([-0.5, 1.0]), np.array([1.0, 3.0]), -0.2)
    x = np.linspace(-4.0, 4.0, 81)
    for label, f, g in (("f with 3 units, g with 2 units", f1, g1), ("the tent map twice", ref.tent_map(), ref.tent_map()),
                        ("g with 2 units, f with 3 units", g1, f1)):
        case = label
        answer = compose_shallow(f, g)
        mistaken = mistakes.COMPOSE_SHALLOW.answers(f, g)
        layers = _layers(answer, f, g, mistaken, case=case)
        expected = ref.shallow_net(ref.shallow_net(x, *f), *g)
        got = _in_learner_precision(ref.deep_net(x[:, None], layers)[:, 0], answer)
        magnitude = np.maximum(network_magnitude(x, layers), network_magnitude(x, ref.compose_shallow(f, g)))
        expect_close(got, expected, case=case, what="the composed network's output at x = -4, -3.9, ..., 4",
                     rtol=RTOL, atol=ATOL + RTOL * float(np.max(magnitude)),
                     mistakes=mistaken.map(lambda mistaken_layers: ref.deep_net(x[:, None], mistaken_layers)[:, 0]),
                     hint="g's units compute relu(w_g·f(x) + b_g) with f(x) = v_f·h1 + c_f: expand that product")
