"""Hidden cases for lesson 00."""
import numpy as np

from ...checking import expect_close
from ...grading.hidden_cases import CASES_PER_EXERCISE, hidden


def _as_public(got, want):
    """The public check's comparison: a list, tuple, array or tensor of the right numbers is right."""
    expect_close(got, np.asarray(want, dtype=float), rtol=1e-5, atol=1e-8)


def _values(rng, low=1, high=6):
    return [float(v) for v in rng.normal(0, 5, size=int(rng.integers(low, high))).round(2)]


@hidden("00.average", compare=_as_public)
def _average(rng):
    return [((_values(rng),), {}) for _ in range(CASES_PER_EXERCISE)]


@hidden("00.dot", compare=_as_public)
def _dot(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        n = int(rng.integers(1, 6))
        cases.append(((list(rng.normal(0, 3, n).round(2)), list(rng.normal(0, 3, n).round(2))), {}))
    return cases


@hidden("00.normalize", compare=_as_public)
def _normalize(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        v = rng.normal(0, 3, int(rng.integers(2, 6))).round(2)
        v[0] = v[0] if v[0] != 0 else 1.0
        cases.append(((list(map(float, v)),), {}))
    return cases
