"""Every exercise accepts the reference's answer in float32 and as lists, in the public check and the hidden cases.

A learner who computes in float32 (torch's default) or returns ``.tolist()`` is right; both graders must
say so. The answer's containers are kept (a tuple stays a tuple, a tensor stays a tensor): only the float
precision, or arrays turned into lists, change.
"""
import functools

import numpy as np
import pytest
import torch

from checker_contract import hidden_failures
from course_utils import exercises
from course_utils.checking import PASSED, run_check


def in_float32(value):
    if isinstance(value, torch.Tensor) and value.dtype == torch.float64:
        return value.float()
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value.astype(np.float32)
    if isinstance(value, float):
        return np.float32(value)
    return _each(value, in_float32)


def as_lists(value):
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.tolist()
    return _each(value, as_lists)


def _each(value, convert):
    if isinstance(value, (tuple, list)):
        return type(value)(convert(item) for item in value)
    if isinstance(value, dict):
        return {key: convert(item) for key, item in value.items()}
    return value


@pytest.mark.parametrize("convert", [in_float32, as_lists], ids=lambda f: f.__name__)
@pytest.mark.parametrize("exercise_id", [e.id for e in exercises.all_exercises()])
def test_the_reference_answer_in_another_form_passes_both_graders(exercise_id, convert):
    reference = exercises.get(exercise_id).reference
    answer = functools.wraps(reference)(lambda *args, **kwargs: convert(reference(*args, **kwargs)))
    verdict = run_check(exercises.get(exercise_id), answer)
    assert verdict.status == PASSED, verdict.text()
    assert hidden_failures(exercise_id, answer) == 0
