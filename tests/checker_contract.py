"""The contract every exercise's checker must meet, as reusable pytest tests.

Every mistake an exercise declares (``@exercise(..., mistakes=...)``, written in
the lesson's ``mistakes.py``) is a mutant: its check must fail with exactly its
hint. A lesson's test module adds

- ``MUTANTS = {exercise_id: [wrong, ...]}``: wrong implementations that no hint
  names (a function, or a pair ``(function, "fragment of the verdict it should
  get")``); with the declared mistakes, at least two per exercise;
- ``ALTERNATIVES = {exercise_id: [right, ...]}``: correct answers written
  differently from the reference (float32, lists or tensors, another valid
  convention) that every grader must accept;
- ``UNVARIED = {exercise_id: {parameter: "why"}}``: the rare parameter a
  learner may legitimately ignore (see ``test_public_check_varies_each_parameter``);

then ``globals().update(contract_tests("NN", MUTANTS, ALTERNATIVES, UNVARIED))``.
The two graders must agree: a mutant fails the public check *and* at least one
hidden case; an alternative passes both. tests/test_checker_coverage.py makes
sure every registered exercise has its mutants.
"""
import copy
import functools
import inspect

import pytest

from course_utils import exercises
from course_utils.checking import FAILED, NOT_ATTEMPTED, PASSED, run_check
from course_utils.grading.hidden_cases import prepare_hidden, score_hidden

HIDDEN_SEED = 7


def stub(*args, **kwargs):
    raise NotImplementedError()


@functools.lru_cache(maxsize=None)
def prepared_hidden_cases(exercise_id):
    """The hidden cases of one grading seed with the reference's answers, drawn once per test process."""
    exercise = exercises.get(exercise_id)
    return prepare_hidden(exercise_id, exercise.reference, HIDDEN_SEED)


def hidden_failures(exercise_id, function):
    """How many hidden cases ``function`` fails, called exactly as the grader calls it."""
    exercise = exercises.get(exercise_id)
    run, failed = score_hidden(exercise_id, prepared_hidden_cases(exercise_id), exercise.learner(function))
    assert run > 0, f"{exercise_id} has no hidden cases"
    return failed


def frozen_parameter(reference, parameter):
    """The reference, except that it uses the first value it was ever given for ``parameter``.

    It is what a learner's function looks like when it ignores a parameter (or
    hard-codes the notebook's value): the public check must catch it.
    """
    signature = inspect.signature(reference)
    first = []

    def ignores_parameter(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        if not first:
            first.append(copy.deepcopy(bound.arguments[parameter]))
        bound.arguments[parameter] = copy.deepcopy(first[0])
        return reference(*bound.args, **bound.kwargs)

    return ignores_parameter


def _documented_parameters(exercise_id):
    reference = exercises.get(exercise_id).reference
    return [name for name, p in inspect.signature(reference).parameters.items()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _params(functions_by_id, label):
    params = []
    for exercise_id, functions in functions_by_id.items():
        for index, entry in enumerate(functions):
            function, fragment = entry if isinstance(entry, tuple) else (entry, None)
            params.append(pytest.param(exercise_id, function, fragment, id=f"{exercise_id}-{label}{index}"))
    return params


def _declared_mistakes(ids):
    return [pytest.param(exercise_id, hint, implementation, id=f"{exercise_id}-mistake{index}")
            for exercise_id in ids
            for index, (hint, implementation) in enumerate(exercises.get(exercise_id).mistakes)]


def contract_tests(lesson, mutants, alternatives=None, unvaried=None):
    """The contract's parametrised tests for lesson ``"NN"``, by name, for its test module's globals."""
    ids = [exercise.id for exercise in exercises.for_lesson(lesson)]
    alternatives = alternatives or {}
    unvaried = unvaried or {}
    parameters = [pytest.param(exercise_id, name, id=f"{exercise_id}-{name}")
                  for exercise_id in ids for name in _documented_parameters(exercise_id)
                  if name not in unvaried.get(exercise_id, {})]

    @pytest.mark.parametrize("exercise_id", ids)
    def test_reference_passes(exercise_id):
        exercise = exercises.get(exercise_id)
        verdict = run_check(exercise, exercise.reference)
        assert verdict.status == PASSED, verdict.text()

    @pytest.mark.parametrize("exercise_id", ids)
    def test_stub_is_not_attempted(exercise_id):
        verdict = run_check(exercises.get(exercise_id), stub)
        assert verdict.status == NOT_ATTEMPTED, verdict.text()

    @pytest.mark.parametrize("exercise_id, function, fragment", _params(mutants, "mutant"))
    def test_mutant_fails_public_and_hidden(exercise_id, function, fragment):
        verdict = run_check(exercises.get(exercise_id), function)
        assert verdict.status == FAILED, verdict.text()
        if fragment:
            assert fragment in verdict.text(), verdict.text()
        assert hidden_failures(exercise_id, function) > 0, "the public check fails it but every hidden case passes it"

    @pytest.mark.parametrize("exercise_id, hint, implementation", _declared_mistakes(ids))
    def test_declared_mistake_fails_with_its_hint(exercise_id, hint, implementation):
        verdict = run_check(exercises.get(exercise_id), implementation)
        assert verdict.status == FAILED, verdict.text()
        assert verdict.hint == hint, f"the declared hint was not shown:\n  {hint}\n{verdict.text()}"
        assert hidden_failures(exercise_id, implementation) > 0, "every hidden case passes this mistake"

    @pytest.mark.parametrize("exercise_id, function, fragment", _params(alternatives, "alternative"))
    def test_alternative_passes_public_and_hidden(exercise_id, function, fragment):
        verdict = run_check(exercises.get(exercise_id), function)
        assert verdict.status == PASSED, verdict.text()
        assert hidden_failures(exercise_id, function) == 0, "the public check passes it but a hidden case fails it"

    @pytest.mark.parametrize("exercise_id, parameter", parameters)
    def test_public_check_varies_each_parameter(exercise_id, parameter):
        exercise = exercises.get(exercise_id)
        verdict = run_check(exercise, frozen_parameter(exercise.reference, parameter))
        assert verdict.status == FAILED, (
            f"a function that ignores `{parameter}` (always using its first value) passes the public check")

    return {test.__name__: test for test in (test_reference_passes, test_stub_is_not_attempted,
                                             test_mutant_fails_public_and_hidden,
                                             test_declared_mistake_fails_with_its_hint,
                                             test_alternative_passes_public_and_hidden,
                                             test_public_check_varies_each_parameter)}
