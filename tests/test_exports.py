"""`course export`: Canvas's gradebook CSV from a hand-written gradebook, and a Gradescope autograder run end to end."""
import csv
import inspect
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import pytest

from course_utils import cli
from course_utils.grading import gradebook
from course_utils.grading.exports import ExportError, autograder, export_canvas
from course_utils.grading.exports.canvas import POINTS_POSSIBLE, STUDENT_COLUMNS
from course_utils.lessons.lesson01_perceptron import reference as ref
from course_utils.paths import solutions_dir

from grading_fixtures import COUNT_HARDCODED, STEP_WRONG, write_exercise

ROOT = Path(__file__).resolve().parent.parent


# ---- Canvas ----------------------------------------------------------------------------------------

def _row(student, lesson, total, submission, status="graded", maximum=11, lms_id=""):
    return {"student": student, "lms_id": lms_id, "lesson": lesson, "total": total, "max": maximum,
            "status": status, "submission": submission, "sha256": "0" * 64, "seconds": "3.0", "notes": ""}


CANVAS_CLASS = [
    _row("lovelaceada", "01", 9, "in/lovelaceada_12345_678901_01_perceptron.ipynb", lms_id="12345"),
    _row("lovelaceada", "02", 7, "in/lovelaceada_12345_678902_02_gradient_descent.ipynb", maximum=14, lms_id="12345"),
    _row("booleg", "01", 11, "in/booleg_LATE_23456_678903_01_perceptron.ipynb", status="timeout", lms_id="23456"),
    _row("hopperg_34567_678904_01_perceptron", "", 0, "in/hopperg_34567_678904_01_perceptron.ipynb",
         status="invalid notebook", maximum=0, lms_id="34567"),
]

NBGRADER_CLASS = [_row("ada", "01", 9, "submitted/ada/ps1/01_perceptron.ipynb"),
                  _row("bob", "01", 4, "submitted/bob/ps1/01_perceptron.ipynb")]

ROSTER = [{"student_id": "ada", "canvas_id": "12345", "name": "Lovelace, Ada", "sis_user_id": "S-1",
           "sis_login_id": "ada@uni.edu", "section": "L01"},
          {"student_id": "bob", "canvas_id": "23456", "name": "Boole, George", "sis_user_id": "S-2",
           "sis_login_id": "bob@uni.edu", "section": "L02"}]


def _write_csv(path, rows):
    with open(path, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _gradebook(tmp_path, rows):
    path = tmp_path / "grades.csv"
    gradebook.write(path, rows)
    return path


def _canvas_rows(path):
    with open(path, newline="") as stream:
        return list(csv.reader(stream))


def _assert_canvas_layout(table, assignments):
    """What Canvas's importer reads (app/models/gradebook_importer.rb): student columns, assignments, points row."""
    header = table[0]
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] == STUDENT_COLUMNS
    assert header[5:] == assignments
    # a column named "Title (123)" would be read as the existing assignment with id 123
    assert not any(re.search(r"\s\(\d+\)$", name) for name in assignments)
    assert "Points Possible" in table[1][0] and table[1][1:5] == [""] * 4
    assert all(len(row) == len(header) for row in table)


def test_canvas_ids_from_bulk_download_names(tmp_path):
    out = tmp_path / "canvas.csv"
    summary = export_canvas(_gradebook(tmp_path, CANVAS_CLASS), out)
    table = _canvas_rows(out)
    _assert_canvas_layout(table, ["Lesson 01: The perceptron", "Lesson 02: Gradient descent"])
    assert table[1] == [POINTS_POSSIBLE, "", "", "", "", "11", "14"]
    assert table[2:] == [["booleg", "23456", "", "", "", "11", ""],            # no lesson 02 row: blank, no change
                         ["lovelaceada", "12345", "", "", "", "9", "7"]]
    assert "2 student(s)" in summary and "left out 1 row(s)" in summary and "invalid notebook" in summary


def test_canvas_ids_and_names_from_a_roster(tmp_path):
    out = tmp_path / "canvas.csv"
    export_canvas(_gradebook(tmp_path, NBGRADER_CLASS), out, roster=_write_csv(tmp_path / "roster.csv", ROSTER))
    table = _canvas_rows(out)
    _assert_canvas_layout(table, ["Lesson 01: The perceptron"])
    assert table[2:] == [["Lovelace, Ada", "12345", "S-1", "ada@uni.edu", "L01", "9"],
                         ["Boole, George", "23456", "S-2", "bob@uni.edu", "L02", "4"]]


def test_a_student_without_a_canvas_id_stops_the_export(tmp_path):
    book, out = _gradebook(tmp_path, NBGRADER_CLASS), tmp_path / "canvas.csv"
    with pytest.raises(ExportError, match=r"no Canvas user id for ada, bob: .*--roster"):
        export_canvas(book, out)
    roster = _write_csv(tmp_path / "roster.csv", ROSTER[:1])
    with pytest.raises(ExportError, match=r"no Canvas user id for bob: .*roster's canvas_id column"):
        export_canvas(book, out, roster=roster)
    assert not out.exists()


def test_two_rows_of_one_student_and_lesson_stop_the_export(tmp_path):
    rows = CANVAS_CLASS[:1] + [_row("lovelaceada", "01", 3, "in/lovelaceada_12345_678999_01_perceptron-1.ipynb")]
    with pytest.raises(ExportError, match=r"lovelaceada, lesson 01: in/lovelaceada_12345_678901_01_perceptron\.ipynb "
                                          r"and in/lovelaceada_12345_678999_01_perceptron-1\.ipynb"):
        export_canvas(_gradebook(tmp_path, rows), tmp_path / "canvas.csv")


def test_course_export_canvas_says_why_with_exit_code_2(tmp_path, capsys):
    book = _gradebook(tmp_path, NBGRADER_CLASS)
    assert cli.main(["export", "canvas", str(book), "--out", str(tmp_path / "canvas.csv")]) == 2
    assert capsys.readouterr().out.startswith("nothing exported: no Canvas user id for ada, bob:")
    assert cli.main(["export", "canvas", str(book), "--out", str(book)]) == 2
    assert "is the gradebook itself" in capsys.readouterr().out
    assert cli.main(["export", "canvas", str(tmp_path / "none.csv"), "--out", str(tmp_path / "c.csv")]) == 2
    assert "there is no gradebook" in capsys.readouterr().out


# ---- Gradescope ------------------------------------------------------------------------------------

# Gradescope's results.json, as its "Autograder Specifications" document it (gradescope-autograders.readthedocs.io
# /en/latest/specs/): every key is optional, but a score is required at the top level or on every test.
VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
NUMBER, TEXT = {"type": "number"}, {"type": "string"}
TEST_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    "score": NUMBER, "max_score": NUMBER, "status": {"enum": ["passed", "failed"]}, "name": TEXT,
    "name_format": FORMAT, "number": TEXT, "output": TEXT, "output_format": FORMAT,
    "tags": {"type": "array", "items": TEXT}, "visibility": VISIBILITY, "extra_data": {"type": "object"}}}
RESULTS_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    "score": NUMBER, "execution_time": NUMBER, "output": TEXT, "output_format": FORMAT, "test_output_format": FORMAT,
    "test_name_format": FORMAT, "visibility": VISIBILITY, "stdout_visibility": VISIBILITY,
    "extra_data": {"type": "object"}, "tests": {"type": "array", "items": TEST_SCHEMA},
    "leaderboard": {"type": "array", "items": {"type": "object", "required": ["name", "value"]}}},
    "anyOf": [{"required": ["score"]},
              {"required": ["tests"], "properties": {"tests": {"items": {"required": ["score"]}}}}]}

LESSON_01_POINTS = 11


def _solution():
    return nbformat.read(solutions_dir() / "01_perceptron.ipynb", as_version=4)


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gradescope")
    zip_path = folder / "autograder.zip"
    assert cli.main(["export", "gradescope", "1", "--out", str(zip_path)]) == 0
    return zip_path


def _lay_out(zip_path, root, submission):
    """``root`` laid out as Gradescope's /autograder: the zip in source/, run_autograder, the student's files."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    for name, text in submission.items():
        (root / "submission" / name).write_text(text)


def _results(root):
    """results.json, checked against Gradescope's documented format and against what the course promises."""
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert results["score"] == sum(test["score"] for test in results["tests"])
    for test in results["tests"]:
        assert {"name", "score", "max_score", "output"} <= set(test) and test["visibility"] == "visible"
    return results


def _run_autograder(zip_path, root, submission):
    """run_autograder itself, on ``root`` instead of /autograder, with the course installed here."""
    _lay_out(zip_path, root, submission)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), COURSE_PYTHON=sys.executable)
    done = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return _results(root)


def test_the_zip_holds_the_scripts_and_the_course(autograder_zip, tmp_path):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        setup, run = archive.read("setup.sh").decode(), archive.read("run_autograder").decode()
        archive.extractall(tmp_path)
    for script in ("setup.sh", "run_autograder"):
        assert modes[script] & stat.S_IXUSR, script
        subprocess.run(["bash", "-n", str(tmp_path / script)], check=True)
    assert {"course/pyproject.toml", "course/README.md", "course/course_utils/cli.py",
            "course/course_utils/grading/exports/autograder.py",
            "course/course_utils/lessons/lesson01_perceptron/hidden_cases.py"} <= names
    assert any(name.endswith(".pt") for name in names)  # the shipped checkpoints, package data
    assert not any("__pycache__" in name or "/." in name for name in names)
    torch = next(d for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
                 if d.startswith("torch=="))
    assert f'--index-url https://download.pytorch.org/whl/cpu "{torch}"' in setup
    assert "pip install /autograder/source/course" in setup
    assert re.search(r"--lesson 01 \\\n\s+--seed \d+\n", run)
    # the course in the zip is installable as it is (what setup.sh's pip does, without the network)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "--wheel-dir", str(tmp_path / "wheel"), str(tmp_path / "course")], check=True)
    assert list((tmp_path / "wheel").glob("perceptrons_to_circuits-*.whl"))


def test_run_autograder_grades_the_solution(autograder_zip, tmp_path):
    results = _run_autograder(autograder_zip, tmp_path, {"01_perceptron.ipynb": nbformat.writes(_solution())})
    assert results["score"] == LESSON_01_POINTS
    assert len(results["tests"]) == 7
    assert results["tests"][0]["name"] == "01.step_neuron: a neuron with a step activation"
    assert all(test["score"] == test["max_score"] and test["output"] == "Passed." for test in results["tests"])


def test_run_autograder_explains_each_mistake_without_the_hidden_cases(autograder_zip, tmp_path):
    nb = write_exercise(write_exercise(_solution(), "01.step_neuron", STEP_WRONG),
                        "01.count_separable_gates", COUNT_HARDCODED)
    results = _run_autograder(autograder_zip, tmp_path, {"01_perceptron.ipynb": nbformat.writes(nb)})
    tests = {test["name"].split(":")[0]: test for test in results["tests"]}
    assert tests["01.step_neuron"]["score"] == 0 and "hint:" in tests["01.step_neuron"]["output"]
    counting = tests["01.count_separable_gates"]
    assert counting["score"] == 0 and "new inputs (not shown)" in counting["output"]
    assert tests["01.sigmoid_neuron"]["score"] == tests["01.sigmoid_neuron"]["max_score"]
    assert results["score"] < LESSON_01_POINTS
    reference_lines = [line.strip() for line in inspect.getsource(ref).splitlines() if len(line.strip()) > 30]
    for test in results["tests"]:
        assert not any(line in test["output"] for line in reference_lines)


@pytest.mark.parametrize("submission, says", [
    ({"notes.txt": "my answers"}, "holds no notebook"),
    ({"01_perceptron.ipynb": '{"cells": [ not json'}, "Download the notebook again"),
    ({"a.ipynb": "{}", "b.ipynb": "{}"}, "holds 2 notebooks"),
])
def test_without_a_notebook_to_grade_one_test_fails_and_says_why(autograder_zip, tmp_path, monkeypatch, submission,
                                                                   says):
    _lay_out(autograder_zip, tmp_path, submission)
    monkeypatch.setenv("AUTOGRADER_ROOT", str(tmp_path))
    assert autograder.main(["--lesson", "01", "--seed", "1"]) == 0  # what run_autograder runs, in this process
    results = _results(tmp_path)
    [test] = results["tests"]
    assert results["score"] == test["score"] == 0 and test["max_score"] == LESSON_01_POINTS
    assert says in test["output"]
