"""`course new` scaffolds a lesson that passes the tests at once, and removing it leaves no trace.

The lesson is created in a scratch copy of the repository (its tracked files, as they are in the working
tree), imported from there, and put through every part of `make test` that concerns it, except grading
the solution notebook end to end: the grader runs Python in isolated mode (`-I`, no PYTHONPATH), so in a
scratch copy it would import the installed course, not the copy. Its public check and hidden cases are
run by the lesson's own contract tests instead.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEW = ["new", "13", "demo", "Demo lesson", "--minutes", "30"]


def _run(args, cwd, **kwargs):
    env = dict(os.environ, PYTHONPATH=str(cwd))  # the scratch copy's course_utils, not the installed one
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, **kwargs)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    copy = tmp_path_factory.mktemp("scaffold") / "course"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    git = ["git", "-c", "user.name=course", "-c", "user.email=course@localhost"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "scratch"]):
        subprocess.run(git + command, cwd=copy, check=True)
    return copy


@pytest.fixture(scope="module")
def created(scratch):
    result = _run([sys.executable, "-c", f"from course_utils.cli import main; raise SystemExit(main({NEW!r}))"],
                  scratch)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_new_lesson_passes_every_test_that_concerns_it(scratch, created):
    which = _run([sys.executable, "-c", "import course_utils; print(course_utils.__file__)"], scratch)
    assert which.stdout.startswith(str(scratch)), which.stdout
    unit = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/lessons/test_lesson13_demo.py",
                 "tests/test_checker_coverage.py", "tests/test_readme.py", "tests/test_build.py",
                 "tests/test_hidden_cases.py"], scratch)
    assert unit.returncode == 0, unit.stdout[-3000:]
    assert "13.scale" in _run([sys.executable, "-m", "pytest", "-q", "--co", "tests/lessons/test_lesson13_demo.py"],
                              scratch).stdout
    notebooks = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
                      "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "solutions/13_demo.ipynb"], scratch)
    assert notebooks.returncode == 0, notebooks.stdout[-3000:]
    student = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                    "notebooks/13_demo.ipynb"], scratch)
    assert student.returncode == 0, student.stdout[-3000:]


def test_removing_what_it_lists_leaves_no_trace(scratch, created):
    listed = [line.strip() for line in created.splitlines()[1:] if line.strip()]
    for relative in listed:
        if relative.startswith("README.md"):
            subprocess.run(["git", "checkout", "-q", "README.md"], cwd=scratch, check=True)
        else:
            (scratch / relative).unlink()
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=scratch,
                            capture_output=True, text=True, check=True).stdout
    leftovers = [line for line in status.splitlines() if "__pycache__" not in line]
    assert not leftovers, f"course new touched more than it listed: {leftovers}"


def test_an_existing_lesson_is_refused_with_a_sentence(scratch, created):
    command = "from course_utils.cli import main; raise SystemExit(main(['new', '01', 'x', 'X']))"
    again = _run([sys.executable, "-c", command], scratch)
    assert again.returncode == 1 and "lesson 01 exists already" in again.stdout
