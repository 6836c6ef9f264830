"""The tolerance policy every comparison uses: expected values in float64, tolerances that follow the learner's dtype.

A checker states the tolerance a float64 answer must meet. An answer held in a
lower precision (a float32 tensor, a float16 array) is held to that precision
instead: float32 carries about 7 significant digits, so a correct float32
computation can differ from the float64 reference by 1e-5 relative and more
after a few operations. Mistakes learners make are off by far more than that.
An exercise that is *about* precision passes ``exact_dtype=True`` and says so
in its docstring.

Absolute tolerances are scaled by the size of the expected values: an entry
near 0 in an array of numbers near 1 (a gradient, a whitened matrix) is noise
at the scale of the array, not a relative error of 100 %.
"""
import numpy as np

from .formatting import to_numpy

# (rtol, atol relative to the largest expected magnitude) that a correct answer in this precision meets
LOW_PRECISION_TOLERANCE = {
    np.dtype(np.float32): (1e-4, 1e-5),
    np.dtype(np.float16): (5e-3, 5e-3),
}
BFLOAT16_TOLERANCE = (2e-2, 2e-2)
# a float64 answer may come from a different but equally valid order of operations
FLOAT64_SCALED_ATOL = 1e-12


def lowest_precision(*values):
    """The (rtol, atol-scale) of the least precise float held anywhere in ``values``; None for float64 only."""
    found = None
    for value in values:
        for leaf in _leaves(value):
            tolerance = _tolerance_of(leaf)
            if tolerance is not None and (found is None or tolerance[0] > found[0]):
                found = tolerance
    return found


def _tolerance_of(leaf):
    dtype = getattr(leaf, "dtype", None)
    if dtype is None:
        return None
    if str(dtype) in ("torch.bfloat16", "bfloat16"):
        return BFLOAT16_TOLERANCE
    try:
        if hasattr(leaf, "detach"):  # a torch dtype: compare through numpy's name for it
            dtype = np.dtype(str(dtype).replace("torch.", ""))
        return LOW_PRECISION_TOLERANCE.get(np.dtype(dtype))
    except TypeError:
        return None


def _leaves(value, depth=0):
    if depth > 4:
        return
    if isinstance(value, (list, tuple)):
        for item in value[:64]:
            yield from _leaves(item, depth + 1)
    elif isinstance(value, dict):
        for item in list(value.values())[:64]:
            yield from _leaves(item, depth + 1)
    else:
        yield value


def effective_tolerance(got, expected, rtol, atol, exact_dtype=False):
    """The (rtol, atol) to compare ``got`` with ``expected`` under the policy above."""
    expected_array = np.asarray(to_numpy(expected), dtype=float)
    finite = expected_array[np.isfinite(expected_array)]
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    atol = max(atol, FLOAT64_SCALED_ATOL * scale)
    if exact_dtype:
        return rtol, atol
    low = lowest_precision(got, expected)
    if low is None:
        return rtol, atol
    low_rtol, low_atol = low
    return max(rtol, low_rtol), max(atol, low_atol * max(scale, 1e-3))
