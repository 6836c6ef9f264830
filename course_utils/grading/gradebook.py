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


STATUS_WORDS = {
    "passed": "passed",
    "not_attempted": "not attempted",
    "failed": "not yet",
    "error": "could not be checked",
    "failed hidden cases": "passed the notebook's checks, but not the extra cases drawn at grading time",
    "tampered": "not graded: the course's checking code was changed while this exercise was checked",
    "missing": "missing",
    "timeout": "took too long when the grader called it",
    "memory limit": "used too much memory when the grader called it",
    "crashed": "stopped the grading process when called",
}

RUN_SENTENCES = {
    "graded": "Your notebook ran from top to bottom.",
    "tampered": "Your notebook ran, but the grader saw it change the course's checking code.",
    "timeout": "Your notebook did not finish within the time limit; the functions it defines were graded anyway.",
    "kernel died": "Your notebook's kernel stopped before the end; the functions it defines were graded anyway.",
    "memory limit": "Your notebook used more memory than allowed and was stopped; the functions it defines were "
                    "graded anyway.",
    "invalid notebook": "The file could not be read as a Jupyter notebook, so nothing could be graded.",
    "wrong lesson": "This notebook is not the lesson being graded, so nothing could be graded.",
}


def feedback_markdown(row, results, titles):
    """Readable feedback: per exercise, passed or the failing public case and its hint. No hidden inputs."""
    lines = [f"# Feedback for {row['student']}: lesson {row['lesson'] or '?'}", "",
             f"**Score: {row['total']}/{row['max']}**  ", RUN_SENTENCES.get(row["status"], row["status"]), ""]
    for record in results:
        exercise_id = record["id"]
        status = record["status"]
        mark = "[passed]" if status == "passed" else "[not yet]"
        title = titles.get(exercise_id, "")
        lines.append(f"## {mark} {exercise_id}{f': {title}' if title else ''} "
                     f"({record['points']}/{record['max_points']})")
        lines.append("")
        lines.append(STATUS_WORDS.get(status, status).capitalize() + ".")
        if status in ("failed", "error") and record.get("text"):
            lines += ["", "```", record["text"], "```"]
        if status == "failed hidden cases":
            lines.append(f"Your function disagreed with the reference on {record['hidden_failed']} of "
                         f"{record['hidden_run']} new inputs (not shown). Look for special cases your code "
                         f"handles only for the notebook's examples.")
        if status == "tampered" and record.get("detail"):
            lines.append(f"Changed: {record['detail']}.")
        if status == "missing":
            lines.append("Keep the exercise's function name as given in its cell.")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
