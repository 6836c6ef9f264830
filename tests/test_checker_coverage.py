"""Every registered exercise has mutation tests, and every lesson has its notebooks and workshop plan."""
import importlib
from pathlib import Path

import pytest

from course_utils import exercises
from course_utils.lessons import all_lessons

ROOT = Path(__file__).resolve().parent.parent


def _lesson_test_modules():
    return [importlib.import_module(path.stem) for path in sorted((ROOT / "tests" / "lessons").glob("test_lesson*.py"))]


def _all_mutants():
    mutants = {}
    for module in _lesson_test_modules():
        mutants.update(module.MUTANTS)
    return mutants


@pytest.mark.parametrize("exercise_id", [e.id for e in exercises.all_exercises()])
def test_exercise_has_at_least_two_mutants(exercise_id):
    wrong = len(_all_mutants().get(exercise_id, [])) + len(exercises.get(exercise_id).mistakes)
    assert wrong >= 2, f"{exercise_id} needs >= 2 wrong implementations (declared mistakes and MUTANTS)"


@pytest.mark.parametrize("module", _lesson_test_modules(), ids=lambda module: module.__name__[-2:])
def test_lesson_tests_have_correct_alternatives(module):
    """Correct answers written differently (float32, tensors, other conventions) must pass both graders."""
    count = sum(len(functions) for functions in module.ALTERNATIVES.values())
    assert count >= 3, f"{module.__name__} needs at least 3 correct alternatives in ALTERNATIVES, has {count}"


@pytest.mark.parametrize("info", all_lessons(), ids=lambda info: info.number)
def test_lesson_has_solution_and_student_notebooks(info):
    assert (ROOT / "solutions" / info.notebook_name).exists()
    assert (ROOT / "notebooks" / info.notebook_name).exists()


@pytest.mark.parametrize("info", [i for i in all_lessons() if i.number != "00" and not i.draft],
                         ids=lambda info: info.number)
def test_lesson_has_enough_exercises(info):
    assert len(exercises.for_lesson(info.number)) >= 5



@pytest.mark.parametrize("info", all_lessons(), ids=lambda info: info.number)
def test_lesson_has_a_workshop_plan(info):
    assert (ROOT / "docs" / "workshops" / f"{info.number}_{info.slug}.md").exists()
