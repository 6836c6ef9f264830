"""Execute each solution notebook in a fresh kernel; record wall seconds and the kernel's peak memory.

    python benchmarks/notebooks.py [NOTEBOOK ...] [--out benchmarks/results]

Writes notebooks.md (a table) and notebooks.json. The budgets (60 s and 2 GB per
notebook, 10 minutes for the course) are reported, not enforced: this is a
measurement, not a timed test.
"""
import argparse
import json
import platform
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils.execution import execute  # noqa: E402

BUDGET_SECONDS, BUDGET_MB, COURSE_BUDGET_SECONDS = 60, 2048, 600


class PeakMemory:
    """Samples the resident memory of a process and its children until stopped."""

    def __init__(self, interval=0.05):
        self.interval, self.peak_bytes, self._pid = interval, 0, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def watch(self, pid):
        self._pid = pid
        self._thread.start()

    def _sample(self):
        process = psutil.Process(self._pid)
        total = process.memory_info().rss
        for child in process.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        self.peak_bytes = max(self.peak_bytes, total)

    def _run(self):
        while not self._stop.is_set():
            try:
                self._sample()
            except psutil.Error:
                return
            time.sleep(self.interval)

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def measure(path):
    monitor = PeakMemory()
    start = time.perf_counter()
    error = None
    try:
        execute(path, write=False, on_kernel_start=monitor.watch)
    except Exception as failure:  # record it and go on with the next notebook
        error = f"{type(failure).__name__}: {str(failure).strip().splitlines()[-1] if str(failure).strip() else ''}"
    seconds = time.perf_counter() - start
    monitor.stop()
    peak_mb = monitor.peak_bytes / 2**20
    within = error is None and seconds <= BUDGET_SECONDS and peak_mb <= BUDGET_MB
    return {"notebook": Path(path).name, "seconds": round(seconds, 1), "peak_mb": round(peak_mb),
            "within_budget": within, "error": error}


def markdown(rows, machine):
    lines = [f"Measured {machine['date']} on {machine['cpus']} CPU cores ({machine['platform']}).", "",
             "| notebook | wall seconds | peak kernel RSS (MB) | within 60 s / 2 GB |", "|---|---:|---:|---|"]
    for row in rows:
        verdict = "yes" if row["within_budget"] else ("ERROR: " + row["error"] if row["error"] else "NO")
        lines.append(f"| {row['notebook']} | {row['seconds']:.1f} | {row['peak_mb']} | {verdict} |")
    total = sum(row["seconds"] for row in rows)
    lines += ["", f"Total: {total:.1f} s (course budget {COURSE_BUDGET_SECONDS} s)."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "solutions").glob("*.ipynb"))
    rows = []
    for path in paths:
        row = measure(path)
        rows.append(row)
        print(f"{row['notebook']:40s} {row['seconds']:6.1f} s {row['peak_mb']:6d} MB"
              f"{'' if row['within_budget'] else '  OVER BUDGET' if not row['error'] else '  ' + row['error']}",
              flush=True)
    machine = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": psutil.cpu_count(), "platform": platform.platform()}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "notebooks.json").write_text(json.dumps({"machine": machine, "notebooks": rows}, indent=1) + "\n")
    (args.out / "notebooks.md").write_text(markdown(rows, machine))
    print(f"\nwrote {args.out / 'notebooks.md'} and notebooks.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
