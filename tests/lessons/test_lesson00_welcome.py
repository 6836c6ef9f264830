"""Checker contract for lesson 00: the reference passes, the stub is not attempted, mistakes fail."""
import math
import statistics

import numpy as np
import torch

from checker_contract import contract_tests, hidden_failures
from course_utils import exercises
from course_utils.checking import PASSED, run_check

MUTANTS = {
    "00.average": [
        lambda values: statistics.median(values),
        lambda values: sum(values[1:]) / (len(values) - 1) if len(values) > 1 else values[0],  # skips the first
        lambda values: (min(values) + max(values)) / 2,
    ],
    "00.dot": [
        lambda u, v: sum(a * b for a, b in zip(u[:-1], v[:-1])),
        lambda u, v: sum(u) * sum(v),
        lambda u, v: sum(a * b for a, b in zip(u, v)) ** 0.5 if sum(a * b for a, b in zip(u, v)) >= 0 else 0.0,
        lambda u, v: sum(abs(a * b) for a, b in zip(u, v)),
    ],
    "00.normalize": [
        lambda v: list(np.abs(v) / np.linalg.norm(v)),
        lambda v: [a / max(abs(x) for x in v) for a in v],          # divides by the largest entry
        lambda v: [a / len(v) for a in v],                          # divides by the number of entries
        lambda v: np.asarray(v, dtype=float) / np.linalg.norm(v, 1),  # the L1 norm
        lambda v: [a / math.sqrt(sum(v)) if sum(v) > 0 else a for a in v],  # sqrt of the sum, not of the squares
    ],
}


def normalize_numpy(v):
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


def normalize_float32(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.sqrt(np.dot(v, v))


def normalize_torch(v):
    t = torch.tensor(v, dtype=torch.float32)
    return t / t.norm()


ALTERNATIVES = {
    "00.average": [
        lambda values: np.mean(values),
        lambda values: statistics.fmean(values),
        lambda values: torch.tensor(values, dtype=torch.float32).mean(),
        lambda values: np.float32(sum(values)) / np.float32(len(values)),
    ],
    "00.dot": [
        lambda u, v: np.dot(u, v),
        lambda u, v: np.einsum("i,i->", np.asarray(u, dtype=np.float32), np.asarray(v, dtype=np.float32)),
        lambda u, v: torch.tensor(u, dtype=torch.float32) @ torch.tensor(v, dtype=torch.float32),
        lambda u, v: math.fsum(a * b for a, b in zip(u, v)),
    ],
    "00.normalize": [
        normalize_numpy,            # an ndarray, not a list (the finding)
        normalize_float32,
        normalize_torch,
        lambda v: tuple(a / math.hypot(*v) for a in v),
        lambda v: (np.asarray(v) / np.linalg.norm(v)).tolist(),
    ],
}
UNVARIED = {}

globals().update(contract_tests("00", MUTANTS, ALTERNATIVES, UNVARIED))


def test_normalize_as_an_array_gets_full_marks():
    """Regression (issue 13): an ndarray passed the public check and failed all 8 hidden cases."""
    exercise = exercises.get("00.normalize")
    assert run_check(exercise, normalize_numpy).status == PASSED
    assert hidden_failures("00.normalize", normalize_numpy) == 0
