"""From Perceptrons to Circuits: the course's helper package.

A lesson notebook starts with ``lesson = start_lesson("NN")``.
"""
import os

# The course never downloads anything at run time: tell the Hugging Face stack
# (which TransformerLens imports) to stay offline before anything imports it.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

__all__ = ["Lesson", "start_lesson"]
__version__ = "0.1.0"


def __getattr__(name):
    # Imported on first use: the command line and the grading processes import this package
    # without needing notebook.py's matplotlib and widgets.
    if name in __all__:
        from . import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
