"""``course new NN slug "Title"``: a working lesson in every place a lesson lives, ready to grow.

It writes the lesson's package (info, reference, mistakes, checks, hidden cases), its checker tests, a solution
notebook with one example exercise (executed, as solutions are committed), the generated student
notebook, a workshop plan and the README's course-map row, then prints every path it touched, so
removing the lesson is removing those files and that row.
"""
import re
import textwrap

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .paths import repo_root

SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
SUMMARY = "an example exercise to replace"  # the LessonInfo summary and the README row, until the author writes one


class ScaffoldError(Exception):
    """A lesson that cannot be created; the message says why."""


def _package_files(number, slug, title, minutes):
    name = f"lesson{number}_{slug}"
    exercise = f"{number}.scale"
    return {
        f"course_utils/lessons/{name}/__init__.py": f'''\
"""Lesson {number}: {title}. Its reference answers, checks and hidden cases, in one place."""
''',
        f"course_utils/lessons/{name}/reference.py": f'''\
"""Reference solutions for lesson {number} ({title})."""
import numpy as np


def scale(x, factor):
    """``x`` (a number, list, array or tensor) multiplied by ``factor``, as a float array; ``x`` is unchanged."""
    return np.asarray(x, dtype=float) * factor
''',
        f"course_utils/lessons/{name}/mistakes.py": f'''\
"""The mistakes learners make in lesson {number}, each a wrong implementation with the hint that names it."""
import numpy as np

from ...checking import Mistakes

SCALE = Mistakes({{
    "multiply by factor, not add it": lambda x, factor: np.add(x, factor),
}})
''',
        f"course_utils/lessons/{name}/checks.py": f'''\
"""Checkers for lesson {number}: {title}."""
import numpy as np

from ...checking import expect_close
from ...exercises import exercise
from .. import LessonInfo
from . import mistakes
from . import reference as ref

LESSON = LessonInfo("{number}", "{slug}", "{title}", {minutes}, "{SUMMARY}", draft=True)


@exercise("{exercise}", points=1, reference=ref.scale, title="scale an array", mistakes=mistakes.SCALE)
def check_scale(scale):
    for x, factor in (([1.0, 2.0], 3.0), ([[0.5, -1.0]], -2.0), (4.0, 0.25)):
        expect_close(scale(np.asarray(x), factor), ref.scale(x, factor), case={{"x": x, "factor": factor}},
                     what="the scaled array", mistakes=mistakes.SCALE.answers(np.asarray(x), factor),
                     hint="multiply every entry by factor")
''',
        f"course_utils/lessons/{name}/hidden_cases.py": f'''\
"""Hidden cases for lesson {number}."""
from ...grading.hidden_cases import CASES_PER_EXERCISE, hidden


@hidden("{exercise}")
def _scale(rng):
    return [((rng.normal(size=int(rng.integers(1, 5))).round(2), round(float(rng.normal()), 2)), {{}})
            for _ in range(CASES_PER_EXERCISE)]
''',
        f"tests/lessons/test_{name}.py": f'''\
"""Checker contract for lesson {number}: the reference passes, the stub is not attempted, mistakes fail."""
import numpy as np
import torch

from checker_contract import contract_tests

MUTANTS = {{  # wrong answers no hint names; each declared mistake (mistakes.py) is a mutant too
    "{exercise}": [
        lambda x, factor: np.asarray(x, dtype=float) * abs(factor),
    ],
}}

ALTERNATIVES = {{
    "{exercise}": [
        lambda x, factor: (np.asarray(x, dtype=np.float32) * np.float32(factor)),
        lambda x, factor: torch.as_tensor(np.asarray(x), dtype=torch.float64) * factor,
        lambda x, factor: np.multiply(factor, x).tolist(),
    ],
}}

UNVARIED = {{}}

globals().update(contract_tests("{number}", MUTANTS, ALTERNATIVES, UNVARIED))
''',
        f"docs/workshops/{number}_{slug}.md": f'''\
# Workshop plan — Lesson {number}: {title}

**Length:** {minutes} minutes.

## Objectives
By the end, participants can:
- (write the lesson's objectives here)

## Timeline
| minutes | section | what happens |
|---|---|---|
| 0–{minutes} | 1. An example exercise | Everyone completes and checks `scale` |

## Discussion questions
- (one question per section)

## Short session
- (the exercise subset for a shorter workshop)
''',
    }


def _solution_notebook(number, slug, title, minutes):
    cells = [
        new_markdown_cell(f"# Lesson {number} — {title}\n\n"
                          f"**Learning objectives.** (what a learner can do after this lesson)\n\n"
                          f"**Prerequisites.** (the lessons this builds on)\n\n"
                          f"**Expected time.** {minutes} minutes."),
        new_code_cell(f'import numpy as np\n\nfrom course_utils import start_lesson\n\n'
                      f'lesson = start_lesson("{number}")'),
        new_markdown_cell("## 1. An example exercise\n\nScaling multiplies every entry of an array by the same "
                          "number. Complete the function, then run the check after it."),
        new_code_cell(textwrap.dedent(f'''\
            # Exercise: {number}.scale
            def scale(x, factor):
                """Return ``x`` (a number, list or array) multiplied by ``factor``, as a float array."""
                ### BEGIN SOLUTION
                return np.asarray(x, dtype=float) * factor
                ### END SOLUTION''')),
        new_code_cell("lesson.check(scale)"),
        new_code_cell("lesson.show_progress()"),
        new_markdown_cell("## Summary\n\n(what this lesson taught, and what comes next)"),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                       "name": "python3"}
    return notebook


def _readme_row(number, slug, title, minutes):
    return f"| {number} | [{title}](notebooks/{number}_{slug}.ipynb) | {minutes} min | {SUMMARY} |"


def new_lesson(number, slug, title, minutes=60, root=None):
    """Create lesson ``number``; returns the paths written (relative to the repository)."""
    from .build import build
    from .execution import execute

    root = root or repo_root()
    if not re.fullmatch(r"\d\d", number):
        raise ScaffoldError(f"the lesson number is two digits, like 13 (got {number!r}).")
    if not SLUG.match(slug):
        raise ScaffoldError(f"the slug is lower case letters, digits and _, starting with a letter (got {slug!r}).")
    if list((root / "course_utils" / "lessons").glob(f"lesson{number}_*")):
        raise ScaffoldError(f"lesson {number} exists already.")
    files = _package_files(number, slug, title, minutes)
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    solution = root / "solutions" / f"{number}_{slug}.ipynb"
    nbformat.write(_solution_notebook(number, slug, title, minutes), solution)
    readme = root / "README.md"
    text = readme.read_text()
    rows = list(re.finditer(r"^\| \d\d \| \[.*$", text, re.MULTILINE))
    if not rows:
        raise ScaffoldError("README.md has no course map to add the lesson to.")
    end = rows[-1].end()
    readme.write_text(text[:end] + "\n" + _readme_row(number, slug, title, minutes) + text[end:])
    execute(solution)  # solutions are committed executed; COURSE_STRICT=1 proves the example check passes
    written = build(root / "solutions", root / "notebooks", [solution])
    return sorted(list(files) + [str(solution.relative_to(root))]
                  + [str(p.relative_to(root)) for p in written] + ["README.md (one course-map row)"])
