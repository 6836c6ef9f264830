"""Read a submitted notebook: who submitted it, which lesson it is, and the code the grader may run.

The grader never runs a student's notebook as written. It receives, as source
text, only the top-level statements that *define* things:

* imports (run first, before the grader takes its snapshot of the protected modules);
* ``def`` and ``class`` statements (the last definition of a name wins, as in a notebook);
* assignments whose value is a plain literal (``LR = 0.5``, ``GATES = {...}``);
* ``name = lesson.use(function)`` becomes ``name = function`` (the learner's own function).

Every other top-level statement (loops, prints, plots, ``lesson.check(...)``,
monkeypatching) is dropped, so nothing a student wrote runs in the grading
process except while a checker calls one of their functions.
"""
import ast
import re
from collections import Counter
from pathlib import Path

from . import lean_imports  # noqa: F401 - before nbformat: keeps a 2 s unused import out of it

import nbformat  # noqa: E402

from ..build import NOTEBOOK_NAME
from ..exercise_cells import exercise_id
from .identity import original_stem

START_LESSON = re.compile(r"start_lesson\(\s*['\"]?(\d{1,2})['\"]?")


class InvalidNotebook(Exception):
    """The file is not a readable notebook; the message says why."""


def read_notebook(path):
    """The notebook at ``path`` (nbformat v4), or InvalidNotebook with the reason."""
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as error:  # nbformat raises JSON, validation and key errors
        raise InvalidNotebook(f"not a readable notebook ({type(error).__name__}: {str(error)[:200]})") from None
    if not isinstance(nb.get("cells"), list):
        raise InvalidNotebook("the notebook has no list of cells")
    return nb


def code_cells(nb):
    return [cell for cell in nb.cells if cell.get("cell_type") == "code" and isinstance(cell.get("source"), str)]


def exercise_ids(nb):
    """Exercise ids named by ``# Exercise: NN.name`` headers, in notebook order."""
    return [eid for eid in map(exercise_id, (cell.source for cell in code_cells(nb))) if eid is not None]


def detect_lesson(nb, path):
    """The lesson number this notebook belongs to, or None: exercise headers, then start_lesson("NN"), then NN_ in the name."""
    headers = Counter(eid.split(".")[0] for eid in exercise_ids(nb) if "." in eid)
    if headers:
        return headers.most_common(1)[0][0]
    for cell in code_cells(nb):
        match = START_LESSON.search(cell.source)
        if match:
            return f"{int(match.group(1)):02d}"
    match = NOTEBOOK_NAME.match(original_stem(path) + ".ipynb")
    return match.group(1) if match else None


def _python_source(cell_source):
    """Cell text as plain Python: IPython magics and shell escapes become calls (then dropped)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(cell_source)
    except Exception:  # fall back to commenting out magic lines
        return "\n".join("# " + line if line.lstrip().startswith(("%", "!")) else line
                         for line in cell_source.split("\n"))


def _is_literal(node):
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def _use_call_target(node):
    """For ``lesson.use(fn)`` / ``lesson.use(fn, exercise=...)``: the Name ``fn``; else None."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "use"
            and node.args and isinstance(node.args[0], ast.Name)):
        return node.args[0]
    return None


def _kept(statement):
    """The statement to keep (possibly rewritten), or None to drop it."""
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return statement
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return statement
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        if not all(isinstance(t, ast.Name) for t in targets) or statement.value is None:
            return None
        if _is_literal(statement.value):
            return ast.Assign(targets=targets, value=statement.value, lineno=statement.lineno)
        used = _use_call_target(statement.value)
        if used is not None:
            return ast.Assign(targets=targets, value=ast.Name(used.id, ast.Load()), lineno=statement.lineno)
    return None


def grading_source(nb):
    """(imports, definitions): two lists of source strings, one statement each, in notebook order.

    A cell that does not parse contributes nothing (its functions count as missing).
    """
    imports, definitions = [], []
    for cell in code_cells(nb):
        try:
            tree = ast.parse(_python_source(cell.source))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for statement in tree.body:
            kept = _kept(statement)
            if kept is None:
                continue
            text = ast.unparse(ast.fix_missing_locations(kept))
            (imports if isinstance(kept, (ast.Import, ast.ImportFrom)) else definitions).append(text)
    return imports, definitions
