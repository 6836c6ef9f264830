"""Helpers checkers use to compare a learner's answer with the expected one.

Each helper raises :class:`CheckFailure` with a sentence a learner can act on:
a wrong type or shape is named as such, never left to a numpy or torch error.
"""
import numpy as np

from .failures import CheckFailure
from .formatting import describe_type, to_numpy
from .mistakes import declared
from .tolerance import effective_tolerance


def _numeric_array(got, *, case, what):
    value = to_numpy(got)
    if isinstance(value, (bool, np.bool_)):
        value = float(value)
    try:
        array = np.asarray(value)
        # float32 and float16 stay as they are, so that comparisons of this array keep float32 tolerances
        if array.dtype.kind != "f":
            array = array.astype(float)
    except (TypeError, ValueError):
        raise CheckFailure(f"{what} should be numeric, but it is {describe_type(got)}.",
                           case=case, got=got, show_values=False) from None
    return array


def as_array(got, *, shape=None, case=None, what="your function's result"):
    """The learner's value as a float array (float32 and float16 kept, for the tolerance policy), shape checked."""
    if got is None:
        raise CheckFailure(f"{what} is None: did you forget to `return` it?", case=case, show_values=False)
    array = _numeric_array(got, case=case, what=what)
    if shape is not None and array.shape != tuple(shape):
        expected_shape = "be a single number" if tuple(shape) == () else f"have shape {tuple(shape)}"
        raise CheckFailure(f"{what} should {expected_shape}, but it is {describe_type(got)}.",
                           case=case, got=got, show_values=False,
                           hint="check which axis you summed or indexed over" if array.ndim else None)
    return array


def as_float(got, *, case=None, what="your function's result"):
    """The learner's value as a Python float; a one-element array is accepted."""
    array = as_array(got, case=case, what=what)
    if array.size != 1:
        raise CheckFailure(f"{what} should be a single number, but it is {describe_type(got)}.",
                           case=case, got=got, show_values=False)
    return float(array.reshape(()))


def _matching_mistake(got_array, mistakes, rtol, atol):
    """The hint of the first mistake whose value the answer matches.

    A candidate with nan or inf never matches: two different mistakes that both
    overflow would otherwise be confused (an unstable softmax is not "forgot to
    normalise" just because both give inf somewhere).
    """
    for hint, candidate in declared(mistakes).items():
        try:
            candidate = np.asarray(to_numpy(candidate), dtype=float)
        except (TypeError, ValueError):
            continue
        if (candidate.shape == got_array.shape and np.all(np.isfinite(candidate))
                and np.allclose(got_array, candidate, rtol=rtol, atol=atol)):
            return hint
    return None


def expect_close(got, expected, *, case=None, rtol=1e-5, atol=1e-8, hint=None, mistakes=None,
                 what="your function's result", exact_dtype=False):
    """Pass when ``got`` matches ``expected`` elementwise within the tolerances.

    ``rtol`` and ``atol`` are what a float64 answer must meet; a float32 (or lower)
    answer is held to its own precision, and ``atol`` grows with the size of the
    expected values (see ``tolerance.py``). ``exact_dtype=True`` turns that off,
    for the few exercises that are about precision.

    ``mistakes`` holds the answers of the exercise's declared mistakes on this case
    (``Mistakes.answers(...)``); when the learner's answer matches one, its hint is
    shown instead of the generic one.
    """
    expected_array = np.asarray(to_numpy(expected), dtype=float)
    rtol, atol = effective_tolerance(got, expected, rtol, atol, exact_dtype)
    try:
        got_array = as_array(got, shape=expected_array.shape, case=case, what=what)
    except CheckFailure as failure:  # a wrong shape may still be a mistake we can name
        if got is not None:
            failure.hint = _matching_mistake(_numeric_array(got, case=case, what=what), mistakes, rtol, atol) or failure.hint
        raise
    if not np.all(np.isfinite(got_array)) and np.all(np.isfinite(expected_array)):
        raise CheckFailure(f"{what} contains nan or inf.", case=case, expected=expected, got=got,
                           hint=_matching_mistake(got_array, mistakes, rtol, atol) or hint
                           or "look for a division by zero or an overflowing exp")
    if np.allclose(got_array, expected_array, rtol=rtol, atol=atol, equal_nan=True):
        return
    raise CheckFailure(f"Unexpected value for {what}.", case=case, expected=expected, got=got,
                       hint=_matching_mistake(got_array, mistakes, rtol, atol) or hint)


def plain_value(value):
    """``value`` with tensors, arrays and tuples turned into lists and numpy scalars into Python numbers.

    Two answers are equal when their plain values are: ``(1, 2)``, ``[1, 2]``, ``np.array([1, 2])`` and
    ``torch.tensor([1, 2])`` are the same answer unless a docstring demands a type. Dict keys and set
    members are left alone (they are hashable on purpose).
    """
    value = to_numpy(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [plain_value(item) for item in value]
    if isinstance(value, dict):
        return {key: plain_value(item) for key, item in value.items()}
    return value


def _equal(a, b):
    try:
        return bool(plain_value(a) == plain_value(b))
    except (TypeError, ValueError):
        return False


def expect_equal(got, expected, *, case=None, hint=None, mistakes=None, what="your function's result"):
    """Pass when ``got == expected`` exactly (ints, strings, containers, int arrays), whatever the container type."""
    if _equal(got, expected):
        return
    matched = next((mistake_hint for mistake_hint, candidate in declared(mistakes).items()
                    if _equal(got, candidate)), None)
    raise CheckFailure(f"Unexpected value for {what}.", case=case, expected=expected, got=got,
                       hint=matched or hint)


def expect_true(condition, message, *, case=None, hint=None, expected=None, got=None):
    """Pass when ``condition`` holds; otherwise fail with ``message`` (a property check)."""
    if not condition:
        raise CheckFailure(message, case=case, expected=expected, got=got, hint=hint,
                           show_values=expected is not None or got is not None)


def expect_type(got, types, *, case=None, what="your function's result"):
    """Pass when ``got`` is an instance of ``types``; otherwise name what it is."""
    if isinstance(got, types):
        return got
    names = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
    raise CheckFailure(f"{what} should be a {names}, but it is {describe_type(got)}.", case=case,
                       show_values=False)


def relative_error(a, b):
    """|a - b| / max(|a|, |b|, tiny): the scale-free distance gradient checks use."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12)
    return float(np.max(np.abs(a - b) / scale)) if a.size else 0.0

