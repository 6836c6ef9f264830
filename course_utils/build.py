"""``course build``: write the student notebooks in notebooks/ from the sources in solutions/.

A source exercise cell starts with ``# Exercise: NN.function_name`` and holds
its solution between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` lines;
the student copy replaces each region with a stub that raises
NotImplementedError, and every output is cleared.
"""
import re
from pathlib import Path

import nbformat

from . import exercise_cells, exercises
from .lessons import all_lessons

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
NOTEBOOK_NAME = re.compile(r"^(\d\d)_([a-z0-9_]+)\.ipynb$")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class BuildError(Exception):
    """A malformed source notebook; the message names the notebook and cell."""


def _stub_cell(source, where):
    """Replace every solution region in ``source``; return (new source, number of regions)."""
    out, inside, regions = [], False, 0
    for line in source.split("\n"):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise BuildError(f"{where}: '{BEGIN}' opened again before '{END}'.")
            inside, regions = True, regions + 1
            indent = line[: len(line) - len(line.lstrip())]
            out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
        elif marker == END:
            if not inside:
                raise BuildError(f"{where}: '{END}' without a matching '{BEGIN}'.")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise BuildError(f"{where}: '{BEGIN}' is never closed by '{END}'.")
    return "\n".join(out), regions


def student_version(source_nb, path):
    """The student notebook for one source notebook (validated)."""
    path = Path(path)
    match = NOTEBOOK_NAME.match(path.name)
    if not match:
        raise BuildError(f"{path}: a lesson notebook is named NN_topic.ipynb (e.g. 01_perceptron.ipynb).")
    number, slug = match.groups()
    known = {info.number: info for info in all_lessons()}
    if number not in known or known[number].slug != slug:
        raise BuildError(f"{path}: no checks module declares lesson {number} with slug {slug!r} "
                         f"(expected course_utils/lessons/lesson{number}_{slug}/checks.py with a LESSON).")
    registered = {e.id for e in exercises.for_lesson(number)}
    seen = set()
    nb = nbformat.from_dict(source_nb)
    for index, cell in enumerate(nb.cells, start=1):
        where = f"{path.name}, cell {index}"
        has_markers = BEGIN in cell.source or END in cell.source
        if cell.cell_type != "code":
            if has_markers:
                raise BuildError(f"{where}: solution markers belong in code cells, not {cell.cell_type} cells.")
        else:
            exercise_id = exercise_cells.exercise_id(cell.source)
            if exercise_id is None and has_markers:
                raise BuildError(f"{where}: solution markers outside an exercise cell "
                                 f"(an exercise cell starts with '# Exercise: {number}.function_name').")
            if exercise_id is not None:
                if exercise_id not in registered:
                    raise BuildError(f"{where}: unknown exercise id {exercise_id!r}; lesson {number} registers "
                                     f"{', '.join(sorted(registered)) or 'none'}.")
                if exercise_id in seen:
                    raise BuildError(f"{where}: exercise {exercise_id} appears in two cells.")
                seen.add(exercise_id)
                name = exercise_id.split(".")[1]
                if not re.search(rf"^def {name}\(", cell.source, re.MULTILINE):
                    raise BuildError(f"{where}: the cell for {exercise_id} must define `def {name}(...)`.")
                cell.source, regions = _stub_cell(cell.source, where)
                if regions == 0:
                    raise BuildError(f"{where}: exercise {exercise_id} has no '{BEGIN}' region.")
            cell.outputs = []
            cell.execution_count = None
        cell.metadata = {k: v for k, v in cell.metadata.items() if k == "tags"}
    missing = registered - seen
    if missing:
        raise BuildError(f"{path.name}: exercises registered but with no cell: {', '.join(sorted(missing))}.")
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"},
                   "course": {"generated_from": f"solutions/{path.name}",
                              "note": f"generated from solutions/{path.name} by `course build`; do not edit "
                                      f"this file in the repository: edit the solution notebook and rebuild"}}
    return nb


def render(nb):
    return nbformat.writes(nb, version=4) + "\n"


def plan(solutions_dir, notebooks_dir, only=None):
    """(target path, text it should hold) for every source notebook, or just those in ``only``."""
    targets = []
    sources = [Path(p) for p in only] if only else sorted(Path(solutions_dir).glob("*.ipynb"))
    for source in sources:
        try:
            source_nb = nbformat.read(source, as_version=4)
        except Exception as error:  # nbformat raises several types for a damaged file
            raise BuildError(f"{source.name}: not a readable notebook ({error}).") from None
        targets.append((Path(notebooks_dir) / source.name, render(student_version(source_nb, source))))
    return targets


def build(solutions_dir, notebooks_dir, only=None):
    """Write notebooks/ (or the student versions of ``only``); return the paths written."""
    written = []
    Path(notebooks_dir).mkdir(parents=True, exist_ok=True)
    for target, text in plan(solutions_dir, notebooks_dir, only):
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
            written.append(target)
    return written


def stale(solutions_dir, notebooks_dir):
    """Problems that make notebooks/ out of date with solutions/ (empty when current)."""
    problems = []
    expected = plan(solutions_dir, notebooks_dir)
    for target, text in expected:
        if not target.exists():
            problems.append(f"{target.name} is missing from notebooks/")
        elif target.read_text() != text:
            problems.append(f"{target.name} differs from what solutions/{target.name} builds")
    extra = {p.name for p in Path(notebooks_dir).glob("*.ipynb")} - {t.name for t, _ in expected}
    problems += [f"{name} is in notebooks/ but has no source in solutions/" for name in sorted(extra)]
    return problems
