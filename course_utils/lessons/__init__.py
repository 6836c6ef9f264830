"""The lesson catalogue: each lesson's checks module declares a ``LESSON = LessonInfo(...)``."""
import importlib
from dataclasses import dataclass

from .. import exercises


@dataclass(frozen=True)
class LessonInfo:
    number: str          # "01"
    slug: str            # "perceptron": the notebook is NN_slug.ipynb
    title: str
    minutes: int         # expected time for a learner working alone
    summary: str         # one line for the README's course map and `course progress`
    draft: bool = False  # scaffolded by `course new` and still being written: exempt from the 5-exercise minimum

    @property
    def notebook_name(self):
        return f"{self.number}_{self.slug}.ipynb"


def all_lessons():
    """Every lesson that has a checks module, in order."""
    found = []
    for module_name in exercises.check_modules():
        info = getattr(importlib.import_module(module_name), "LESSON", None)
        if info is None:
            raise RuntimeError(f"{module_name} must define LESSON = LessonInfo(...)")
        found.append(info)
    return sorted(found, key=lambda info: info.number)


def get_lesson(number):
    number = f"{int(number):02d}" if str(number).isdigit() else str(number)
    info = getattr(exercises.lesson_module(number), "LESSON", None)
    if info is not None:
        return info
    known = ", ".join(info.number for info in all_lessons())
    raise KeyError(f"there is no lesson {number!r}; the lessons are {known}")
