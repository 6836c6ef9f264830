"""Exports to the tools classes use: a gradebook CSV for Canvas's import, an autograder zip for Gradescope.

``canvas.py`` turns a gradebook written by ``course grade`` into Canvas's gradebook CSV; ``gradescope.py``
writes the zip Gradescope builds an autograder from, whose ``run_autograder`` runs ``autograder.py``.
"""


class ExportError(Exception):
    """Nothing was exported; the message says why and what to do."""


from .canvas import export_canvas  # noqa: E402 - both modules raise ExportError
from .gradescope import export_gradescope  # noqa: E402

__all__ = ["ExportError", "export_canvas", "export_gradescope"]
