"""What a lesson notebook talks to: ``lesson = start_lesson("01")``.

``lesson.check(fn)`` prints a verdict and records it; ``lesson.use(fn)`` hands
back the learner's function when it passes, or the reference with one line
saying so, so that one stuck exercise never blocks the rest of the lesson.
"""
import os

from . import exercises, progress
from .room import client as room
from .checking import CheckFailed, run_check
from .lessons import get_lesson
from .plotting import setup_style
from .seeding import seed_everything
from .threads import use_one_thread


def strict_mode():
    """COURSE_STRICT=1 turns a check that does not pass into an exception (used on solutions/)."""
    return os.environ.get("COURSE_STRICT", "") == "1"


class Lesson:
    def __init__(self, info):
        self.info = info
        self._last = {}  # exercise id -> (function checked, verdict)

    @property
    def number(self):
        return self.info.number

    def _exercise_for(self, function, exercise_name):
        name = exercise_name or getattr(function, "__name__", None)
        known = ", ".join(f"`{e.name}`" for e in exercises.for_lesson(self.number))
        if not name or name == "<lambda>":
            return None, (f"Pass the function you wrote, by name, e.g. `lesson.check(my_function)`. "
                          f"This lesson's exercises are: {known}.")
        try:
            return exercises.get(f"{self.number}.{name}"), None
        except KeyError:
            return None, (f"There is no exercise called `{name}` in lesson {self.number}. "
                          f"Its exercises are: {known}. If you renamed your function, pass "
                          f"`exercise=\"the_original_name\"`.")

    def _verdict(self, exercise, function):
        last = self._last.get(exercise.id)
        if last and last[0] is function:
            return last[1]
        verdict = run_check(exercise, function)
        self._last[exercise.id] = (function, verdict)
        return verdict

    def check(self, function, exercise=None):
        """Check ``function``, print the verdict, record it in the progress store."""
        found, problem = self._exercise_for(function, exercise)
        if found is None:
            print(problem)
            if strict_mode():
                raise CheckFailed(problem)
            return
        verdict = run_check(found, function)
        self._last[found.id] = (function, verdict)
        progress.record(verdict)
        room.report(verdict)  # only inside a hub that runs the room view; never blocks or fails the check
        print(verdict.text())
        if strict_mode() and not verdict.passed:
            raise CheckFailed(verdict.text())

    def demo_check(self, function, exercise):
        """Show the verdict ``function`` would get, without recording it or raising (for teaching)."""
        found, problem = self._exercise_for(function, exercise)
        print(problem if found is None else run_check(found, function).text())

    def use(self, function, exercise=None):
        """The learner's function if it passes its check, else the reference (said in one line)."""
        found, problem = self._exercise_for(function, exercise)
        if found is None:
            print(problem)
            raise CheckFailed(problem)
        verdict = self._verdict(found, function)
        if verdict.passed:
            return function
        if strict_mode():
            raise CheckFailed(verdict.text())
        reason = "is not attempted yet" if verdict.status == "not_attempted" else "does not pass its check yet"
        print(f"Using the course's reference `{found.name}` below, because yours {reason}.")
        return found.reference

    def exercises(self):
        return exercises.for_lesson(self.number)

    def show_progress(self):
        """This lesson's progress as a widget (plain text without a widget frontend)."""
        from IPython.display import display

        from .widgets import ProgressView

        display(ProgressView(self.number))


def start_lesson(number, seed=0):
    """Seed everything, use one compute thread, set the plot style, and return the lesson's handle."""
    seed_everything(seed)
    use_one_thread()
    setup_style()
    return Lesson(get_lesson(number))
