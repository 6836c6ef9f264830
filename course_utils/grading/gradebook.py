"""The gradebook CSV (rewritten atomically as rows finish), its per-exercise details, and the feedback files.

Beside ``grades.csv`` lives ``grades.details.json``: for every submission graded, the per-exercise records
of the grader (status, points, the public verdict's text, hidden cases run and failed) and the exercises'
titles. Feedback, regrades and the class report are built from it.
"""
import csv
import io
import json
from pathlib import Path

from ..atomic import write_text_atomically

FIXED_FIRST = ["student", "lms_id", "lesson"]
# seed, course_version and checks_hash say exactly what graded a row (see provenance.py)
FIXED_LAST = ["total", "max", "status", "seconds", "notes", "submission", "sha256", "seed", "course_version",
              "checks_hash"]


def read(path):
    """Rows already in the gradebook (an unreadable file counts as empty)."""
    try:
        with open(path, newline="") as stream:
            return list(csv.DictReader(stream))
    except (OSError, csv.Error, UnicodeDecodeError):
        return []


def columns(rows):
    exercise_columns = sorted({key for row in rows for key in row if key not in FIXED_FIRST + FIXED_LAST})
    return FIXED_FIRST + exercise_columns + FIXED_LAST


def write(path, rows):
    """Write every row to ``path`` via a temporary file and os.replace: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(rows), restval="", extrasaction="ignore")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: (r.get("lesson", ""), r.get("student", ""), r.get("submission", ""))):
        writer.writerow(row)
    write_text_atomically(path, buffer.getvalue())


def details_path(gradebook_path):
    """``grades.csv`` -> ``grades.details.json``."""
    path = Path(gradebook_path)
    return path.with_name(f"{path.stem}.details.json")


def read_details(gradebook_path):
    """``{submission: {"results": [per-exercise record, ...], "titles": {id: title}}}``; empty when unreadable."""
    try:
        details = json.loads(details_path(gradebook_path).read_text())
    except (OSError, ValueError):
        return {}
    return details if isinstance(details, dict) else {}


def write_details(gradebook_path, details):
    write_text_atomically(details_path(gradebook_path), json.dumps(details, indent=1, sort_keys=True))
