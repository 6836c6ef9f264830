"""Time `course grade --jobs N` against `nbgrader autograde` on the same class of lesson 01 submissions.

    python benchmarks/nbgrader_compare.py [--count 20] [--jobs 2] [--out benchmarks/results] [--sequential]

Run it with the project's Python (.venv/bin/python). nbgrader is never a project
dependency: the script installs a pinned nbgrader into its own virtual environment,
benchmarks/.nbgrader-venv (gitignored; created on the first run, reused after),
and registers there a kernelspec "course-python" that starts the project's
.venv/bin/python, so that nbgrader executes the notebooks with course_utils,
numpy and torch, exactly as `course grade` does.

Then, in a temporary folder:

1. an nbgrader course for lesson 01: source/lesson01/01_perceptron.ipynb is
   solutions/01_perceptron.ipynb with nbgrader metadata (each exercise cell a
   solution cell; after each exercise's check cell, one autograded test cell worth
   the exercise's points that asserts the course's own checker passes:
   ``run_check(exercises.get(id), fn).passed``); `nbgrader generate_assignment`
   writes the release notebook and `nbgrader db student import` adds the students;
2. the class of benchmarks/grading.py (``make_class``: correct, empty, partly
   correct, with a mistake, with a hard-coded answer, in rotation), as plain
   notebooks for `course grade` and, for nbgrader, as the release notebook with
   each solution cell holding the student's exercise cell
   (submitted/<student>/lesson01/01_perceptron.ipynb);
3. timed: `nbgrader autograde lesson01` (one kernel per notebook, one notebook at a
   time; per-cell timeout = course grade's default --cell-timeout, 120 s) and
   `course grade --jobs N` on the plain notebooks (and `--jobs 1` with --sequential);
4. the points of each student and exercise from nbgrader's gradebook (its API) and
   from course grade's CSV, compared. They differ by design where a submission
   passes the notebook's check but not course grade's hidden cases (the
   hard-coded `count_separable_gates`): nbgrader, running only the notebook's
   check, gives those points.

Writes nbgrader_compare.md and nbgrader_compare.json under --out: wall seconds,
the ratio, peak memory of each process tree, load average before and after each
run, versions, and the points comparison.
"""
import argparse
import copy
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import grading  # noqa: E402  (benchmarks/grading.py: make_class, run; it puts tests/ on sys.path)
from notebooks import PeakMemory  # noqa: E402  (benchmarks/notebooks.py)

NBGRADER_VERSION = "0.9.6"
VENV = ROOT / "benchmarks" / ".nbgrader-venv"
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"
KERNEL_NAME = "course-python"
ASSIGNMENT, NOTEBOOK, LESSON = "lesson01", "01_perceptron", "01"
CELL_TIMEOUT = 120  # course grade's default --cell-timeout (seconds per cell); nbgrader has no per-notebook limit

POINTS_SCRIPT = """
import json, sys
from nbgrader.api import Gradebook, MissingEntry
out = {}
with Gradebook(sys.argv[1]) as gb:
    for student in gb.students:
        try:
            nb = gb.find_submission_notebook(sys.argv[3], sys.argv[2], student.id)
        except MissingEntry:
            continue
        out[student.id] = {"total": nb.score, "max": nb.max_score,
                           "grades": {grade.name: grade.score for grade in nb.grades}}
print(json.dumps(out))
"""


def _bin(name):
    return VENV / "bin" / name


def setup_nbgrader():
    """Install nbgrader==NBGRADER_VERSION into VENV (if not already) and register the project's kernel there."""
    if not _bin("python").exists():
        # the project's venv python would make a venv of the same base interpreter; that is all we need
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    installed = subprocess.run([str(_bin("python")), "-c", "import nbgrader; print(nbgrader.__version__)"],
                               capture_output=True, text=True)
    if installed.returncode != 0 or installed.stdout.strip() != NBGRADER_VERSION:
        print(f"installing nbgrader=={NBGRADER_VERSION} into {VENV.relative_to(ROOT)} ...", flush=True)
        subprocess.run([str(_bin("python")), "-m", "pip", "install", "--quiet", f"nbgrader=={NBGRADER_VERSION}"],
                       check=True)
    python = PROJECT_PYTHON if PROJECT_PYTHON.exists() else Path(sys.executable)
    kernel = VENV / "share" / "jupyter" / "kernels" / KERNEL_NAME
    kernel.mkdir(parents=True, exist_ok=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (course .venv)", "language": "python"}, indent=1) + "\n")
    found = subprocess.run([str(_bin("jupyter")), "kernelspec", "list", "--json"], capture_output=True, text=True,
                           check=True)
    where = json.loads(found.stdout)["kernelspecs"].get(KERNEL_NAME, {}).get("resource_dir")
    if not where or Path(where).resolve() != kernel.resolve():
        raise SystemExit(f"nbgrader's Jupyter does not find the kernelspec {KERNEL_NAME} in {kernel} (found {where})")
    return python


def _nbgrader_meta(grade_id, *, solution, points=None):
    meta = {"grade": points is not None, "grade_id": grade_id, "locked": points is not None,
            "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _test_source(exercise):
    return (f"# Autograded test for {exercise.id} ({exercise.points} point{'s' if exercise.points != 1 else ''}): "
            f"the course's own checker must pass.\n"
            f"from course_utils import exercises as _exercises\n"
            f"from course_utils.checking import run_check as _run_check\n"
            f"_verdict = _run_check(_exercises.get({exercise.id!r}), {exercise.name})\n"
            f"print(_verdict.text())\n"
            f"assert _verdict.passed, _verdict.text()")


def source_notebook():
    """solutions/01_perceptron.ipynb with nbgrader metadata and one autograded test cell per exercise."""
    import nbformat

    from course_utils import exercises
    from course_utils.exercise_cells import exercise_id
    from course_utils.paths import solutions_dir

    nb = nbformat.read(solutions_dir() / f"{NOTEBOOK}.ipynb", as_version=4)
    cells, pending = [], None
    for cell in nb.cells:
        eid = exercise_id(cell.source) if cell.cell_type == "code" else None
        if eid is not None:
            cell.metadata.update(_nbgrader_meta(eid.split(".")[1], solution=True))
        elif pending is not None and cell.cell_type == "code" and cell.source.strip().startswith("lesson.check("):
            cells.append(cell)  # the learner's check cell stays; the test comes right after it
            cells.append(pending)
            pending = None
            continue
        if pending is not None:  # no check cell right after the exercise: the test follows the exercise cell
            cells.append(pending)
            pending = None
        cells.append(cell)
        if eid is not None:
            exercise = exercises.get(eid)
            pending = nbformat.v4.new_code_cell(
                _test_source(exercise), metadata=_nbgrader_meta(f"test_{exercise.name}", solution=False,
                                                                points=exercise.points))
    if pending is not None:
        cells.append(pending)
    nb.cells = cells
    nb.metadata["kernelspec"] = {"display_name": "Python (course .venv)", "language": "python", "name": KERNEL_NAME}
    return nb


def _nbgrader(course, env, *args):
    done = subprocess.run([str(_bin("nbgrader")), *args], cwd=course, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        output = (done.stdout + done.stderr)[-3000:]
        raise SystemExit(f"nbgrader {' '.join(args)} failed ({done.returncode}):\n{output}")
    return done


def make_course(course, env):
    """nbgrader_config.py, the source notebook and (by `nbgrader generate_assignment`) the release notebook."""
    import nbformat

    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'perceptrons-to-circuits'\n"
        f"c.Execute.kernel_name = {KERNEL_NAME!r}\n"
        f"c.Execute.timeout = {CELL_TIMEOUT}\n")
    (course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").write_text(nbformat.writes(source_notebook()) + "\n")
    _nbgrader(course, env, "generate_assignment", ASSIGNMENT, "--force")
    return nbformat.read(course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)


def add_students(course, students, env):
    with open(course / "students.csv", "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "first_name", "last_name", "email"])
        writer.writerows([student, student, "", ""] for student in students)
    _nbgrader(course, env, "db", "student", "import", "students.csv")


def _split(nb):
    """(exercise id -> source of its cell, sources of the other code cells in order)."""
    from course_utils.exercise_cells import exercise_id

    solutions, others = {}, []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        eid = exercise_id(cell.source)
        if eid is not None:
            solutions[eid] = cell.source
        elif "nbgrader" not in cell.metadata or not cell.metadata.nbgrader.get("grade"):
            others.append(cell.source.strip())
    return solutions, others


def submit(plain, release, course):
    """Each plain submission as nbgrader receives it: the release notebook with the student's exercise cells."""
    import nbformat

    from course_utils.exercise_cells import exercise_id

    release_solutions, release_others = _split(release)
    students = []
    for path in sorted(plain.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        student = nb.metadata["course"]["student_id"]
        solutions, others = _split(nb)
        if others != release_others or set(solutions) != set(release_solutions):
            raise SystemExit(f"{path.name} differs from the lesson outside its exercise cells; "
                             f"it has no equivalent nbgrader submission")
        submission = copy.deepcopy(release)
        for cell in submission.cells:
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                cell.source = solutions[exercise_id(cell.source)]
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{NOTEBOOK}.ipynb").write_text(nbformat.writes(submission) + "\n")
        (folder / "timestamp.txt").write_text(time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()) + "\n")
        students.append(student)
    return students


def _kernel_env(scratch):
    """What course grade's kernels get (batch._child_env, a throwaway progress store, inline plots)."""
    from course_utils.grading.batch import _child_env

    env = _child_env()
    env["COURSE_PROGRESS_FILE"] = str(Path(scratch) / "nbgrader-progress.json")
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"  # nbgrader runs `alembic` from PATH
    return env


def time_autograde(course, env):
    load = os.getloadavg()[0]
    monitor = PeakMemory(interval=0.2)
    start = time.perf_counter()
    process = subprocess.Popen([str(_bin("nbgrader")), "autograde", ASSIGNMENT], cwd=course, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    monitor.watch(process.pid)
    output, _ = process.communicate()
    seconds = time.perf_counter() - start
    monitor.stop()
    (course / "autograde.log").write_text(output)
    if process.returncode != 0:
        raise SystemExit(f"nbgrader autograde failed ({process.returncode}):\n{output[-3000:]}")
    done = subprocess.run([str(_bin("python")), "-c", POINTS_SCRIPT, f"sqlite:///{course / 'gradebook.db'}",
                           ASSIGNMENT, NOTEBOOK], capture_output=True, text=True, check=True)
    return {"tool": "nbgrader autograde", "seconds": round(seconds, 1), "peak_mb": round(monitor.peak_bytes / 2**20),
            "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1),
            "points": json.loads(done.stdout)}


def time_course_grade(plain, gradebook, jobs, seed):
    from course_utils import exercises

    load = os.getloadavg()[0]
    result = grading.run(plain, gradebook, str(jobs), seed)
    result.update(tool=f"course grade --jobs {jobs}", load_before=round(load, 1),
                  load_after=round(os.getloadavg()[0], 1))
    ids = [e.id for e in exercises.for_lesson(LESSON)]
    with open(gradebook, newline="") as stream:
        result["points"] = {row["student"]: {"total": float(row["total"]), "max": float(row["max"]),
                                             "status": row["status"], "notes": row["notes"],
                                             "grades": {eid.split(".")[1]: float(row[eid] or 0) for eid in ids}}
                            for row in csv.DictReader(stream)}
    return result


def compare(nbgrader_points, course_points):
    """Per student: both totals, and each exercise where they differ with course grade's note on it."""
    rows = []
    for student in sorted(set(nbgrader_points) | set(course_points)):
        ours, theirs = course_points.get(student), nbgrader_points.get(student)
        row = {"student": student, "course": ours and ours["total"], "nbgrader": theirs and theirs["total"],
               "max": (ours or theirs)["max"], "differences": []}
        if ours and theirs:
            for name, score in ours["grades"].items():
                other = theirs["grades"].get(f"test_{name}")
                if other is None or abs(other - score) > 1e-9:
                    notes = [n.strip() for n in ours["notes"].split(";") if n.strip().startswith(f"{LESSON}.{name}:")]
                    row["differences"].append({"exercise": f"{LESSON}.{name}", "course": score, "nbgrader": other,
                                                "course_note": "; ".join(notes)})
        else:
            row["differences"].append({"exercise": "*", "course_note": "graded by one tool only"})
        rows.append(row)
    return rows


WHY = {"failed hidden cases": "passes the notebook's check (nbgrader's test), fails course grade's hidden cases"}


def markdown(summary):
    machine, runs = summary["machine"], summary["runs"]
    lines = [f"Measured {machine['date']} on {machine['cpus']} CPU cores ({machine['platform']}); "
             f"nbgrader {summary['versions']['nbgrader']}, Python {summary['versions']['python']}, "
             f"course at commit {summary['versions']['course_commit']}.", "",
             f"{summary['submissions']} lesson 01 submissions (benchmarks/grading.py's class), graded by "
             f"`nbgrader autograde` (one notebook at a time, per-cell timeout {CELL_TIMEOUT} s, kernel = the "
             f"project's .venv/bin/python) and by `course grade` (a watched kernel per notebook, then the clean "
             f"grader with hidden cases).", "",
             "| run | wall seconds | per submission | peak memory (MB) | load average before → after |",
             "|---|---:|---:|---:|---|"]
    for run in runs:
        lines.append(f"| {run['tool']} | {run['seconds']:.1f} | {run['seconds'] / summary['submissions']:.1f} | "
                     f"{run['peak_mb']} | {run['load_before']} → {run['load_after']} |")
    lines += ["", f"`nbgrader autograde` / `course grade --jobs {summary['jobs']}`: **{summary['ratio']:.2f}×** "
              f"(above 1: course grade is faster).", ""]
    differing = [row for row in summary["points"] if row["differences"]]
    lines.append(f"Points: {len(summary['points']) - len(differing)} of {len(summary['points'])} students get the "
                 f"same points for every exercise from both tools.")
    if differing:
        lines += ["", "| student | course grade | nbgrader | max | exercise: course grade vs nbgrader (why) |",
                  "|---|---:|---:|---:|---|"]
        for row in differing:
            why = "; ".join(f"{d['exercise']}: {d.get('course')} vs {d.get('nbgrader')} "
                            f"({WHY.get(d['course_note'].split(': ', 1)[-1], d['course_note'] or 'unexplained')})"
                            for d in row["differences"])
            lines.append(f"| {row['student']} | {row['course']:g} | {row['nbgrader']:g} | {row['max']:g} | {why} |")
    if "same_points_jobs" in summary:
        lines += ["", f"`course grade --jobs {summary['jobs']}` and `--jobs 1` gave the same points: "
                  f"{'yes' if summary['same_points_jobs'] else 'NO'}."]
    lines += ["", "A load average above the core count means other work shared the machine; nbgrader grades one "
              "notebook at a time, so part of the ratio is --jobs parallelism (see --sequential)."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--sequential", action="store_true", help="also time course grade --jobs 1")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (nbgrader course, gradebooks)")
    args = parser.parse_args(argv)
    python = setup_nbgrader()
    scratch = Path(tempfile.mkdtemp(prefix="nbgrader-compare-"))
    try:
        return measure(args, python, scratch)
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def measure(args, python, scratch):
    plain, course = scratch / "plain", scratch / "course"
    course.mkdir()
    grading.make_class(plain, args.count)
    env = _kernel_env(scratch)
    release = make_course(course, env)
    add_students(course, submit(plain, release, course), env)
    # warm the disk cache (torch, the course) so that neither timed run pays for the first import
    subprocess.run([str(python), "-c", "import course_utils, torch, matplotlib.pyplot, ipykernel"], check=True)
    runs = [time_autograde(course, env)]
    print(f"nbgrader autograde: {runs[0]['seconds']:.1f} s, peak {runs[0]['peak_mb']} MB "
          f"(load average {runs[0]['load_before']} -> {runs[0]['load_after']})", flush=True)
    for jobs in [args.jobs] + ([1] if args.sequential and args.jobs != 1 else []):
        result = time_course_grade(plain, scratch / f"gradebook-{jobs}.csv", jobs, args.seed)
        runs.append(result)
        print(f"course grade --jobs {jobs}: {result['seconds']:.1f} s, peak {result['peak_mb']} MB "
              f"(load average {result['load_before']} -> {result['load_after']})", flush=True)
    ratio = runs[0]["seconds"] / runs[1]["seconds"]
    from importlib.metadata import version

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    versions = {"nbgrader": NBGRADER_VERSION, "python": platform.python_version(), "kernel_python": str(python),
                "nbclient": version("nbclient"), "ipykernel": version("ipykernel"),
                "course_commit": commit.stdout.strip() or "unknown"}
    summary = {"machine": {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": psutil.cpu_count(),
                           "platform": platform.platform()},
               "versions": versions, "submissions": args.count, "jobs": args.jobs, "cell_timeout": CELL_TIMEOUT,
               "seed": args.seed, "runs": runs, "ratio": round(ratio, 2),
               "points": compare(runs[0]["points"], runs[1]["points"])}
    if len(runs) > 2:
        summary["same_points_jobs"] = runs[1]["points"] == runs[2]["points"]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "nbgrader_compare.json").write_text(json.dumps(summary, indent=1) + "\n")
    (args.out / "nbgrader_compare.md").write_text(markdown(summary))
    same = sum(not row["differences"] for row in summary["points"])
    print(f"nbgrader / course grade --jobs {args.jobs}: {ratio:.2f}x; same points for {same}/{len(summary['points'])} "
          f"students; wrote {args.out / 'nbgrader_compare.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
