"""Execute one submission in a fresh kernel: ``python -m course_utils.grading.run_notebook JOB.json``.

Runs in the submission's temporary working folder, under the watchdog of
``sandbox.run_watched`` (which enforces the notebook time limit and the memory
limit). Cells that raise do not stop the run (allow_errors); a cell past the
per-cell limit or a dead kernel ends it. Outputs are counted, never kept, so a
submission that prints megabytes costs no memory here. Writes a small JSON
result next to the job, naming the cells' errors (``OSError: [Errno 30] Read-only
file system: ...``) so that a row says what the sandbox refused.

Inside the sandbox (``"sandboxed"`` in the job) this process is the PID
namespace's first process besides bubblewrap's: any other process still alive
after the kernel has shut down was left behind by the notebook (a daemon); it is
named in the result, and dies with the namespace when this process ends.
"""
import json
import os
import sys
from pathlib import Path

from . import lean_imports  # noqa: F401 - before nbformat

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellTimeoutError, DeadKernelError
import psutil  # noqa: E402

from ..execution import course_environment


class CountingClient(NotebookClient):
    """A NotebookClient that drops outputs (counting errors and bytes, naming a few errors) instead of storing them."""

    errors = 0
    output_bytes = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_messages = []

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        if msg.get("msg_type") == "error":
            self.errors += 1
            message = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"
            if len(self.error_messages) < 5 and message not in self.error_messages:
                self.error_messages.append(message[:150])
        self.output_bytes += len(str(content.get("text", ""))) if isinstance(content, dict) else 0
        return None


def main(job_path):
    job = json.loads(Path(job_path).read_text())
    workdir = Path(job["workdir"])
    result = {"status": "completed", "cells": 0, "errors": 0, "detail": ""}

    def write():
        Path(job["result"]).write_text(json.dumps(result))

    try:
        nb = nbformat.read(str(workdir / job["notebook"]), as_version=4)
    except Exception as error:  # noqa: BLE001
        result.update(status="invalid notebook", detail=str(error)[:300])
        write()
        return 0
    # "immediate": once the last cell has answered, the kernel is stopped at once; a graceful shutdown
    # waited up to 3 s more per submission for the kernel to tear itself down, with nothing left to collect
    client = CountingClient(nb, timeout=job["cell_timeout"], kernel_name="python3", allow_errors=True,
                            record_timing=False, resources={"metadata": {"path": str(workdir)}},
                            shutdown_kernel="immediate")
    with course_environment(strict=False, progress_file=workdir / ".progress.json", figures=False):
        try:
            with client.setup_kernel():
                Path(job["pids"]).write_text(str(client.km.provisioner.process.pid))
                for index, cell in enumerate(nb.cells):
                    if cell.get("cell_type") != "code":
                        continue
                    client.execute_cell(cell, index)
                    cell.outputs = []
                    result["cells"] += 1
                    result.update(errors=client.errors, error_messages=client.error_messages)
                    write()
        except CellTimeoutError:
            result.update(status="timeout", detail=f"a cell ran longer than {job['cell_timeout']} s")
        except DeadKernelError:
            result.update(status="kernel died", detail="the kernel stopped while a cell ran")
        except Exception as error:  # noqa: BLE001 - anything else still gets a row
            result.update(status="kernel died", detail=f"{type(error).__name__}: {str(error)[:300]}")
    result.update(errors=client.errors, error_messages=client.error_messages)
    if job.get("sandboxed") and result["status"] == "completed":
        result["detail"] = _left_behind()
    write()
    return 0


def _left_behind():
    """The processes, other than bubblewrap's and this one, still alive in the sandbox's PID namespace."""
    names = []
    for process in psutil.process_iter(["pid", "cmdline", "status"]):
        if process.info["pid"] not in (1, os.getpid()) and process.info["status"] != psutil.STATUS_ZOMBIE:
            command = process.info["cmdline"] or ["?"]
            names.append(" ".join([Path(command[0]).name, *command[1:]])[:100])
    if not names:
        return ""
    return (f"left {len(names)} process(es) running after the notebook ended, stopped with its sandbox: "
            + "; ".join(names[:3]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
