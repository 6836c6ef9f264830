"""`course build`: stubs, tidy output, malformed sources, and the staleness check."""
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_utils.build import BuildError, stale, student_version
from course_utils.paths import notebooks_dir, solutions_dir

ROOT = Path(__file__).resolve().parent.parent
LESSON01_BODIES = {
    "step_neuron": "x, w, b", "sigmoid_neuron": "x, w, b", "logic_gate_weights": "gate",
    "perceptron_update": "w, b, x, y, lr=1.0", "train_perceptron": "X, y, lr=1.0, max_epochs=100",
    "count_separable_gates": "max_epochs=100", "two_layer_forward": "x, W1, b1, W2, b2",
}


def exercise_cell(name, args, body="    return 1"):
    return new_code_cell(f"# Exercise: 01.{name}\ndef {name}({args}):\n    ### BEGIN SOLUTION\n{body}\n"
                         f"    ### END SOLUTION")


def lesson01_source(extra_cells=()):
    cells = [new_markdown_cell("# Lesson 01")] + [exercise_cell(n, a) for n, a in LESSON01_BODIES.items()]
    return new_notebook(cells=cells + list(extra_cells))


def test_solution_region_becomes_a_stub_and_outputs_are_cleared():
    source = lesson01_source()
    source.cells[1].outputs = [new_output("stream", name="stdout", text="hi")]
    source.cells[1].execution_count = 3
    built = student_version(source, "01_perceptron.ipynb")
    cell = built.cells[1]
    assert "return 1" not in cell.source
    assert "    # YOUR CODE HERE\n    raise NotImplementedError()" in cell.source
    assert cell.source.startswith("# Exercise: 01.step_neuron\ndef step_neuron(x, w, b):")
    assert cell.outputs == [] and cell.execution_count is None
    assert set(built.metadata) == {"kernelspec", "language_info", "course"}
    assert built.metadata["course"]["generated_from"] == "solutions/01_perceptron.ipynb"
    assert "do not edit" in built.metadata["course"]["note"]


@pytest.mark.parametrize("mutate, fragment", [
    (lambda nb: setattr(nb.cells[1], "source", nb.cells[1].source.replace("    ### END SOLUTION", "")),
     "never closed"),
    (lambda nb: setattr(nb.cells[1], "source", nb.cells[1].source.replace("    ### BEGIN SOLUTION\n", "")),
     "without a matching"),
    (lambda nb: nb.cells.append(new_code_cell("x = 1\n### BEGIN SOLUTION\nx = 2\n### END SOLUTION")),
     "outside an exercise cell"),
    (lambda nb: nb.cells.append(new_code_cell("# Exercise: 01.no_such\ndef no_such():\n    pass")),
     "unknown exercise id '01.no_such'"),
    (lambda nb: setattr(nb.cells[1], "source", nb.cells[1].source.replace("def step_neuron", "def stepper")),
     "must define `def step_neuron"),
    (lambda nb: nb.cells.pop(1), "registered but with no cell: 01.step_neuron"),
    (lambda nb: nb.cells.append(new_markdown_cell("### BEGIN SOLUTION\ntext\n### END SOLUTION")),
     "belong in code cells"),
])
def test_malformed_sources_are_build_errors_naming_the_cell(mutate, fragment):
    source = lesson01_source()
    mutate(source)
    with pytest.raises(BuildError) as info:
        student_version(source, "01_perceptron.ipynb")
    assert fragment in str(info.value) and "01_perceptron.ipynb" in str(info.value)


def test_notebook_names_must_match_a_lesson():
    with pytest.raises(BuildError, match="no checks module"):
        student_version(lesson01_source(), "01_wrong_slug.ipynb")


def test_repository_notebooks_are_current():
    assert stale(solutions_dir(), notebooks_dir()) == []


def test_editing_a_solution_without_rebuilding_makes_the_check_fail(tmp_path):
    for folder, source in (("solutions", solutions_dir()), ("notebooks", notebooks_dir())):
        (tmp_path / folder).mkdir()
        shutil.copy(source / "01_perceptron.ipynb", tmp_path / folder)
    command = [sys.executable, "-m", "course_utils.cli", "build", "--check",
               "--solutions", str(tmp_path / "solutions"), "--notebooks", str(tmp_path / "notebooks")]
    assert subprocess.run(command, capture_output=True, text=True).returncode == 0
    path = tmp_path / "solutions" / "01_perceptron.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\nA new sentence."
    nbformat.write(nb, path)
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 1
    assert "01_perceptron.ipynb differs" in result.stdout and "course build" in result.stdout


@pytest.mark.parametrize("path", sorted(solutions_dir().glob("*.ipynb")), ids=lambda p: p.name)
def test_a_lesson_that_uses_torch_imports_it_before_start_lesson(path):
    """start_lesson seeds torch and sets its threads only when torch is already imported (see seeding.py)."""
    import re

    code = [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    if not any(re.search(r"\btorch\b", source) for source in code):
        return
    first = code[0]
    assert "start_lesson(" in first and re.search(r"^import torch$", first, re.M), path.name
    assert first.index("import torch") < first.index("start_lesson("), path.name


def test_a_torch_free_lesson_starts_without_torch():
    script = ("import sys\nfrom course_utils import start_lesson\nlesson = start_lesson('01')\n"
              "from course_utils.lessons.lesson01_perceptron.reference import step_neuron\nlesson.check(step_neuron)\n"
              "lesson.show_progress()\nprint(sorted(m for m in ('torch', 'sklearn', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_one_parser_reads_exercise_headers():
    from course_utils.exercise_cells import exercise_id

    assert exercise_id("\n  # Exercise: 01.step_neuron\ndef step_neuron(): ...") == "01.step_neuron"
    assert exercise_id("#Exercise:01.x") == "01.x"
    assert exercise_id("x = 1\n# Exercise: 01.x") is None  # only the first non-blank line counts
    assert exercise_id("") is None
