"""`course grade`: one batch of generated submissions (every misbehaviour), plus fast unit tests of the parts."""
import csv
import inspect
import os
import time

import nbformat
import numpy as np
import pytest

from course_utils import cli, exercises
from course_utils.grading import gradebook
from course_utils.grading.extract import detect_lesson, grading_source
from course_utils.grading.identity import identify
from course_utils.grading.grader import plain
from course_utils.grading.tamper import Snapshot
from course_utils.lessons.lesson01_perceptron import reference as ref

from grading_fixtures import POINTS, make_submissions

LIMITS = ["--jobs", "2", "--cell-timeout", "45", "--timeout", "240", "--memory-limit", "1500",
          "--exercise-timeout", "20", "--lesson", "01", "--seed", "12345"]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    submissions = root / "submitted"
    expected = make_submissions(submissions)
    out, feedback = root / "gradebook.csv", root / "feedback"
    start = time.monotonic()
    assert cli.main(["grade", str(submissions), "--out", str(out), "--feedback", str(feedback)] + LIMITS) == 0
    seconds = time.monotonic() - start
    with open(out, newline="") as stream:
        rows = {row["submission"].rsplit("/", 1)[-1]: row for row in csv.DictReader(stream)}
    print(f"graded {len(rows)} submissions in {seconds:.0f} s")
    return {"root": root, "submissions": submissions, "expected": expected, "rows": rows, "out": out,
            "feedback": feedback}


def test_every_submission_has_its_row(batch):
    assert len(batch["expected"]) >= 20
    assert set(batch["rows"]) == set(batch["expected"])


@pytest.mark.parametrize("name", sorted(make_submissions.__globals__["_submissions"]()) +
                         ["not_json", "not_a_notebook", "other_lesson"])
def test_row_status_and_points(batch, name):
    row, want = batch["rows"][f"{name}.ipynb"], batch["expected"][f"{name}.ipynb"]
    assert row["status"] == want.status, row
    assert int(row["total"]) == want.total, row
    if want.status in ("invalid notebook", "wrong lesson"):
        return
    assert int(row["max"]) == sum(POINTS.values())
    for eid in POINTS:
        assert int(row[eid]) == want.points.get(eid, 0), (eid, row)
    for eid, status in want.exercise_status.items():
        assert f"{eid}: {status}" in row["notes"], row["notes"]
    assert row["student"] == (want.student or name)
    assert float(row["seconds"]) > 0


def test_submission_files_are_untouched(batch):
    # the one that deletes every file in its working folder ran on a copy
    assert (batch["submissions"] / "deletes_files.ipynb").exists()


def test_feedback_is_readable_and_hides_hidden_cases_and_reference(batch):
    files = {p.name: p.read_text() for p in batch["feedback"].glob("*.md")}
    assert "correct-01.md" in files and "partial_mistake-01.md" in files
    assert "Score: 11/11" in files["correct-01.md"]
    mistake = files["partial_mistake-01.md"]
    assert "01.step_neuron" in mistake and "hint:" in mistake and "case:" in mistake
    hard = files["hardcoded_answer-01.md"]
    assert "new inputs (not shown)" in hard and "max_epochs" not in hard.split("01.count_separable_gates")[1][:400]
    reference_lines = [line.strip() for line in inspect.getsource(ref).splitlines() if len(line.strip()) > 30]
    for text in files.values():
        assert not any(line in text for line in reference_lines)


def test_rerun_skips_graded_submissions_unless_forced(batch, capsys):
    before = batch["out"].read_text()
    start = time.monotonic()
    cli.main(["grade", str(batch["submissions"]), "--out", str(batch["out"])] + LIMITS)
    assert time.monotonic() - start < 20
    assert "already in" in capsys.readouterr().out
    assert batch["out"].read_text() == before
    cli.main(["grade", str(batch["submissions"] / "not_json.ipynb"), "--out", str(batch["out"]), "--force"] + LIMITS)
    rows = gradebook.read(batch["out"])
    assert len(rows) == len(batch["expected"])


# ---- fast unit tests ------------------------------------------------------------------------------

def _nb(*sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def test_extraction_keeps_definitions_and_drops_statements():
    nb = _nb("import numpy as np\nfrom course_utils import start_lesson\nlesson = start_lesson('01')",
             "# Exercise: 01.step_neuron\ndef step_neuron(x, w, b):\n    return 1.0",
             "lesson.check(step_neuron)\nimport numpy\nnumpy.allclose = lambda *a: True",
             "LR = 0.5\nTABLE = {'a': [1, 2]}\nBIG = np.ones(3)\nstep = lesson.use(step_neuron)\n%matplotlib inline",
             "def broken(:\n  pass", "class Helper:\n    pass\nfor i in range(3):\n    print(i)")
    imports, definitions = grading_source(nb)
    assert imports == ["import numpy as np", "from course_utils import start_lesson", "import numpy"]
    text = "\n".join(definitions)
    assert "def step_neuron" in text and "LR = 0.5" in text and "TABLE = " in text and "step = step_neuron" in text
    assert "class Helper" in text
    for dropped in ("allclose", "np.ones", "print", "check(", "start_lesson('01')", "broken"):
        assert dropped not in text
    assert detect_lesson(nb, "x.ipynb") == "01"


def test_student_id_from_metadata_then_folder_then_name(tmp_path):
    nb = _nb("pass")
    assert identify(nb, tmp_path / "bob.ipynb").student == "bob"
    assert identify(nb, tmp_path / "carol" / "01_perceptron.ipynb").student == "carol"
    nb.metadata["course"] = {"student_id": "dave"}
    assert identify(nb, tmp_path / "bob.ipynb").student == "dave"


def test_snapshot_detects_and_restores_patches():
    import course_utils.checking.compare as compare
    from course_utils.checking.verdict import Verdict

    exercises.load_all()
    snapshot = Snapshot(exercises.registry())
    original_allclose, original_expect = np.allclose, compare.expect_close
    original_code = ref.step_neuron.__code__
    try:
        np.allclose = lambda *args, **kwargs: True
        compare.expect_close = lambda *args, **kwargs: None
        Verdict.passed = property(lambda self: True)
        ref.step_neuron.__code__ = (lambda x, w, b: 0.0).__code__
        exercises.registry()["01.sigmoid_neuron"] = exercises.registry()["01.step_neuron"]
        changes = " ".join(snapshot.changes())
        for name in ("numpy.allclose", "compare.expect_close", "Verdict.passed", "step_neuron (code)", "registry"):
            assert name in changes
    finally:
        snapshot.restore()
    assert snapshot.changes() == []
    assert np.allclose is original_allclose and compare.expect_close is original_expect
    assert ref.step_neuron.__code__ is original_code
    assert Verdict("x", "failed", 1).passed is False


def test_plain_strips_student_subclasses():
    class Sneaky(float):
        def __eq__(self, other):
            return True

    class SneakyArray(np.ndarray):
        pass

    assert type(plain(Sneaky(2.0))) is float
    assert type(plain([Sneaky(1.0), (np.zeros(2).view(SneakyArray),)])[1][0]) is np.ndarray
    array = np.arange(3.0)
    assert plain(array) is array and plain(np.float64(1.5)) == 1.5


def test_gradebook_is_replaced_atomically(tmp_path):
    out = tmp_path / "book.csv"
    gradebook.write(out, [{"student": "a", "lesson": "01", "01.x": 1, "total": 1, "max": 1, "status": "graded"}])
    gradebook.write(out, [{"student": "a", "lesson": "01", "01.x": 1, "total": 1, "max": 1, "status": "graded"},
                          {"student": "b", "lesson": "01", "01.x": 0, "total": 0, "max": 1, "status": "timeout"}])
    assert [r["student"] for r in gradebook.read(out)] == ["a", "b"]
    assert [p.name for p in tmp_path.iterdir()] == ["book.csv"]  # no temporary file left behind


def test_course_check_explains_a_file_it_cannot_grade(tmp_path, capsys):
    broken = tmp_path / "mine.ipynb"
    broken.write_text("{not json")
    assert cli.main(["check", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "could not be read as a Jupyter notebook" in out and "What to do: Download the notebook again" in out
    assert cli.main(["check", str(tmp_path / "absent.ipynb")]) == 1
    assert "no such notebook" in capsys.readouterr().out


def test_a_definition_that_hangs_costs_one_grader_timeout_not_one_per_exercise(tmp_path):
    from course_utils.grading.batch import Settings, grade_functions

    nb = _nb("import numpy as np",
             "# Exercise: 01.step_neuron\ndef step_neuron(x, w, b):\n    return 1.0 if np.dot(w, x) + b > 0 else 0.0",
             "class Slow:\n    while True:\n        pass")
    settings = Settings(out=tmp_path / "book.csv", exercise_timeout=2)
    start = time.monotonic()
    records = grade_functions(nb, exercises.for_lesson("01"), settings, seed=1)
    assert [r["status"] for r in records] == ["timeout"] * len(records)
    assert time.monotonic() - start < 2 * (2 + 15) + 30


def test_graded_kernels_draw_figures_without_rendering_them(monkeypatch):
    from course_utils.execution import course_environment

    monkeypatch.delenv("MPLBACKEND", raising=False)
    with course_environment(strict=False, figures=False):
        assert os.environ["MPLBACKEND"] == "agg"  # nobody sees a graded notebook's figures
    with course_environment(strict=True):
        assert os.environ["MPLBACKEND"] == "module://matplotlib_inline.backend_inline"
    assert "MPLBACKEND" not in os.environ
