"""Grading a class over several runs: one seed per gradebook, provenance per row, --regrade, feedback for every row."""
import csv
import shutil
from pathlib import Path

from course_utils import cli
from course_utils.grading import gradebook, provenance

ROOT = Path(__file__).resolve().parent.parent
WELCOME = ROOT / "solutions" / "00_welcome.ipynb"


def _submit(folder, student):
    path = folder / student / "00_welcome.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(WELCOME, path)
    return path


def _grade(*arguments):
    return cli.main(["grade", *map(str, arguments), "--jobs", "1"])


def test_a_resumed_batch_reuses_the_gradebooks_seed_and_rows_say_what_graded_them(tmp_path, capsys):
    submissions, out = tmp_path / "submitted", tmp_path / "grades.csv"
    _submit(submissions, "ada")
    assert _grade(submissions, "--out", out) == 0  # the first run: a new seed, stored in the row
    first = capsys.readouterr().out
    [ada] = gradebook.read(out)
    seed = ada["seed"]
    assert f"hidden-case seed {seed} (new" in first
    assert ada["course_version"] == provenance.course_version() != "unknown"
    assert ada["checks_hash"] == provenance.checks_hash("00") and len(ada["checks_hash"]) == 12

    _submit(submissions, "bob")  # the batch goes on later (or after an interruption)
    assert _grade(submissions, "--out", out) == 0
    assert f"hidden-case seed {seed} (from the gradebook)" in capsys.readouterr().out
    assert {row["student"]: row["seed"] for row in gradebook.read(out)} == {"ada": seed, "bob": seed}

    _submit(submissions, "carol")
    assert _grade(submissions, "--out", out, "--seed", "5") == 0
    assert "hidden-case seed 5 (from --seed)" in capsys.readouterr().out
    assert {row["student"]: row["seed"] for row in gradebook.read(out)}["carol"] == "5"


def test_checks_hash_is_stable_and_per_lesson():
    before = provenance.checks_hash("00")
    assert before == provenance.checks_hash("00") != provenance.checks_hash("01")


def _edit_points(out, student, exercise_id, points):
    rows = gradebook.read(out)
    for row in rows:
        if row["student"] == student:
            row[exercise_id] = points
            row["total"] = int(row["total"]) - 1
    gradebook.write(out, rows)


def test_regrade_one_exercise_keeps_the_rest_of_each_row(tmp_path, capsys):
    submissions, out, feedback = tmp_path / "submitted", tmp_path / "grades.csv", tmp_path / "feedback"
    _submit(submissions, "ada")
    changed = _submit(submissions, "bob")
    assert _grade(submissions, "--out", out, "--feedback", feedback, "--seed", "3") == 0
    exercise_id = next(key for key in gradebook.read(out)[0] if key.startswith("00."))
    other_id = [key for key in gradebook.read(out)[0] if key.startswith("00.") and key != exercise_id][0]
    _edit_points(out, "ada", exercise_id, 0)  # as if a checker bug had failed ada's correct answer
    _edit_points(out, "ada", other_id, 0)     # a mark the regrade must not touch
    changed.write_text(changed.read_text().replace("Welcome", "Welcome!"))  # bob's file changed since grading
    capsys.readouterr()
    assert cli.main(["grade", "--regrade", exercise_id, "--out", str(out), "--feedback", str(feedback)]) == 0
    rows = {row["student"]: row for row in gradebook.read(out)}
    points = {e: int(rows["ada"][e]) for e in (exercise_id, other_id)}
    assert points == {exercise_id: 1, other_id: 0} and rows["ada"]["total"] == str(int(rows["ada"]["max"]) - 1)
    assert f"{exercise_id} regraded (checks {provenance.checks_hash('00')})" in rows["ada"]["notes"]
    assert f"{exercise_id} not regraded: the file changed" in rows["bob"]["notes"]
    details = gradebook.read_details(out)[rows["ada"]["submission"]]
    assert [r["id"] for r in details["results"]][0] == next(k for k in rows["ada"] if k.startswith("00."))
    assert cli.main(["grade", "--regrade", "07.nothing", "--out", str(out)]) == 2
    assert "there is no exercise '07.nothing'" in capsys.readouterr().out


def test_every_row_gets_feedback_an_unreadable_notebook_included(tmp_path):
    submissions, out, feedback = tmp_path / "submitted", tmp_path / "grades.csv", tmp_path / "feedback"
    broken = submissions / "<b>eve" / "00_welcome.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text("{this is not json")
    assert _grade(submissions, "--out", out, "--feedback", feedback) == 0
    [row] = gradebook.read(out)
    assert row["status"] == "invalid notebook" and row["student"] == "<b>eve"
    [markdown] = feedback.glob("*.md")
    [page] = feedback.glob("*.html")
    assert markdown.stem == page.stem == f"_b_eve-{row['sha256'][:8]}"
    text = markdown.read_text()
    assert "could not be read as a Jupyter notebook" in text and "What to do: Download the notebook again" in text
    html = page.read_text()
    assert "&lt;b&gt;eve" in html and "<b>eve" not in html and "What to do" in html


def test_gradebook_columns_are_in_a_stable_order(tmp_path):
    out = tmp_path / "grades.csv"
    gradebook.write(out, [{"student": "a", "lesson": "01", "01.x": 1, "total": 1, "max": 1, "seed": 4}])
    with open(out, newline="") as stream:
        header = next(csv.reader(stream))
    assert header[:3] == ["student", "lms_id", "lesson"] and header[-3:] == ["seed", "course_version", "checks_hash"]
