"""Every solution notebook earns full marks from the grader: public checks and hidden cases, end to end.

This is the path `course check` and `course grade` take (a fresh kernel runs the notebook, then a clean
grader process checks every exercise it defines), so a notebook's solutions and the lesson's reference
can never drift apart unnoticed.
"""
import os
from pathlib import Path

import pytest

from course_utils.grading.batch import Settings, grade_one

ROOT = Path(__file__).resolve().parent.parent
GRADING_SEED = 20261201


@pytest.mark.parametrize("path", sorted((ROOT / "solutions").glob("*.ipynb")), ids=lambda p: p.stem)
def test_solution_notebook_gets_full_marks(path):
    settings = Settings(out=Path(os.devnull), jobs=1, timeout=300, memory_mb=4096, exercise_timeout=60)
    row, results, _ = grade_one(path, settings, GRADING_SEED)
    failing = [f"{r['id']}: {r.get('status')} {r.get('detail', '')}".strip()
               for r in results if r["points"] < r["max_points"]]
    assert results and not failing, f"{row['status']} {row['notes']}; {failing}"
    assert row["total"] == row["max"] > 0
