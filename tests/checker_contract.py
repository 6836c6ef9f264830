"""The contract every exercise's checker must meet, as reusable pytest tests.

A lesson's test module defines ``MUTANTS = {exercise_id: [wrong, ...]}``: at
least two plausible wrong implementations per exercise (a function, or a
pair ``(function, "fragment of the hint it should get")``), then calls
``contract_tests(MUTANTS)``. tests/test_checker_coverage.py makes sure every
registered exercise has such a list.
"""
import pytest

from course_utils import exercises
from course_utils.checking import FAILED, NOT_ATTEMPTED, PASSED, run_check


def stub(*args, **kwargs):
    raise NotImplementedError()


def _mutant_params(mutants):
    params = []
    for exercise_id, wrongs in mutants.items():
        for index, wrong in enumerate(wrongs):
            function, hint = wrong if isinstance(wrong, tuple) else (wrong, None)
            params.append(pytest.param(exercise_id, function, hint, id=f"{exercise_id}-mutant{index}"))
    return params


def contract_tests(mutants):
    """Three parametrised tests: the reference passes, the stub is not attempted, every mutant fails."""
    ids = list(mutants)

    @pytest.mark.parametrize("exercise_id", ids)
    def test_reference_passes(exercise_id):
        exercise = exercises.get(exercise_id)
        verdict = run_check(exercise, exercise.reference)
        assert verdict.status == PASSED, verdict.text()

    @pytest.mark.parametrize("exercise_id", ids)
    def test_stub_is_not_attempted(exercise_id):
        verdict = run_check(exercises.get(exercise_id), stub)
        assert verdict.status == NOT_ATTEMPTED, verdict.text()

    @pytest.mark.parametrize("exercise_id, function, hint", _mutant_params(mutants))
    def test_mutant_fails(exercise_id, function, hint):
        verdict = run_check(exercises.get(exercise_id), function)
        assert verdict.status == FAILED, verdict.text()
        if hint:
            assert hint in (verdict.hint or ""), verdict.text()

    return test_reference_passes, test_stub_is_not_attempted, test_mutant_fails
