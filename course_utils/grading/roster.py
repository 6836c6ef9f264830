"""An optional class roster: which student id a submission belongs to.

A CSV with a ``student_id`` column. Every other column (``name``, ``login``, ``email``, ``canvas_id``,
``moodle_id``, ``file``, ...) holds a name under which that student's submissions may appear: the name the
grader finds in the layout (a Canvas login, a Moodle full name, an nbgrader folder, the notebook's metadata),
the LMS's user id, or the notebook's file name. Matching ignores case and surrounding spaces; a value that two
students share (a section) matches no one.
"""
import csv
from pathlib import Path

STUDENT_ID = "student_id"


class RosterError(Exception):
    """The roster cannot be used; the message says why and how to fix it."""


class Roster:
    def __init__(self, rows):
        self.rows = {row[STUDENT_ID]: row for row in rows}
        owners = {}
        for student, row in self.rows.items():
            for value in row.values():
                if _normal(value):
                    owners.setdefault(_normal(value), set()).add(student)
        # a value two students share (a section, a common first name) identifies no one
        self._by_alias = {alias: students.pop() for alias, students in owners.items() if len(students) == 1}

    def student_id(self, *names):
        """The roster's student id for the first of ``names`` that names exactly one student, or None."""
        for name in names:
            student = self._by_alias.get(_normal(name))
            if student is not None:
                return student
        return None


def _normal(value):
    return str(value or "").strip().casefold()


def read_roster(path):
    """The :class:`Roster` in the CSV at ``path``, or a RosterError saying what is wrong with it."""
    try:
        with open(Path(path), newline="", encoding="utf-8-sig") as stream:
            reader = csv.DictReader(stream)
            rows = [{key.strip(): (value or "").strip() for key, value in row.items() if key} for row in reader]
            columns = [c.strip() for c in reader.fieldnames or []]
    except OSError as error:
        raise RosterError(f"cannot read the roster {path}: {error.strerror or error}.") from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise RosterError(f"the roster {path} is not a readable CSV file ({error}).") from None
    if STUDENT_ID not in columns:
        raise RosterError(f"the roster {path} needs a '{STUDENT_ID}' column (it has: {', '.join(columns) or 'none'}).")
    missing = [str(number) for number, row in enumerate(rows, start=2) if not row.get(STUDENT_ID)]
    if missing:
        raise RosterError(f"the roster {path} has rows without a {STUDENT_ID} (lines {', '.join(missing[:10])}).")
    seen = set()
    for row in rows:
        if row[STUDENT_ID] in seen:
            raise RosterError(f"the roster {path} lists {row[STUDENT_ID]} twice.")
        seen.add(row[STUDENT_ID])
    return Roster(rows)
