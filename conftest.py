"""Test-wide setup: a throwaway progress store, no network, and nbval's output filter.

nbval compares a cell's fresh outputs with the committed ones. Outputs that
differ between runs by nature (stderr, pictures, HTML, widgets) are left out
of the comparison here; text outputs are compared after tests/nbval_sanitize.cfg,
with printed numbers allowed to differ in their last digit (tests/printed_numbers.py).
"""
import os
import sys
import tempfile

import nbformat

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "tests"))
from printed_numbers import align_numbers  # noqa: E402

from course_utils.offline import install_socket_guard

_scratch = tempfile.mkdtemp(prefix="course-tests-")
# Set before any kernel starts: nbval's kernels inherit this environment.
os.environ["COURSE_PROGRESS_FILE"] = os.path.join(_scratch, "progress.json")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["PYTHONHASHSEED"] = "0"
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")

SKIPPED_MIME_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "text/html", "text/markdown",
                      "application/javascript", "application/vnd.jupyter.widget-view+json")


def _comparable(outputs):
    """Drop stderr and every rich or widget output; keep stdout, results and plain text."""
    kept = []
    for output in outputs:
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            continue
        data = output.get("data")
        if data is not None:
            if "application/vnd.jupyter.widget-view+json" in data or any(k.startswith("image/") for k in data):
                continue  # a widget or a figure: its text/plain is only a repr
            data = {k: v for k, v in data.items() if k not in SKIPPED_MIME_TYPES}
            if not data:
                continue
            output = nbformat.NotebookNode(dict(output, data=data))
        kept.append(output)
    return kept


try:
    from nbval.plugin import IPyNbCell
except ImportError:  # nbval is a dev dependency; unit tests run without it
    IPyNbCell = None

if IPyNbCell is not None:
    _compare_outputs = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        test, ref = _comparable(test), _comparable(ref)
        return _compare_outputs(self, align_numbers(test, ref), ref, skip_compare)

    IPyNbCell.compare_outputs = compare_outputs


# Offline: the pytest process and every kernel it starts (through an IPython
# startup file) refuse connections to other machines.
install_socket_guard()
_startup = os.path.join(_scratch, "ipython", "profile_default", "startup")
os.makedirs(_startup, exist_ok=True)
with open(os.path.join(_startup, "00-offline.py"), "w") as _file:
    _file.write("from course_utils.offline import install_socket_guard\ninstall_socket_guard()\n")
os.environ["IPYTHONDIR"] = os.path.join(_scratch, "ipython")
