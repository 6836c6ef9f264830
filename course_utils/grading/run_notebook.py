"""Execute one submission in a fresh kernel: ``python -m course_utils.grading.run_notebook JOB.json``.

Runs in the submission's temporary working folder, under the watchdog of
``sandbox.run_watched`` (which enforces the notebook time limit and the memory
limit). Cells that raise do not stop the run (allow_errors); a cell past the
per-cell limit or a dead kernel ends it. Outputs are counted, never kept, so a
submission that prints megabytes costs no memory here. Writes a small JSON
result next to the job.
"""
import json
import sys
from pathlib import Path

# jsonschema (under nbformat) imports rfc3987_syntax, when installed, to check IRI formats that notebooks never
# use; it builds a parser at import time, about 1.5 s that every submission would pay. Marking it absent makes
# jsonschema skip that one format check.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from ..execution import course_environment


class CountingClient(NotebookClient):
    """A NotebookClient that drops outputs (counting errors and bytes) instead of storing them."""

    errors = 0
    output_bytes = 0

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        if msg.get("msg_type") == "error":
            self.errors += 1
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
    client = CountingClient(nb, timeout=job["cell_timeout"], kernel_name="python3", allow_errors=True,
                            record_timing=False, resources={"metadata": {"path": str(workdir)}})
    with course_environment(strict=False, progress_file=workdir / ".progress.json"):
        try:
            with client.setup_kernel():
                Path(job["pids"]).write_text(str(client.km.provisioner.process.pid))
                for index, cell in enumerate(nb.cells):
                    if cell.get("cell_type") != "code":
                        continue
                    client.execute_cell(cell, index)
                    cell.outputs = []
                    result["cells"] += 1
                    result["errors"] = client.errors
                    write()
        except CellTimeoutError:
            result.update(status="timeout", detail=f"a cell ran longer than {job['cell_timeout']} s")
        except DeadKernelError:
            result.update(status="kernel died", detail="the kernel stopped while a cell ran")
        except Exception as error:  # noqa: BLE001 - anything else still gets a row
            result.update(status="kernel died", detail=f"{type(error).__name__}: {str(error)[:300]}")
    result["errors"] = client.errors
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
