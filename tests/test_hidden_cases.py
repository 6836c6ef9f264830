"""Hidden cases: every graded exercise has them, the reference passes them, and they catch hard-coding.

A learner who memorises answers passes the public checker; the hidden cases
are drawn with a seed chosen at grading time, so they must vary: a function
that returns one fixed answer (the first hidden case's) fails some of them.
"""
import pytest

from course_utils import exercises
from course_utils.grading.hidden_cases import GENERATORS, load_all_hidden, prepare_hidden, run_hidden, score_hidden
from course_utils.threads import use_one_thread

exercises.load_all()
load_all_hidden()
use_one_thread()  # as in the grader and every lesson kernel: tiny cases, and sklearn's OpenMP beside torch's
ALL_IDS = sorted(e.id for e in exercises.all_exercises())


def test_every_graded_exercise_has_hidden_cases():
    missing = [eid for eid in ALL_IDS if eid not in GENERATORS]
    assert not missing, f"exercises without hidden cases: {missing}"
    assert not set(GENERATORS) - set(ALL_IDS), "a generator for an exercise that does not exist"


@pytest.mark.parametrize("exercise_id", sorted(GENERATORS))
def test_hidden_cases_pass_the_reference_and_catch_a_fixed_answer(exercise_id):
    exercise = exercises.get(exercise_id)
    prepared = prepare_hidden(exercise_id, exercise.reference, seed=7)
    assert len(prepared) >= 2
    assert score_hidden(exercise_id, prepared, exercise.learner(exercise.reference)) == (len(prepared), 0)
    fixed_answer = prepared[0][2]
    run, failed = score_hidden(exercise_id, prepared, exercise.learner(lambda *a, **k: fixed_answer))
    assert failed > 0, "every hidden case has the same answer: hard-coding it would pass"


def test_the_grading_seed_changes_the_cases():
    exercise = exercises.get("00.average")
    first = prepare_hidden(exercise.id, exercise.reference, seed=1)
    second = prepare_hidden(exercise.id, exercise.reference, seed=2)
    assert [case[0] for case in first] != [case[0] for case in second]


def test_a_hard_coded_public_answer_fails_hidden_cases():
    exercise = exercises.get("01.count_separable_gates")
    run, failed = run_hidden(exercise.id, exercise.learner(lambda max_epochs=100: 14),
                             exercise.reference, seed=7)
    assert failed == run > 0
