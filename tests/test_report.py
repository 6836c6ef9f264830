"""`course report`: the class report from a hand-built gradebook (fast) and from one really graded by `course grade`."""
import base64
import csv
import re
from html.parser import HTMLParser

import pytest

from course_utils import cli
from course_utils.grading import gradebook
from course_utils.grading.report import ReportError, write_report

from grading_fixtures import make_submissions

EVIL_NAME = '<script>alert("name")</script>'
EVIL_NOTE = '"><img src=x onerror=alert(1)>'
STEP, COUNT, FORWARD = "01.step_neuron", "01.count_separable_gates", "01.two_layer_forward"


def _row(student, step, count, forward, status="graded", seconds="3.0", seed="7", notes=""):
    return {"student": student, "lms_id": "", "lesson": "01", STEP: step, COUNT: count, FORWARD: forward,
            "total": step + count + forward, "max": 5, "status": status, "seconds": seconds, "notes": notes,
            "submission": f"submitted/{student}.ipynb", "sha256": "0" * 64, "seed": seed, "course_version": "0.1.0",
            "checks_hash": "abc123"}


def _results(*statuses):
    points = {STEP: 1, COUNT: 2, FORWARD: 2}
    return {"results": [{"id": eid, "status": status, "points": points[eid] if status == "passed" else 0,
                         "max_points": points[eid], "text": "", "hidden_run": 8,
                         "hidden_failed": 3 if status == "failed hidden cases" else 0, "detail": ""}
                        for eid, status in zip(points, statuses)],
            "titles": {STEP: "A step neuron", COUNT: "Counting separable gates", FORWARD: "A two-layer forward pass"}}


def write_small_gradebook(folder, seeds=("7", "7", "7", "7"), details=True):
    """Four lesson 01 rows and an invalid notebook: count_separable_gates is passed by 1 of 4, two_layer_forward
    by 2 and step_neuron by 3; the timed-out row's student is named like a script. Returns the gradebook's path."""
    rows = [_row("ada", 1, 2, 2, seconds="2.0", seed=seeds[0]),
            _row("bob", 1, 0, 0, seconds="3.0", seed=seeds[1]),
            _row("carol", 1, 0, 2, seconds="4.0", seed=seeds[2], notes=f"{COUNT}: failed hidden cases"),
            _row(EVIL_NAME, 0, 0, 0, status="timeout", seconds="60.0", seed=seeds[3], notes=EVIL_NOTE),
            {"student": "broken", "lesson": "", "total": 0, "max": 0, "status": "invalid notebook", "seconds": "0.1",
             "notes": "not JSON", "submission": "submitted/broken.ipynb", "seed": seeds[0]}]
    path = folder / "grades.csv"
    gradebook.write(path, rows)
    if details:
        gradebook.write_details(path, {
            "submitted/ada.ipynb": _results("passed", "passed", "passed"),
            "submitted/bob.ipynb": _results("passed", "failed", "not_attempted"),
            "submitted/carol.ipynb": _results("passed", "failed hidden cases", "passed"),
            f"submitted/{EVIL_NAME}.ipynb": _results("failed", "timeout", "failed")})
    return path


class Tables(HTMLParser):
    """Every table of a page as {caption: [[cell text, ...], ...]} (header row first)."""

    def __init__(self, page):
        super().__init__()
        self.tables, self.caption, self.cell = {}, None, None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "caption":
            self.caption = ""
        elif tag == "tr":
            self.tables[self.caption].append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "caption":
            self.tables[self.caption] = []
        elif tag in ("td", "th"):
            self.tables[self.caption][-1].append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        elif self.caption is not None and self.caption not in self.tables:
            self.caption += data


def _images(page):
    """[(alt, png bytes)] of every <img> in the page; each must be an embedded PNG."""
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)">', page)
    assert len(images) == page.count("<img"), "every image is an embedded PNG with alt text"
    return [(alt, base64.b64decode(data)) for data, alt in images]


def _report(tmp_path, **kwargs):
    out = tmp_path / "report.html"
    summary = write_report(write_small_gradebook(tmp_path, **kwargs), out)
    return summary, out.read_text()


def test_exercises_hardest_first_with_pass_and_hidden_rates(tmp_path):
    summary, page = _report(tmp_path)
    assert summary == "report.html: 5 submissions, 1 lesson"
    table = Tables(page).tables["Exercises of lesson 01, lowest pass rate first"]
    assert table[0] == ["exercise", "title", "passed", "failed hidden cases", "other statuses"]
    assert table[1:] == [
        [COUNT, "Counting separable gates", "1 of 4 (25%)", "1 of 4 (25%)", "failed 1, timeout 1"],
        [FORWARD, "A two-layer forward pass", "2 of 4 (50%)", "0 of 4 (0%)", "failed 1, not attempted 1"],
        [STEP, "A step neuron", "3 of 4 (75%)", "0 of 4 (0%)", "failed 1"]]


def test_status_counts_time_and_score_figures(tmp_path):
    _, page = _report(tmp_path)
    tables = Tables(page).tables
    assert tables["Rows of the gradebook per status"][1:] == [["graded", "3"], ["invalid notebook", "1"],
                                                             ["timeout", "1"]]
    assert [row[2] for row in tables["Rows whose status is not graded"][1:]] == ["invalid notebook", "timeout"]
    assert "Median 3.0 s, longest 60.0 s" in page
    (time_alt, time_png), (score_alt, score_png) = _images(page)
    assert time_alt == "Histogram of the grading time of 5 submissions: median 3.0 s, longest 60.0 s."
    # scores 5/5, 1/5, 3/5, 0/5
    assert score_alt.endswith("lowest 0%, median 40%, highest 100%.") and "4 submissions for lesson 01" in score_alt
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000 for png in (time_png, score_png))


def test_every_gradebook_value_is_escaped(tmp_path):
    _, page = _report(tmp_path)
    assert "<script" not in page and "<img src=x" not in page
    assert html_escaped(EVIL_NAME) in page  # shown, as text: it is the slowest submission and a row to look at
    assert html_escaped(EVIL_NOTE) in page
    assert EVIL_NAME in [row[0] for row in Tables(page).tables["Rows whose status is not graded"][1:]]


def html_escaped(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def test_the_page_is_self_contained_and_accessible(tmp_path):
    _, page = _report(tmp_path)
    assert 'src="http' not in page and "<link" not in page and "url(" not in page and "<script" not in page
    assert '<html lang="en">' in page and "<title>Class report: grades.csv</title>" in page
    assert page.count("<h1>") == 1 and '<th scope="col">' in page and "<caption>" in page
    assert all(alt.strip() for alt, _ in _images(page))


def test_provenance_and_a_warning_when_rows_were_graded_differently(tmp_path):
    _, page = _report(tmp_path)
    assert "seed: <code>7</code>" in page and "course version: <code>0.1.0</code>" in page
    assert "checks hash: <code>abc123</code>" in page and "Warning" not in page
    (tmp_path / "mixed").mkdir()
    _, mixed = _report(tmp_path / "mixed", seeds=("7", "7", "8", "7"))
    assert 'class="warning"' in mixed and "different seeds" in mixed
    assert "<code>7</code> (3 rows), <code>8</code> (1 row)" in mixed


def test_a_gradebook_without_details_or_provenance_columns(tmp_path):
    old_columns = ["student", "lesson", STEP, COUNT, FORWARD, "total", "max", "status", "seconds", "notes",
                   "submission", "sha256"]  # a gradebook from before the seed and details were stored
    path = write_small_gradebook(tmp_path, details=False)
    rows = gradebook.read(path)
    with open(path, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=old_columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    write_report(path, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text()
    table = Tables(page).tables["Exercises of lesson 01, lowest pass rate first"]
    assert [row[0] for row in table[1:]] == [COUNT, FORWARD, STEP]
    assert all(row[3] == row[4] == "no details" for row in table[1:])
    assert "seed: <code>not recorded</code>" in page and "Warning" not in page
    assert "details file beside the gradebook (<code>grades.details.json</code>) is missing" in page


@pytest.mark.parametrize("content, message", [
    (None, "there is no gradebook at"),
    ("", "has no rows"),
    ("name,score\nada,3\n", "not a gradebook written by `course grade`: it has no column 'student', 'lesson'"),
    ("student,lesson,total,max,status\nada,01,lots,5,graded\n", "line 2 of"),
])
def test_bad_gradebooks_get_one_sentence(tmp_path, content, message):
    path = tmp_path / "grades.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ReportError, match=re.escape(message)):
        write_report(path, tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()


def test_cli_exit_codes(tmp_path, capsys):
    out = tmp_path / "report.html"
    assert cli.main(["report", str(tmp_path / "nothing.csv"), "--out", str(out)]) == 2
    assert capsys.readouterr().out.startswith("no report written: there is no gradebook at")
    assert cli.main(["report", str(write_small_gradebook(tmp_path)), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == "report.html: 5 submissions, 1 lesson"
    assert out.read_text().startswith("<!DOCTYPE html>")


# ---- one class really graded by `course grade` ----------------------------------------------------

@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """correct (11/11), partial_mistake (3/11) and hardcoded_answer (5/11, fails count_separable_gates' hidden
    cases), graded for real; returns the report's HTML and whether `course grade` wrote the details file."""
    root = tmp_path_factory.mktemp("report")
    make_submissions(root / "all")
    submissions = root / "submitted"
    submissions.mkdir()
    for name in ("correct", "partial_mistake", "hardcoded_answer"):
        (root / "all" / f"{name}.ipynb").rename(submissions / f"{name}.ipynb")
    out = root / "grades.csv"
    assert cli.main(["grade", str(submissions), "--out", str(out), "--lesson", "01", "--seed", "12345",
                     "--jobs", "2", "--cell-timeout", "45", "--timeout", "240", "--exercise-timeout", "20"]) == 0
    assert cli.main(["report", str(out), "--out", str(root / "report.html")]) == 0
    return {"page": (root / "report.html").read_text(), "details": gradebook.details_path(out).exists()}


def test_a_really_graded_class(graded_class):
    page = graded_class["page"]
    table = Tables(page).tables["Exercises of lesson 01, lowest pass rate first"][1:]
    # only the correct submission passes these two; the hard-coded one also fails count's hidden cases
    assert [row[0] for row in table[:2]] == [COUNT, "01.logic_gate_weights"]
    assert [row[2] for row in table] == ["1 of 3 (33%)"] * 2 + ["2 of 3 (67%)"] * 5
    if graded_class["details"]:
        assert table[0][3] == "1 of 3 (33%)" and table[0][4] == "not attempted 1"
        assert table[0][1], "titles come from the details file"
    else:  # `course grade` of this checkout does not write the details file yet
        assert all(row[3] == "no details" for row in table)
    assert Tables(page).tables["Rows of the gradebook per status"][1:] == [["graded", "3"]]
    (_, _), (score_alt, _) = _images(page)
    assert score_alt.endswith("lowest 27%, median 45%, highest 100%.")
    assert "seed: <code>12345</code>" in page and "Warning" not in page
