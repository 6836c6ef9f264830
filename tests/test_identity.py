"""Who submitted what: LMS and nbgrader layouts, resubmissions, metadata, and no row or feedback overwritten."""
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from course_utils import cli
from course_utils.grading.batch import DuplicateSubmissions, Settings, grade, one_per_student, submission_roots
from course_utils.grading.extract import detect_lesson
from course_utils.grading.identity import Identity, identify
from course_utils.grading.roster import RosterError, read_roster

ROOT = Path(__file__).resolve().parent.parent
PLAIN = nbformat.v4.new_notebook()


@pytest.mark.parametrize("relative, student, late, lms_id", [
    ("submitted/ada/ps1/01_perceptron.ipynb", "ada", False, ""),                        # nbgrader
    ("submitted/bob/ps1/01_perceptron.ipynb", "bob", False, ""),
    ("ada/01_perceptron.ipynb", "ada", False, ""),                                      # one folder per student
    ("lovelaceada_12345_678901_01_perceptron.ipynb", "lovelaceada", False, "12345"),    # Canvas bulk download
    ("lovelaceada_LATE_12345_678901_01_perceptron.ipynb", "lovelaceada", True, "12345"),  # Canvas, late
    ("lovelaceada_12345_678902_01_perceptron-1.ipynb", "lovelaceada", False, "12345"),  # Canvas resubmission
    ("Ada Lovelace_4242_assignsubmission_file_/01_perceptron.ipynb", "Ada Lovelace", False, "4242"),  # Moodle
    ("ada/01_perceptron (1).ipynb", "ada", False, ""),                                   # browser resubmission
    ("carol.ipynb", "carol", False, ""),
])
def test_layouts(tmp_path, relative, student, late, lms_id):
    assert identify(PLAIN, tmp_path / relative, root=tmp_path) == Identity(student, late, lms_id)


ROSTER = """student_id,name,canvas_id,login,section
s001,Ada Lovelace,12345,lovelaceada,A
s002,Bob Babbage,23456,,A
s003,carol,,,B
s004,dave,,,B
"""


@pytest.mark.parametrize("relative, student", [
    ("lovelaceada_LATE_12345_678901_01_perceptron.ipynb", "s001"),   # Canvas login
    ("babbage_23456_678902_01_perceptron.ipynb", "s002"),            # Canvas user id, login not on the roster
    ("Ada Lovelace_4242_assignsubmission_file_/01_perceptron.ipynb", "s001"),  # Moodle full name
    ("submitted/CAROL/ps1/01_perceptron.ipynb", "s003"),             # nbgrader folder, another case
])
def test_a_roster_maps_every_layout_to_its_student_id(tmp_path, relative, student):
    (tmp_path / "roster.csv").write_text(ROSTER)
    found = identify(PLAIN, tmp_path / relative, tmp_path, read_roster(tmp_path / "roster.csv"))
    assert (found.student, found.on_roster) == (student, True)


@pytest.mark.parametrize("folder", ["erin", "B"])  # not on the roster; a section that two students share
def test_a_name_the_roster_does_not_pin_to_one_student_keeps_the_name_found(tmp_path, folder):
    (tmp_path / "roster.csv").write_text(ROSTER)
    found = identify(PLAIN, tmp_path / folder / "01_perceptron.ipynb", tmp_path, read_roster(tmp_path / "roster.csv"))
    assert (found.student, found.on_roster) == (folder, False)


@pytest.mark.parametrize("text, complaint", [
    ("name,login\nAda,ada\n", "needs a 'student_id' column"),
    ("student_id,name\ns1,Ada\ns1,Bob\n", "lists s1 twice"),
    ("student_id,name\n,Ada\n", "rows without a student_id"),
])
def test_a_bad_roster_is_refused_with_a_sentence(tmp_path, capsys, text, complaint):
    (tmp_path / "roster.csv").write_text(text)
    with pytest.raises(RosterError, match=complaint):
        read_roster(tmp_path / "roster.csv")
    _submit(tmp_path, "ada/00_welcome.ipynb")
    assert cli.main(["grade", str(tmp_path / "ada"), "--out", str(tmp_path / "gb.csv"),
                     "--roster", str(tmp_path / "roster.csv")]) == 2
    assert "nothing graded: " in capsys.readouterr().out and not (tmp_path / "gb.csv").exists()


def test_metadata_wins_over_every_layout(tmp_path):
    nb = nbformat.v4.new_notebook(metadata={"course": {"student_id": "dave"}})
    assert identify(nb, tmp_path / "submitted/ada/ps1/01_perceptron.ipynb", tmp_path).student == "dave"


def test_lesson_is_read_through_lms_names():
    assert detect_lesson(PLAIN, Path("lovelaceada_LATE_1_2_05_llm_basics-2.ipynb")) == "05"


def _submit(root, relative, mtime=None):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "solutions" / "00_welcome.ipynb", path)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def test_two_files_of_one_student_are_an_error_naming_both(tmp_path):
    first = _submit(tmp_path, "submitted/ada/ps0/00_welcome.ipynb")
    second = _submit(tmp_path, "submitted/ada/ps0/00_welcome (1).ipynb")
    with pytest.raises(DuplicateSubmissions) as error:
        grade([tmp_path / "submitted"], Settings(out=tmp_path / "gb.csv", quiet=True))
    assert str(first) in str(error.value) and str(second) in str(error.value)
    assert not (tmp_path / "gb.csv").exists()  # nothing was graded


def test_newest_wins_keeps_one_file(tmp_path):
    _submit(tmp_path, "ada/00_welcome.ipynb", mtime=1_000_000)
    newest = _submit(tmp_path, "ada/00_welcome (1).ipynb", mtime=2_000_000)
    roots = one_per_student(submission_roots([tmp_path]), [], newest_wins=True)
    assert list(roots) == [newest]


def test_a_new_file_for_a_graded_student_is_a_duplicate(tmp_path):
    later = _submit(tmp_path, "ada/00_welcome.ipynb")
    earlier_row = {"student": "ada", "lesson": "00", "submission": str(tmp_path / "elsewhere" / "00_welcome.ipynb")}
    with pytest.raises(DuplicateSubmissions, match="ada, lesson 00"):
        one_per_student(submission_roots([tmp_path]), [earlier_row], newest_wins=False)
    assert one_per_student(submission_roots([tmp_path]), [], newest_wins=False) == {later: tmp_path}


def test_nbgrader_layout_gives_each_student_their_own_row_and_feedback(tmp_path, capsys):
    """The bug this fixes: ada's and bob's rows were both named "ps0" and bob's feedback overwrote ada's."""
    _submit(tmp_path, "submitted/ada/ps0/00_welcome.ipynb")
    stub = _submit(tmp_path, "submitted/bob/ps0/00_welcome.ipynb")
    shutil.copy(ROOT / "notebooks" / "00_welcome.ipynb", stub)  # bob submits the untouched student notebook
    out, feedback = tmp_path / "gb.csv", tmp_path / "feedback"
    assert cli.main(["grade", str(tmp_path / "submitted"), "--out", str(out), "--feedback", str(feedback),
                     "--jobs", "2", "--seed", "1"]) == 0
    files = sorted(p.name for p in feedback.iterdir())
    assert files == ["ada-00.html", "ada-00.md", "bob-00.html", "bob-00.md"]
    assert "3/3" in (feedback / "ada-00.md").read_text() and "0/3" in (feedback / "bob-00.md").read_text()


def test_the_command_says_why_it_graded_nothing(tmp_path, capsys):
    _submit(tmp_path, "ada/00_welcome.ipynb")
    _submit(tmp_path, "ada/00_welcome-1.ipynb")
    assert cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "gb.csv")]) == 2
    assert "nothing graded" in capsys.readouterr().out
