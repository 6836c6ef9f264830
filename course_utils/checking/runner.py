"""Run one exercise's checker on a learner's function and return a Verdict.

The runner is the only place that calls learner code: it copies the inputs
(so an in-place edit cannot corrupt the checker's cases) and compares the
copies with the originals afterwards (so an in-place edit or a hook left on a
model is named, see ``side_effects``), silences the learner's prints, and
turns every exception into a verdict. Nothing a learner's function does makes
the checker itself print a traceback.
"""
import contextlib
import copy
import io

from ..threads import one_thread
from .failures import CheckFailure, NotAttempted
from .formatting import show
from .side_effects import check_side_effects
from .verdict import ERROR, FAILED, NOT_ATTEMPTED, PASSED, Verdict


class LearnerFunction:
    """A learner's function as a checker sees it: calls are isolated and explained."""

    def __init__(self, function, name, may_modify=()):
        self.function = function
        self.name = name
        self.may_modify = tuple(may_modify)

    def __call__(self, *args, **kwargs):
        return self.call_with_inputs(*args, **kwargs)[0]

    def call_with_inputs(self, *args, **kwargs):
        """``(result, args, kwargs)``: the result with the copies of the arguments the learner received.

        Gradients flow from the result to those copies (a tensor that requires grad is copied as a leaf that
        requires grad), so a checker of a loss differentiates with respect to them, not its originals.
        """
        originals = (args, kwargs)
        args, kwargs = copy.deepcopy((args, kwargs))
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                result = self.function(*args, **kwargs)
        except NotImplementedError:
            raise NotAttempted() from None
        except RecursionError:
            raise CheckFailure(f"`{self.name}` recursed too deeply.", case=_call_case(args, kwargs),
                               show_values=False) from None
        except Exception as error:  # the learner's exception becomes a sentence
            raise CheckFailure(f"`{self.name}` raised {type(error).__name__}: {error}",
                               case=_call_case(args, kwargs), show_values=False) from None
        check_side_effects(self.name, self.function, originals, (args, kwargs), self.may_modify)
        return result, args, kwargs


def call_with_inputs(function, *args, **kwargs):
    """``(result, args, kwargs)`` for a learner's wrapped function or a plain one (a reference, in hidden cases).

    What a checker needs to look at the inputs after the call: the model a training step trained, the leaves a
    loss's gradients reach.
    """
    if isinstance(function, LearnerFunction):
        return function.call_with_inputs(*args, **kwargs)
    return function(*args, **kwargs), args, kwargs


def _call_case(args, kwargs):
    parts = [show(a) for a in args] + [f"{k}={show(v)}" for k, v in kwargs.items()]
    return "called with " + ", ".join(parts) if parts else "called with no arguments"


def run_check(exercise, function):
    """Check ``function`` against ``exercise``; never raises."""
    if not callable(function):
        return Verdict(exercise.id, FAILED, exercise.points,
                       message=(f"the check needs the function itself, e.g. `check({exercise.name})`, "
                                f"but it got {show(function)}."), show_values=False)
    try:
        with one_thread():  # tiny cases: one thread is fastest, and fair to a busy machine
            exercise.checker(exercise.learner(function))
    except NotAttempted:
        return Verdict(exercise.id, NOT_ATTEMPTED, exercise.points)
    except CheckFailure as failure:
        return Verdict(exercise.id, FAILED, exercise.points, message=failure.message, case=failure.case,
                       expected=failure.expected, got=failure.got, hint=failure.hint,
                       show_values=failure.show_values)
    except Exception as error:  # a bug in a checker must still not show a traceback
        return Verdict(exercise.id, ERROR, exercise.points,
                       message=(f"the checker hit an unexpected {type(error).__name__} ({error}). "
                                f"Your answer may be fine; please report this to the course authors."),
                       show_values=False)
    return Verdict(exercise.id, PASSED, exercise.points)
