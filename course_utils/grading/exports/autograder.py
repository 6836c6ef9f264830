"""Gradescope's ``run_autograder``: grade the notebook in ``submission/`` with ``course grade``, write ``results.json``.

``python -m course_utils.grading.exports.autograder --lesson NN --seed S`` (the ``run_autograder`` that
``course export gradescope`` writes runs it) works in the root ``$AUTOGRADER_ROOT``, ``/autograder`` by default.
The notebook is graded by ``course grade`` itself, in a scratch gradebook, so Gradescope and the instructor's own
machine grade alike, on the hidden cases of one seed for the whole class. ``results/results.json`` follows
Gradescope's format: one test per exercise (``"01.step_neuron: ..."``, its points, and its feedback as output:
the public verdict, never a hidden case's inputs) and the total; when there is no notebook to grade, a single
failing test says what to do. A results.json is written whatever happens.
"""
import argparse
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from ... import exercises
from ...atomic import write_text_atomically
from ...lessons import get_lesson
from .. import gradebook
from ..batch import find_submissions
from ..feedback import feedback_blocks
from ..identity import original_stem
from .gradescope import ROOT, ROOT_VARIABLE, STUDENT_USER

# Gradescope stops a run after 10 minutes by default: 5 for running the notebook leaves time to grade it
GRADE_OPTIONS = ["--jobs", "1", "--timeout", "300"]
GRADER_FAILED = ("The autograder could not grade your notebook because of a problem on its side, not in your "
                 "notebook; your instructor can see what happened. Ask them, or submit again later.")


def main(argv=None):
    arguments = argparse.ArgumentParser(description="Grade a Gradescope submission and write its results.json.")
    arguments.add_argument("--lesson", required=True, help="the lesson number, e.g. 01")
    arguments.add_argument("--seed", type=int, required=True, help="the hidden cases' seed, one for the class")
    args = arguments.parse_args(argv)
    root = Path(os.environ.get(ROOT_VARIABLE, ROOT))
    start = time.monotonic()
    try:
        results = grade_submission(root, args.lesson, args.seed)
    except Exception:  # noqa: BLE001 - Gradescope needs a results.json whatever went wrong
        traceback.print_exc()
        results = failure(args.lesson, GRADER_FAILED)
    results["execution_time"] = round(time.monotonic() - start)
    write_text_atomically(root / "results" / "results.json", json.dumps(results, indent=1) + "\n")
    print(f"results.json: {results['score']} points, {len(results['tests'])} test(s)", flush=True)
    return 0


def grade_submission(root, lesson, seed):
    """Gradescope's results for the notebook in ``root/submission``."""
    notebook, problem = choose_notebook(root / "submission", get_lesson(lesson).notebook_name)
    if problem:
        return failure(lesson, problem)
    with tempfile.TemporaryDirectory(prefix="course-autograder-") as scratch:
        scratch = Path(scratch)
        copy = scratch / notebook.name
        shutil.copyfile(notebook, copy)
        out = scratch / "grades.csv"
        command = [sys.executable, "-m", "course_utils.cli", "grade", str(copy), "--lesson", lesson,
                   "--seed", str(seed), "--out", str(out)] + GRADE_OPTIONS + _sandbox_option()
        print("$ " + " ".join(command), flush=True)
        subprocess.run(_as_student(command, scratch), cwd=scratch, check=False)
        rows = gradebook.read(out)
        details = gradebook.read_details(out)
    if len(rows) != 1:
        return failure(lesson, GRADER_FAILED)
    row = rows[0]
    entry = details.get(row.get("submission"), {})
    return results_json(lesson, row, entry.get("results", []), entry.get("titles", {}))


def choose_notebook(folder, notebook_name):
    """``(notebook, None)``, or ``(None, what the student should do)`` when there is none or no single one."""
    found = find_submissions([folder]) if folder.is_dir() else []
    named = [path for path in found if original_stem(path) + ".ipynb" == notebook_name]
    if len(found) == 1 or len(named) == 1:
        return (found if len(found) == 1 else named)[0], None
    if not found:
        return None, (f"Your submission holds no notebook (.ipynb file). Upload {notebook_name} itself, as "
                      f"JupyterLab saves it (File > Download).")
    return None, (f"Your submission holds {len(found)} notebooks ({', '.join(p.name for p in found)}); upload "
                  f"only {notebook_name}.")


def results_json(lesson, row, records, titles):
    """Gradescope's results for the gradebook row of a submission of ``lesson`` and its per-exercise records."""
    head, sections = _split(feedback_blocks(row, records, titles))
    if not records:
        return failure(lesson, _markdown(head))
    tests = [{"name": f"{record['id']}: {titles[record['id']]}" if titles.get(record["id"]) else record["id"],
              "score": record["points"], "max_score": record["max_points"], "output": _markdown(section),
              "output_format": "md", "visibility": "visible"}
             for record, section in zip(records, sections)]
    return {"score": sum(test["score"] for test in tests), "output": _markdown(head), "output_format": "md",
            "stdout_visibility": "hidden", "tests": tests}


def failure(lesson, text):
    """Results with one failing test worth the lesson's points, whose output says what happened and what to do."""
    points = sum(exercise.points for exercise in exercises.for_lesson(lesson))
    return {"score": 0, "output": text, "output_format": "md", "stdout_visibility": "hidden",
            "tests": [{"name": f"Lesson {lesson}: a notebook the grader can run", "score": 0, "max_score": points,
                       "output": text, "output_format": "md", "visibility": "visible"}]}


def _split(blocks):
    """The feedback's blocks about the whole notebook, then each exercise's.

    Gradescope shows the title, the score and each test's name itself: headings and the score line are left out.
    """
    head, sections = [], []
    for kind, text in blocks:
        if kind == "h2":
            sections.append([])
        elif kind not in ("h1", "strong"):
            (sections[-1] if sections else head).append((kind, text))
    return head, sections


def _markdown(blocks):
    return "\n\n".join(f"```\n{text}\n```" if kind == "pre" else text for kind, text in blocks)


def _sandbox_option():
    """``--no-sandbox`` when ``course grade`` has it: Gradescope's container cannot run bubblewrap."""
    from ...cli import parser

    _, unknown = parser().parse_known_args(["grade", "submission.ipynb", "--no-sandbox"])
    return [] if unknown else ["--no-sandbox"]


def _as_student(command, scratch):
    """``command`` run as setup.sh's unprivileged user, when there is one and this runs as root (on Gradescope)."""
    if os.geteuid() != 0:
        return command
    try:
        user = pwd.getpwnam(STUDENT_USER)
    except KeyError:
        return command
    for path in [scratch, *scratch.rglob("*")]:
        os.chown(path, user.pw_uid, user.pw_gid)
    return ["runuser", "-u", STUDENT_USER, "--", "env", f"HOME={scratch}", *command]


if __name__ == "__main__":
    sys.exit(main())
