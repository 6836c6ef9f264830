"""Time `course grade` as a class grows: seconds per submission and peak memory, per lesson and way of running.

    python benchmarks/grading.py [--lessons 01,05,10] [--counts 20,40,80] [--modes 1,2,dask] [--out DIR]

Modes: `--jobs 1`, `--jobs 2`, and `dask` (a local Dask cluster of 2 single-threaded worker processes,
reached with `--scheduler`). Lesson 01's class is generated from notebooks/01_perceptron.ipynb (correct,
empty, partly correct, with a mistake, with a hard-coded answer, in rotation), the same way
tests/grading_fixtures.py builds them; other lessons rotate their solution and their untouched student
notebook. Writes grading.md and grading.json: wall seconds, seconds per submission, the growth of seconds
per submission from the smallest class to the largest (1.0 means total time grows linearly), peak resident
memory summed over the whole process tree (pages a forked grader shares with its warm server are counted
in both, so this overstates), the load average (other work on the machine skews everything), and whether
every mode gave every submission the same points.

benchmarks/nbgrader_compare.py grades a lesson 01 class with `nbgrader autograde` side by side.
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
DASK_WORKERS = 2


def make_class(folder, count, lesson="01"):
    """``count`` submissions of ``lesson`` in ``folder``, each with its student id in the metadata."""
    import copy

    import nbformat

    folder.mkdir(parents=True)
    if lesson == "01":
        from grading_fixtures import _student, _submissions

        builders = _submissions()
        versions = [builders[kind][0](copy.deepcopy(_student())) for kind in KINDS]
        kinds = KINDS
    else:
        name = next((ROOT / "solutions").glob(f"{lesson}_*.ipynb")).name
        versions = [nbformat.read(ROOT / "solutions" / name, 4), nbformat.read(ROOT / "notebooks" / name, 4)]
        kinds = ["correct", "empty"]
    for index in range(count):
        nb = copy.deepcopy(versions[index % len(versions)])
        kind = kinds[index % len(kinds)]
        nb.metadata["course"] = {"student_id": f"student{index:03d}-{kind}"}
        (folder / f"student{index:03d}.ipynb").write_text(nbformat.writes(nb) + "\n")


def run(folder, out, mode, seed, lesson="01"):
    """One `course grade` run over ``folder``: seconds, peak memory, load and each student's total."""
    command = [sys.executable, "-m", "course_utils.cli", "grade", str(folder), "--out", str(out), "--seed",
               str(seed), "--lesson", lesson, "--force"]
    cluster = None
    if mode == "dask":
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=DASK_WORKERS, threads_per_worker=1, processes=True, dashboard_address=None)
        command += ["--scheduler", cluster.scheduler_address]
    else:
        command += ["--jobs", mode]
    monitor = PeakMemory(interval=0.2)
    load = os.getloadavg()[0]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    monitor.watch(os.getpid() if cluster else process.pid)  # the cluster's workers are this process's children
    output, _ = process.communicate()
    seconds = time.perf_counter() - start
    monitor.stop()
    if cluster is not None:
        cluster.close()
    if process.returncode != 0:
        raise SystemExit(f"course grade failed:\n{output[-3000:]}")
    with open(out, newline="") as stream:
        points = {row["student"]: row["total"] for row in csv.DictReader(stream)}
    return {"mode": mode, "seconds": round(seconds, 1), "peak_mb": round(monitor.peak_bytes / 2**20),
            "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1), "points": points}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", default="01,05,10")
    parser.add_argument("--counts", default="20,40,80")
    parser.add_argument("--modes", default="1,2,dask", help="any of 1, 2 (--jobs) and dask")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    lessons, modes = args.lessons.split(","), args.modes.split(",")
    counts = sorted(int(c) for c in args.counts.split(","))
    runs = []
    for lesson in lessons:
        for count in counts:
            with tempfile.TemporaryDirectory(prefix="course-grade-bench-") as scratch:
                folder = Path(scratch) / "submitted"
                make_class(folder, count, lesson)
                for mode in modes:
                    result = run(folder, Path(scratch) / f"gradebook-{mode}.csv", mode, args.seed, lesson)
                    result.update(lesson=lesson, count=count, per_submission=round(result["seconds"] / count, 2))
                    runs.append(result)
                    print(f"lesson {lesson}, {count} submissions, {_label(mode)}: {result['seconds']:.1f} s, "
                          f"{result['per_submission']:.2f} s each, peak {result['peak_mb']} MB (load average "
                          f"{result['load_before']} -> {result['load_after']})", flush=True)
    same = all(r["points"] == s["points"] for r in runs for s in runs
               if (r["lesson"], r["count"]) == (s["lesson"], s["count"]))
    growth = {f"{lesson} {_label(mode)}": _growth(runs, lesson, mode, counts) for lesson in lessons for mode in modes}
    machine = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": psutil.cpu_count(), "platform": platform.platform()}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "grading.json").write_text(json.dumps({"machine": machine, "runs": runs, "growth": growth,
                                                       "same_points": same}, indent=1) + "\n")
    lines = [f"Measured {machine['date']} on {machine['cpus']} CPU cores ({machine['platform']}).", "",
             "| lesson | submissions | run | wall seconds | per submission | peak memory (MB) | load before → after |",
             "|---|---:|---|---:|---:|---:|---|"]
    lines += [f"| {r['lesson']} | {r['count']} | {_label(r['mode'])} | {r['seconds']:.1f} | {r['per_submission']:.2f} | "
              f"{r['peak_mb']} | {r['load_before']} → {r['load_after']} |" for r in runs]
    lines += ["", f"Seconds per submission at {counts[-1]} over those at {counts[0]} (1.0: total time grows linearly):",
              ""] + [f"- lesson {key}: {value}" for key, value in growth.items()]
    lines += ["", f"Every run gave every submission the same points: {'yes' if same else 'NO'}."]
    (args.out / "grading.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-len(growth) - 3:]))
    return 0 if same else 1


def _label(mode):
    return f"Dask, {DASK_WORKERS} workers" if mode == "dask" else f"--jobs {mode}"


def _growth(runs, lesson, mode, counts):
    per = {r["count"]: r["per_submission"] for r in runs if (r["lesson"], r["mode"]) == (lesson, mode)}
    return round(per[counts[-1]] / per[counts[0]], 2) if per.get(counts[0]) else None


if __name__ == "__main__":
    sys.exit(main())
