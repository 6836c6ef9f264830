"""The checker framework: compare helpers, failures, verdicts and the runner."""
from .compare import as_array, as_float, expect_close, expect_equal, expect_true, expect_type, relative_error
from .failures import CheckFailed, CheckFailure, NotAttempted
from .gradients import gradients
from .mistakes import Mistakes
from .runner import LearnerFunction, call_with_inputs, run_check
from .verdict import ERROR, FAILED, NOT_ATTEMPTED, PASSED, Verdict

__all__ = [
    "as_array", "as_float", "expect_close", "expect_equal", "expect_true", "expect_type", "relative_error", "gradients",
    "Mistakes",
    "CheckFailed", "CheckFailure", "NotAttempted", "LearnerFunction", "call_with_inputs", "run_check",
    "PASSED", "FAILED", "NOT_ATTEMPTED", "ERROR", "Verdict",
]
