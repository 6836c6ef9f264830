"""The checker framework: verdict texts, isolation of learner code, and helpers' sentences."""
import numpy as np
import pytest

from course_utils.checking import (ERROR, FAILED, NOT_ATTEMPTED, PASSED, CheckFailure, Mistakes, as_array,
                                   expect_close, expect_equal, run_check)
from course_utils.exercises import Exercise, exercise, get


def make_exercise(checker, points=2):
    return Exercise("99.thing", points, checker, reference=lambda *a: None, title="a test exercise")


def test_passed_verdict_names_points():
    verdict = run_check(make_exercise(lambda fn: None), lambda: 1)
    assert verdict.status == PASSED and verdict.points == 2
    assert verdict.text() == "99.thing: passed (2/2 points)."


def test_stub_is_not_attempted():
    def stub():
        raise NotImplementedError()

    verdict = run_check(make_exercise(lambda fn: fn()), stub)
    assert verdict.status == NOT_ATTEMPTED and verdict.points == 0
    assert "not attempted yet" in verdict.text()


def test_learner_exception_becomes_a_sentence():
    def broken(x):
        return x / 0

    verdict = run_check(make_exercise(lambda fn: fn(3)), broken)
    assert verdict.status == FAILED
    assert "`thing` raised ZeroDivisionError" in verdict.text()
    assert "Traceback" not in verdict.text()


def test_checker_bug_is_reported_without_traceback():
    def buggy_checker(fn):
        raise KeyError("oops")

    verdict = run_check(make_exercise(buggy_checker), lambda: 0)
    assert verdict.status == ERROR and "could not be checked" in verdict.text()


def test_non_callable_is_explained():
    verdict = run_check(make_exercise(lambda fn: None), 42)
    assert verdict.status == FAILED and "the function itself" in verdict.text()


def test_learner_cannot_mutate_the_checkers_inputs_or_print():
    seen = {}

    def checker(fn):
        seen["data"] = data = [1, 2, 3]
        fn(data)

    def mutating(values):
        print("noise")
        values.clear()

    verdict = run_check(make_exercise(checker), mutating)
    assert seen["data"] == [1, 2, 3]
    assert verdict.status == FAILED and "changed its input `values` in place" in verdict.text()


def test_failure_text_has_case_expected_got_hint():
    def checker(fn):
        expect_close(fn(2), 4.0, case={"x": 2}, hint="square it",
                     mistakes=Mistakes({"you doubled it?": lambda x: 2 * x + 0.5}).answers(2))

    verdict = run_check(make_exercise(checker), lambda x: 5)
    text = verdict.text()
    assert "case:     x=2" in text and "expected: 4" in text and "got:      5" in text
    assert "hint:     square it" in text


ADDED = Mistakes({"you raised it to a power": lambda x: x ** 3, "you added instead": lambda x: x + 2.5,
                  "cannot run on this case": lambda x: x["nothing"]})


def test_matching_mistake_selects_its_hint():
    def checker(fn):
        expect_close(fn(2), 4.0, case={"x": 2}, hint="generic", mistakes=ADDED.answers(2))

    assert run_check(make_exercise(checker), lambda x: 4.5).hint == "you added instead"
    assert run_check(make_exercise(checker), lambda x: 4.1).hint == "generic"


def test_mistaken_answers_are_computed_only_when_a_check_fails():
    calls = []
    counted = Mistakes({"counted": lambda x: calls.append(x) or x + 1})

    def checker(fn):
        expect_close(fn(2), 4.0, mistakes=counted.answers(2))

    assert run_check(make_exercise(checker), lambda x: x * x).status == PASSED and calls == []
    assert run_check(make_exercise(checker), lambda x: x + 1).hint == "counted" and calls == [2]


def test_mistaken_answers_map_and_restrict():
    answers = ADDED.answers(2)
    assert dict(answers) == {"you raised it to a power": 8, "you added instead": 4.5}  # the one that raises is left out
    assert dict(answers.map(lambda a: -a).only(["you added instead"])) == {"you added instead": -4.5}


def test_a_hand_written_mistakes_dict_is_refused():
    """A hint with no declared wrong implementation would go untested: checkers may not write one."""
    with pytest.raises(TypeError, match="declare each mistake once"):
        expect_close(5.0, 4.0, mistakes={"you doubled it?": 5.0})


@pytest.mark.parametrize("got, fragment", [
    (None, "did you forget to `return`"),
    ("text", "should be numeric"),
    (np.zeros((2, 3)), "should have shape (3,), but it is a numpy array of shape (2, 3)"),
])
def test_wrong_types_and_shapes_get_sentences(got, fragment):
    with pytest.raises(CheckFailure) as info:
        as_array(got, shape=(3,))
    assert fragment in info.value.message


def test_torch_tensors_are_compared_like_arrays():
    import torch

    expect_close(torch.tensor([1.0, 2.0]), [1.0, 2.0])
    with pytest.raises(CheckFailure):
        expect_close(torch.tensor([1.0, 2.5]), [1.0, 2.0])


def test_expect_equal_on_lists_and_arrays():
    expect_equal([1, 2], [1, 2])
    expect_equal(np.array([1, 2]), np.array([1, 2]))
    with pytest.raises(CheckFailure):
        expect_equal([1, 2], [2, 1])


def test_exercise_ids_are_validated():
    with pytest.raises(ValueError):
        exercise("1.bad", points=1, reference=None, title="")
    with pytest.raises(ValueError):
        exercise("01.zero_points", points=0, reference=None, title="")


def test_unknown_exercise_lists_the_lessons_exercises():
    with pytest.raises(KeyError) as info:
        get("01.no_such_thing")
    assert "01.step_neuron" in str(info.value)

