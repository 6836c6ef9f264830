"""The two ways a check can stop early: the learner has not started, or a case failed."""


class NotAttempted(Exception):
    """The learner's function still raises NotImplementedError (the stub)."""


class CheckFailure(Exception):
    """One failing case, described for a learner.

    Checkers raise it (usually through the helpers in ``compare``); the runner
    turns it into a :class:`~course_utils.checking.verdict.Verdict`.
    """

    def __init__(self, message, *, case=None, expected=None, got=None, hint=None, show_values=True):
        super().__init__(message)
        self.message = message
        self.case = case
        self.expected = expected
        self.got = got
        self.hint = hint
        self.show_values = show_values


class CheckFailed(AssertionError):
    """Raised by ``Lesson.check`` under COURSE_STRICT=1 when a check does not pass."""
