"""The exercise registry: every graded exercise, its id, points, checker and reference.

Checkers register themselves with the :func:`exercise` decorator in
``course_utils/lessons/lessonNN_slug/checks.py``; importing those modules (done by
:func:`load_all`, or one lesson at a time by :func:`lesson_module`) fills the registry.
An id is ``"NN.function_name"``: the lesson number, then the name of the function the learner completes.
"""
import importlib
import pkgutil
import re
from dataclasses import dataclass
from typing import Callable

ID_PATTERN = re.compile(r"^(\d\d)\.([a-z_][a-z0-9_]*)$")

_REGISTRY: dict[str, "Exercise"] = {}


@dataclass(frozen=True)
class Exercise:
    id: str
    points: int
    checker: Callable
    reference: Callable
    title: str
    may_modify: tuple = ()  # arguments the docstring lets the learner change in place (a model being trained)
    mistakes: tuple = ()  # the known mistakes (checking.mistakes.Mistakes): hint -> wrong implementation

    @property
    def lesson(self):
        return self.id.split(".")[0]

    @property
    def name(self):
        """The name of the function the learner completes."""
        return self.id.split(".")[1]

    def learner(self, function):
        """The learner's function wrapped as every checker and hidden case calls it (isolated, side effects seen)."""
        from .checking.runner import LearnerFunction

        return LearnerFunction(function, self.name, self.may_modify)


def exercise(exercise_id, *, points, reference, title, may_modify=(), mistakes=()):
    """Register the decorated checker for ``exercise_id``.

    The checker receives the learner's function (wrapped so that calls are
    isolated) and raises ``CheckFailure`` for the first failing case.
    ``mistakes`` are the exercise's known mistakes (a ``Mistakes``): the checker
    names them by their answers, and the test suite runs each one as a mutant.
    """
    if not ID_PATTERN.match(exercise_id):
        raise ValueError(f"exercise id {exercise_id!r} must look like '01.function_name'")
    if points < 1:
        raise ValueError(f"exercise {exercise_id} needs at least one point")

    def register(checker):
        if exercise_id in _REGISTRY and _REGISTRY[exercise_id].checker.__module__ != checker.__module__:
            raise ValueError(f"exercise {exercise_id} is registered twice")
        _REGISTRY[exercise_id] = Exercise(exercise_id, points, checker, reference, title, tuple(may_modify),
                                             tuple(mistakes))
        return checker

    return register


def lesson_packages():
    """Names of every lesson's package (``course_utils.lessons.lessonNN_slug``), in lesson order."""
    import course_utils.lessons as package

    return sorted(f"{package.__name__}.{info.name}" for info in pkgutil.iter_modules(package.__path__)
                  if info.ispkg and re.match(r"lesson\d\d_", info.name))


def check_modules():
    """Names of every lesson's checks module, in lesson order."""
    return [f"{name}.checks" for name in lesson_packages()]


def load_all():
    """Import every lesson's checks module so the registry is complete."""
    for module_name in check_modules():
        importlib.import_module(module_name)


def _lesson_part(lesson, part):
    for package in lesson_packages():
        if package.rsplit(".", 1)[-1].startswith(f"lesson{lesson}_"):
            return importlib.import_module(f"{package}.{part}")
    return None


def lesson_module(lesson):
    """The checks module of lesson ``"NN"`` (imported), or None when there is none.

    Loading one lesson's checks, not all, keeps a lesson's kernel from importing
    the libraries of every later lesson (torch, scikit-learn, ...): seconds per
    kernel, which a grading batch pays once per submission.
    """
    return _lesson_part(lesson, "checks")


def hidden_cases_module(lesson):
    """The hidden cases module of lesson ``"NN"`` (imported, so its generators are registered), or None."""
    return _lesson_part(lesson, "hidden_cases")


def get(exercise_id):
    """The exercise with this id, or a KeyError that lists the known ones for its lesson."""
    lesson = exercise_id.split(".")[0]
    lesson_module(lesson)
    if exercise_id not in _REGISTRY:
        known = ", ".join(e.id for e in for_lesson(lesson)) or "none"
        raise KeyError(f"there is no exercise {exercise_id!r}; lesson {lesson} has: {known}")
    return _REGISTRY[exercise_id]


def for_lesson(lesson):
    """The lesson's exercises in the order they were registered (the notebook's order)."""
    lesson_module(lesson)
    return [e for e in _REGISTRY.values() if e.lesson == lesson]


def registry():
    """The live mapping of id to Exercise, for the grader's tamper snapshot (which must see the registry itself)."""
    return _REGISTRY


def all_exercises():
    load_all()
    return sorted(_REGISTRY.values(), key=lambda e: e.lesson)
