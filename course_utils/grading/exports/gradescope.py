"""``course export gradescope NN --out autograder.zip``: a Gradescope autograder that grades lesson NN.

Gradescope's format (its "Autograder Specifications"): a zip with, at its root, ``setup.sh``, which Gradescope
runs once as root when it builds the autograder's image (Ubuntu, with internet access), and ``run_autograder``,
which it runs for every submission, in ``/autograder``, with the student's files in ``/autograder/submission``;
it must write ``/autograder/results/results.json``. Gradescope unpacks the zip into ``/autograder/source``.

The zip also holds the course itself under ``course/``: its package as it is on this machine (so Gradescope
grades with the same checkers and hidden cases as ``course grade`` here), ``pyproject.toml`` and ``README.md``.
setup.sh installs it, after torch's CPU build, into a virtual environment; run_autograder runs ``autograder.py``
there with the lesson and a hidden-case seed drawn now, one for the whole class.
"""
import os
import re
import secrets
import stat
import tempfile
import tomllib
import zipfile
from pathlib import Path

import course_utils

from ... import exercises
from ...lessons import get_lesson
from . import ExportError

ROOT = "/autograder"  # Gradescope's: the zip is unpacked in ROOT/source, the submission is in ROOT/submission
ROOT_VARIABLE = "AUTOGRADER_ROOT"  # when set, run_autograder works in this folder instead
VENV = f"{ROOT}/venv"
# setup.sh creates this user to run the notebooks: they can neither write results.json nor change the course
STUDENT_USER = "course-student"
PYTHON_VARIABLE = "COURSE_PYTHON"  # run_autograder's Python: the virtual environment's unless this is set
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # as the README says: PyPI's torch brings CUDA, gigabytes
PROJECT_FILES = ("pyproject.toml", "README.md")  # pip needs both to install the package

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image. Written by `course export gradescope`.
set -euxo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
# The course needs Python 3.11 or newer: Ubuntu 24.04's python3 is 3.12; 22.04 has a python3.11 beside its 3.10.
if python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    apt-get install -y python3-venv
    PYTHON=python3
else
    apt-get install -y python3.11 python3.11-venv
    PYTHON=python3.11
fi
"$PYTHON" -m venv {venv}
{venv}/bin/pip install --upgrade pip
# torch's CPU build, at the version pyproject.toml pins, then the course (torch is then already there)
{venv}/bin/pip install --index-url {torch_index} "{torch}"
{venv}/bin/pip install {root}/source/course
# the students' notebooks run as this unprivileged user, never as root (Gradescope's security advice)
id -u {user} >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin {user}
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission, as root, in /autograder. Written by `course export gradescope`.
# ${root_variable} moves /autograder elsewhere and ${python_variable} names a Python with the course installed:
# a test runs this end to end on a temporary folder.
exec "${{{python_variable}:-{venv}/bin/python}}" -m course_utils.grading.exports.autograder --lesson {lesson} \\
    --seed {seed}
"""


def export_gradescope(lesson, out_path):
    """Write the autograder zip for ``lesson`` to ``out_path``; returns a one-line summary."""
    try:
        info = get_lesson(lesson)
    except KeyError as error:
        raise ExportError(error.args[0]) from None
    lesson_exercises = exercises.for_lesson(info.number)
    if not lesson_exercises:
        raise ExportError(f"lesson {info.number} has no graded exercise, so there is nothing to autograde.")
    project, files = _course_files()
    seed = secrets.randbelow(2**31)
    scripts = {"setup.sh": SETUP_SH.format(root=ROOT, venv=VENV, torch_index=TORCH_CPU_INDEX, user=STUDENT_USER,
                                           torch=_torch_requirement(project / "pyproject.toml")),
               "run_autograder": RUN_AUTOGRADER.format(root_variable=ROOT_VARIABLE, python_variable=PYTHON_VARIABLE,
                                                       venv=VENV, lesson=info.number, seed=seed)}
    out_path = Path(out_path)
    _write_zip(out_path, [(name, text.encode(), 0o755) for name, text in scripts.items()]
               + [(name, path.read_bytes(), 0o644) for name, path in files])
    points = sum(exercise.points for exercise in lesson_exercises)
    return (f"wrote {out_path}: a Gradescope autograder for lesson {info.number} ({info.title}), "
            f"{len(lesson_exercises)} exercises worth {points} points, hidden-case seed {seed}. On Gradescope: a "
            f"programming assignment worth {points} points, Configure Autograder, upload this zip.")


def _course_files():
    """(the project's folder, [(name in the zip, file)]): the package as it is here, without caches."""
    package = Path(course_utils.__file__).resolve().parent
    project = package.parent
    missing = [name for name in PROJECT_FILES if not (project / name).is_file()]
    if missing:
        raise ExportError(f"{' and '.join(missing)} should be beside {package}: run this from the course's "
                          f"repository installed with `make lab` (pip install -e), not from an installed copy.")
    files = [(f"course/{name}", project / name) for name in PROJECT_FILES]
    for path in sorted(package.rglob("*")):
        parts = path.relative_to(project).parts
        if path.is_file() and not any(part == "__pycache__" or part.startswith(".") for part in parts):
            files.append(("course/" + "/".join(parts), path))
    return project, files


def _torch_requirement(pyproject):
    """pyproject.toml's requirement on torch, e.g. ``torch==2.13.0``."""
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return next(d for d in dependencies if re.split(r"[\s=<>!~;\[]", d, maxsplit=1)[0] == "torch")


def _write_zip(out_path, entries):
    """Write ``[(name, bytes, mode)]`` as a zip via a temporary file beside it: no half-written zip is left."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data, mode in entries:
                info = zipfile.ZipInfo(name)
                info.external_attr = (stat.S_IFREG | mode) << 16  # run_autograder must be executable
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
        os.replace(temporary, out_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
