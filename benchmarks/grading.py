"""Time `course grade` on a class of lesson 01 submissions: parallel (--jobs N) against sequential (--jobs 1).

    python benchmarks/grading.py [--count 20] [--jobs 2] [--out benchmarks/results]

The submissions are generated from notebooks/01_perceptron.ipynb (correct,
empty, partly correct, with a mistake, with a hard-coded answer, in rotation),
the same way tests/grading_fixtures.py builds them. Writes grading.md and
grading.json: wall seconds of each run, the speed-up, the peak memory of the
whole process tree (sampled with benchmarks/notebooks.py's PeakMemory), the
machine's load average (other work on the machine skews the ratio), and
whether both runs gave every submission the same points.

benchmarks/nbgrader_compare.py grades the same class with `nbgrader autograde`
(installed in its own virtual environment) and compares time and points.
"""
import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from notebooks import PeakMemory  # noqa: E402  (benchmarks/notebooks.py)

KINDS = ["correct", "empty", "partial_two", "partial_mistake", "hardcoded_answer"]


def make_class(folder, count):
    import copy

    import nbformat
    from grading_fixtures import _student, _submissions

    builders = _submissions()
    folder.mkdir(parents=True)
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        nb = builders[kind][0](copy.deepcopy(_student()))
        nb.metadata["course"] = {"student_id": f"student{index:02d}-{kind}"}
        (folder / f"student{index:02d}.ipynb").write_text(nbformat.writes(nb) + "\n")


def run(folder, out, jobs, seed):
    command = [sys.executable, "-m", "course_utils.cli", "grade", str(folder), "--out", str(out), "--jobs",
               str(jobs), "--seed", str(seed), "--lesson", "01", "--force"]
    monitor = PeakMemory(interval=0.2)
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    monitor.watch(process.pid)
    output, _ = process.communicate()
    seconds = time.perf_counter() - start
    monitor.stop()
    if process.returncode != 0:
        raise SystemExit(f"course grade failed:\n{output[-3000:]}")
    with open(out, newline="") as stream:
        points = {row["student"]: row["total"] for row in csv.DictReader(stream)}
    return {"jobs": jobs, "seconds": round(seconds, 1), "peak_mb": round(monitor.peak_bytes / 2**20),
            "load_before": round(os.getloadavg()[0], 1), "points": points}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="course-grade-bench-") as scratch:
        folder = Path(scratch) / "submitted"
        make_class(folder, args.count)
        runs = []
        for jobs in (args.jobs, 1):
            load = os.getloadavg()[0]
            result = run(folder, Path(scratch) / f"gradebook-{jobs}.csv", jobs, args.seed)
            result["load_before"] = round(load, 1)
            result["load_after"] = round(os.getloadavg()[0], 1)
            runs.append(result)
            print(f"--jobs {jobs}: {result['seconds']:.1f} s, peak {result['peak_mb']} MB "
                  f"(load average {result['load_before']} -> {result['load_after']})", flush=True)
    parallel, sequential = runs
    ratio = sequential["seconds"] / parallel["seconds"]
    same = parallel["points"] == sequential["points"]
    machine = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": psutil.cpu_count(), "platform": platform.platform()}
    summary = {"machine": machine, "submissions": args.count, "runs": runs, "speedup": round(ratio, 2),
               "same_points": same}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "grading.json").write_text(json.dumps(summary, indent=1) + "\n")
    lines = [f"Measured {machine['date']} on {machine['cpus']} CPU cores ({machine['platform']}).", "",
             f"`course grade` on {args.count} lesson 01 submissions (each: a fresh kernel runs the notebook, then "
             f"the clean grader checks its functions).", "",
             "| run | wall seconds | per submission | peak memory (MB) | load average before → after |",
             "|---|---:|---:|---:|---|"]
    for result in runs:
        lines.append(f"| --jobs {result['jobs']} | {result['seconds']:.1f} | {result['seconds'] / args.count:.1f} | "
                     f"{result['peak_mb']} | {result['load_before']} → {result['load_after']} |")
    lines += ["", f"Speed-up of --jobs {args.jobs} over --jobs 1: **{ratio:.2f}×**. "
              f"Both runs gave every submission the same points: {'yes' if same else 'NO'}.", "",
              "A load average above the core count means other work shared the machine, which lowers the speed-up."]
    (args.out / "grading.md").write_text("\n".join(lines) + "\n")
    print(f"speed-up {ratio:.2f}x; wrote {args.out / 'grading.md'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
