"""Test submissions for `course grade`, generated from notebooks/01_perceptron.ipynb at test time.

Each submission is the student notebook with a few small changes (an exercise
solved, a mistake, a misbehaving cell, a tampering attempt), so the fixtures
never go stale when the lesson changes. ``make_submissions(folder)`` writes
them and returns what the grader should report for each.
"""
import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_utils.exercise_cells import exercise_id
from course_utils.paths import notebooks_dir, solutions_dir

POINTS = {"01.step_neuron": 1, "01.sigmoid_neuron": 1, "01.logic_gate_weights": 1, "01.perceptron_update": 2,
          "01.train_perceptron": 2, "01.count_separable_gates": 2, "01.two_layer_forward": 2}


@dataclass
class Expected:
    status: str
    points: dict = field(default_factory=dict)    # exercise id -> points; unlisted exercises earn 0
    student: str | None = None
    exercise_status: dict = field(default_factory=dict)  # exercise id -> status noted in the row

    @property
    def total(self):
        return sum(self.points.values())


def _student():
    return nbformat.read(notebooks_dir() / "01_perceptron.ipynb", as_version=4)


def _exercise_cells(nb):
    return {exercise_id(cell.source): cell for cell in nb.cells
            if cell.cell_type == "code" and exercise_id(cell.source) is not None}


SOLUTIONS = {eid: cell.source for eid, cell in
             _exercise_cells(nbformat.read(solutions_dir() / "01_perceptron.ipynb", as_version=4)).items()}


def solve(nb, *exercise_ids):
    """The notebook with these exercises' cells replaced by the solution's."""
    cells = _exercise_cells(nb)
    for eid in exercise_ids:
        cells[eid].source = SOLUTIONS[eid]
    return nb


def write_exercise(nb, eid, body):
    """Replace an exercise cell by its header and ``body``."""
    _exercise_cells(nb)[eid].source = f"# Exercise: {eid}\n{body.strip()}\n"
    return nb


def after_imports(nb, source):
    """Insert a code cell right after the lesson's first code cell (the imports and start_lesson)."""
    index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code") + 1
    nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    return nb


def append(nb, source):
    nb.cells.append(nbformat.v4.new_code_cell(source))
    return nb


def everything(nb):
    return solve(nb, *POINTS)


STEP_WRONG = """
def step_neuron(x, w, b):
    return 1.0 if float(np.dot(w, x) + b) >= 0 else 0.0
"""

COUNT_HARDCODED = """
def count_separable_gates(max_epochs=100):
    return {2: 4, 4: 10}.get(max_epochs, 14)   # the public cases' answers, memorised
"""

TAMPER_TOP_LEVEL = """
import numpy
import course_utils.checking as checking
from course_utils import exercises, progress
from course_utils.checking import Verdict
checking.run_check = lambda exercise, function: Verdict(exercise.id, "passed", exercise.points)
numpy.allclose = lambda *args, **kwargs: True
lesson.check = lambda function, exercise=None: print(f"01.{function.__name__}: passed (2/2 points).")
for eid in list(exercises.registry()):
    exercises.registry()[eid] = exercises.registry()["01.step_neuron"]
progress.record(Verdict("01.two_layer_forward", "passed", 2))
print("01.two_layer_forward: passed (2/2 points).")
"""

TAMPER_IN_FUNCTION = """
def perceptron_update(w, b, x, y, lr=1.0):
    import course_utils.checking.compare as compare
    import course_utils.lessons.lesson01_perceptron.checks as checks
    compare.expect_close = lambda *args, **kwargs: None
    checks.expect_close = lambda *args, **kwargs: None
    return w, b
"""

TAMPER_SELF_RESTORING = """
def two_layer_forward(x, W1, b1, W2, b2):
    import course_utils.lessons.lesson01_perceptron.checks as checks
    original = checks.expect_close
    def fake(*args, **kwargs):
        checks.expect_close = original      # put it back before anyone looks
    checks.expect_close = fake
    return x, x
"""

TAMPER_CLASS_AND_CODE = """
def sigmoid_neuron(x, w, b):
    from course_utils.checking.verdict import Verdict
    from course_utils.lessons.lesson01_perceptron import reference as ref
    Verdict.passed = property(lambda self: True)
    ref.sigmoid_neuron.__code__ = (lambda x, w, b: 0.0).__code__
    return 0.0
"""

TAMPER_EXERCISE_TABLE_AND_TRACE = """
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    import sys
    from course_utils import exercises
    entry = exercises.registry()["01.train_perceptron"]
    object.__setattr__(entry, "checker", lambda function: None)
    sys.settrace(lambda *args: None)
    return None
"""

TAMPER_AT_DEFINITION = """
class Sneaky:
    import numpy
    numpy.isclose = lambda *args, **kwargs: True
"""

MEMORY_HOG = """
import numpy as np
hog = []
for _ in range(60):
    hog.append(np.ones(100 * 2**20 // 8))   # 100 MB each, touched
"""

DELETE_FILES = """
import os
for name in os.listdir("."):
    if os.path.isfile(name):
        os.remove(name)
"""

EXIT_IN_FUNCTION = """
def step_neuron(x, w, b):
    import os
    os._exit(3)
"""

LOOP_IN_FUNCTION = """
def count_separable_gates(max_epochs=100):
    while True:
        pass
"""


def _submissions():
    """name -> (builder, Expected). Built fresh each time."""
    one = {"01.step_neuron": 1}
    return {
        "correct": (everything, Expected("graded", dict(POINTS))),
        "empty": (lambda nb: nb, Expected("graded", exercise_status={})),
        "partial_two": (lambda nb: solve(nb, "01.step_neuron", "01.sigmoid_neuron"),
                        Expected("graded", {"01.step_neuron": 1, "01.sigmoid_neuron": 1})),
        "partial_mistake": (lambda nb: write_exercise(solve(nb, "01.sigmoid_neuron", "01.two_layer_forward"),
                                                      "01.step_neuron", STEP_WRONG),
                            Expected("graded", {"01.sigmoid_neuron": 1, "01.two_layer_forward": 2})),
        # train_perceptron builds on step_neuron and perceptron_update, as in the lesson
        "hardcoded_answer": (lambda nb: write_exercise(solve(nb, "01.step_neuron", "01.perceptron_update",
                                                             "01.train_perceptron"),
                                                       "01.count_separable_gates", COUNT_HARDCODED),
                             Expected("graded", {"01.step_neuron": 1, "01.perceptron_update": 2,
                                                 "01.train_perceptron": 2},
                                      exercise_status={"01.count_separable_gates": "failed hidden cases"})),
        "loops_forever": (lambda nb: append(solve(nb, "01.step_neuron"), "while True:\n    pass"),
                          Expected("timeout", one)),
        "exits_kernel": (lambda nb: append(solve(nb, "01.step_neuron"), "import os\nos._exit(1)"),
                         Expected("kernel died", one)),
        "kills_kernel": (lambda nb: append(solve(nb, "01.step_neuron"),
                                           "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
                         Expected("kernel died", one)),
        "memory_hog": (lambda nb: append(solve(nb, "01.step_neuron"), MEMORY_HOG + "\nimport time\ntime.sleep(60)"),
                       Expected("memory limit", one)),
        "deletes_files": (lambda nb: after_imports(solve(nb, "01.step_neuron"), DELETE_FILES),
                          Expected("graded", one)),
        "prints_megabytes": (lambda nb: append(solve(nb, "01.step_neuron"),
                                               "for _ in range(40):\n    print('x' * 1_000_000)"),
                             Expected("graded", one)),
        "tamper_top_level": (lambda nb: after_imports(solve(nb, "01.step_neuron"), TAMPER_TOP_LEVEL),
                             Expected("graded", one)),
        "tamper_in_function": (lambda nb: write_exercise(solve(nb, "01.step_neuron"), "01.perceptron_update",
                                                         TAMPER_IN_FUNCTION),
                               Expected("tampered", one, exercise_status={"01.perceptron_update": "tampered"})),
        "tamper_self_restoring": (lambda nb: write_exercise(solve(nb, "01.step_neuron"), "01.two_layer_forward",
                                                            TAMPER_SELF_RESTORING),
                                  Expected("tampered", one, exercise_status={"01.two_layer_forward": "tampered"})),
        "tamper_class_and_code": (lambda nb: write_exercise(solve(nb, "01.step_neuron"), "01.sigmoid_neuron",
                                                            TAMPER_CLASS_AND_CODE),
                                  Expected("tampered", one, exercise_status={"01.sigmoid_neuron": "tampered"})),
        "tamper_registry_and_trace": (lambda nb: write_exercise(solve(nb, "01.step_neuron"), "01.train_perceptron",
                                                                TAMPER_EXERCISE_TABLE_AND_TRACE),
                                      Expected("tampered", one,
                                               exercise_status={"01.train_perceptron": "tampered"})),
        "tamper_at_definition": (lambda nb: append(everything(nb), TAMPER_AT_DEFINITION),
                                 Expected("tampered", {}, exercise_status={"01.step_neuron": "tampered"})),
        "exits_in_function": (lambda nb: write_exercise(solve(nb, "01.sigmoid_neuron"), "01.step_neuron",
                                                        EXIT_IN_FUNCTION),
                              Expected("kernel died", {"01.sigmoid_neuron": 1},
                                       exercise_status={"01.step_neuron": "crashed"})),
        "loops_in_function": (lambda nb: write_exercise(solve(nb, "01.step_neuron", "01.two_layer_forward"),
                                                        "01.count_separable_gates", LOOP_IN_FUNCTION),
                              Expected("timeout", {"01.step_neuron": 1, "01.two_layer_forward": 2},
                                       exercise_status={"01.count_separable_gates": "timeout"})),
        "named_in_metadata": (lambda nb: _named(everything(nb), "ada.lovelace"),
                              Expected("graded", dict(POINTS), student="ada.lovelace")),
    }


def _named(nb, student):
    nb.metadata["course"] = {"student_id": student}
    return nb


def make_submissions(folder):
    """Write every submission into ``folder``; return {file name: Expected}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    base = _student()
    for name, (build, want) in _submissions().items():
        nb = build(copy.deepcopy(base))
        (folder / f"{name}.ipynb").write_text(nbformat.writes(nb) + "\n")
        expected[f"{name}.ipynb"] = want
    (folder / "not_json.ipynb").write_text('{"cells": [ this is not json')
    expected["not_json.ipynb"] = Expected("invalid notebook")
    (folder / "not_a_notebook.ipynb").write_text(json.dumps({"hello": "world"}))
    expected["not_a_notebook.ipynb"] = Expected("invalid notebook")
    (folder / "other_lesson.ipynb").write_text((notebooks_dir() / "00_welcome.ipynb").read_text())
    expected["other_lesson.ipynb"] = Expected("wrong lesson")
    return expected
