"""From Perceptrons to Circuits: the course's helper package.

A lesson notebook starts with ``lesson = start_lesson("NN")``.
"""
import os

# The course never downloads anything at run time: tell the Hugging Face stack
# (which TransformerLens imports) to stay offline before anything imports it.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from .notebook import Lesson, start_lesson  # noqa: E402

__all__ = ["Lesson", "start_lesson"]
__version__ = "0.1.0"
