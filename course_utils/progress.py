"""The learner's progress store: one JSON file recording every check's verdict.

The file lives in the user's data directory (``COURSE_PROGRESS_FILE`` overrides
it). Writes take a file lock and replace the file atomically, so two kernels
checking at once lose nothing and a crash never leaves half a file.
"""
import json
import os
import time
from pathlib import Path

from filelock import FileLock, Timeout

from .atomic import write_text_atomically
from .checking.verdict import FAILED, ERROR, NOT_ATTEMPTED, PASSED
from . import exercises, lessons

APP_NAME = "perceptrons-to-circuits"
FORMAT_VERSION = 1

DONE, ATTEMPTED, NOT_STARTED = "done", "attempted", "not started"


def progress_path():
    override = os.environ.get("COURSE_PROGRESS_FILE")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / "progress.json"


def _empty():
    return {"version": FORMAT_VERSION, "exercises": {}}


def load(path=None):
    """The stored progress; a missing or unreadable file counts as no progress."""
    path = Path(path) if path else progress_path()
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return _empty()
    except (json.JSONDecodeError, UnicodeDecodeError):
        # Keep the damaged file for inspection rather than overwrite it silently.
        path.replace(path.with_suffix(".damaged.json"))
        return _empty()
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), dict):
        return _empty()
    return data


def record(verdict, path=None):
    """Add one verdict to the store. Returns False (and raises nothing) if it cannot be written."""
    path = Path(path) if path else progress_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path) + ".lock", timeout=10):
            data = load(path)
            entry = data["exercises"].setdefault(verdict.exercise_id, {"attempts": 0, "best": NOT_ATTEMPTED})
            if verdict.status != NOT_ATTEMPTED:
                entry["attempts"] += 1
            entry["last"] = verdict.status
            if verdict.status == PASSED or entry["best"] == PASSED:
                entry["best"] = PASSED
            elif verdict.status in (FAILED, ERROR):
                entry["best"] = FAILED
            entry["points"] = max(entry.get("points", 0), verdict.points)
            entry["max_points"] = verdict.max_points
            entry["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S")
            write_text_atomically(path, json.dumps(data, indent=1, sort_keys=True))
        return True
    except (OSError, Timeout):
        return False


def exercise_state(entry):
    """done / attempted / not started for one stored exercise entry (or None)."""
    if not entry:
        return NOT_STARTED
    if entry.get("best") == PASSED:
        return DONE
    if entry.get("best") == FAILED:
        return ATTEMPTED
    return NOT_STARTED


def lesson_rows(data=None):
    """One row per lesson: number, title, state, exercises done, points earned, points possible."""
    data = data if data is not None else load()
    rows = []
    for info in lessons.all_lessons():
        lesson_exercises = exercises.for_lesson(info.number)
        states = [exercise_state(data["exercises"].get(e.id)) for e in lesson_exercises]
        earned = sum(e.points for e, s in zip(lesson_exercises, states) if s == DONE)
        possible = sum(e.points for e in lesson_exercises)
        if states and all(s == DONE for s in states):
            state = DONE
        elif any(s != NOT_STARTED for s in states):
            state = ATTEMPTED
        else:
            state = NOT_STARTED
        rows.append({"lesson": info.number, "title": info.title, "state": state,
                     "done": states.count(DONE), "exercises": len(states),
                     "points": earned, "max_points": possible})
    return rows


def exercise_rows(lesson, data=None):
    """One row per exercise of a lesson: id, title, state, points, possible."""
    data = data if data is not None else load()
    rows = []
    for e in exercises.for_lesson(lesson):
        state = exercise_state(data["exercises"].get(e.id))
        rows.append({"id": e.id, "title": e.title, "state": state,
                     "points": e.points if state == DONE else 0, "max_points": e.points})
    return rows


def format_table(rows, columns):
    """A plain-text table: ``columns`` is a list of (header, key)."""
    cells = [[header for header, _ in columns]] + [[str(row[key]) for _, key in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = ["  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip() for line in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def course_table(data=None):
    rows = lesson_rows(data)
    for row in rows:
        row["score"] = f"{row['points']}/{row['max_points']}"
        row["count"] = f"{row['done']}/{row['exercises']}"
    table = format_table(rows, [("lesson", "lesson"), ("title", "title"), ("status", "state"),
                                ("exercises done", "count"), ("points", "score")])
    total = sum(r["points"] for r in rows), sum(r["max_points"] for r in rows)
    return f"{table}\n\nTotal: {total[0]}/{total[1]} points."


def lesson_table(lesson, data=None):
    lessons.get_lesson(lesson)  # a KeyError naming the known lessons for an unknown one
    rows = exercise_rows(lesson, data)
    for row in rows:
        row["score"] = f"{row['points']}/{row['max_points']}"
    table = format_table(rows, [("exercise", "id"), ("what", "title"), ("status", "state"), ("points", "score")])
    total = sum(r["points"] for r in rows), sum(r["max_points"] for r in rows)
    return f"{table}\n\nLesson {lesson}: {total[0]}/{total[1]} points."
