"""The outcome of one check, and the short text a learner reads."""
from dataclasses import dataclass

from .formatting import show, show_pair

PASSED, FAILED, NOT_ATTEMPTED, ERROR = "passed", "failed", "not_attempted", "error"


@dataclass(frozen=True)
class Verdict:
    exercise_id: str
    status: str
    max_points: int
    message: str = ""
    case: object = None
    expected: object = None
    got: object = None
    hint: str | None = None
    show_values: bool = True

    @property
    def passed(self):
        return self.status == PASSED

    @property
    def points(self):
        return self.max_points if self.passed else 0

    def text(self):
        score = f"({self.points}/{self.max_points} point{'s' if self.max_points != 1 else ''})"
        if self.status == PASSED:
            return f"{self.exercise_id}: passed {score}."
        if self.status == NOT_ATTEMPTED:
            return (f"{self.exercise_id}: not attempted yet {score}. Replace `raise NotImplementedError()` "
                    f"with your code, then run this check again.")
        label = "not yet" if self.status == FAILED else "could not be checked"
        message = self.message[:1].upper() + self.message[1:]
        lines = [f"{self.exercise_id}: {label} {score}. {message}".rstrip()]
        if self.case is not None:
            lines.append(f"  case:     {_describe_case(self.case)}")
        if self.show_values and self.status == FAILED:
            expected, got = show_pair(self.expected, self.got)
            lines.append(f"  expected: {expected}")
            lines.append(f"  got:      {got}")
        if self.hint:
            lines.append(f"  hint:     {self.hint}")
        return "\n".join(lines)

    def __str__(self):
        return self.text()

    def _repr_pretty_(self, printer, cycle):
        printer.text(self.text())


def _describe_case(case):
    if isinstance(case, dict):
        return ", ".join(f"{name}={show(value)}" for name, value in case.items())
    return str(case)
