"""``course export canvas GRADEBOOK --out FILE``: the gradebook as a CSV that Canvas's gradebook import accepts.

Canvas's format, as its gradebook export writes it and its import reads it: a header ``Student, ID, SIS User ID,
SIS Login ID, Section`` followed by one column per assignment; a second row whose first cell is ``Points
Possible`` and which holds each assignment's points; then one row per student. The import finds a student by
``ID`` (the Canvas user id) first, and an assignment by its column's name: ``Name (assignment id)`` for a known
assignment, a plain name for the assignment of that name, or a new assignment if there is none. A blank cell
changes nothing.

Here: one column per lesson (``Lesson 01: The perceptron``) holding the total of the student's row for that
lesson. The Canvas user id comes from the roster given with ``--roster`` (its ``canvas_id`` column), else from
the submission's Canvas bulk-download name (``lovelaceada_12345_678901_01_perceptron.ipynb``: user 12345, the
row's ``lms_id``). The roster's optional ``name``, ``sis_user_id``, ``sis_login_id`` and ``section`` fill the
other columns.
"""
import csv
import io
from pathlib import Path

from ...atomic import write_text_atomically
from ...lessons import get_lesson
from .. import gradebook
from ..batch import INVALID, WRONG_LESSON
from ..identity import CANVAS_FILE
from ..roster import RosterError, read_roster
from . import ExportError

STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
ROSTER_COLUMNS = ["name", "canvas_id", "sis_user_id", "sis_login_id", "section"]  # what fills STUDENT_COLUMNS
POINTS_POSSIBLE = "    Points Possible"  # as Canvas's own export writes it; the import looks for "Points Possible"
NO_GRADE = (INVALID, WRONG_LESSON, "grader error")  # rows that hold no grade for a lesson


def export_canvas(gradebook_path, out_path, roster=None):
    """Write Canvas's gradebook CSV for the gradebook at ``gradebook_path``; returns a one-line summary."""
    gradebook_path, out_path = Path(gradebook_path), Path(out_path)
    if not gradebook_path.is_file():
        raise ExportError(f"there is no gradebook {gradebook_path}; write one with "
                          f"`course grade SUBMISSIONS --out {gradebook_path}`.")
    if out_path.resolve() == gradebook_path.resolve():
        raise ExportError(f"--out {out_path} is the gradebook itself; name another file, such as canvas.csv.")
    rows = gradebook.read(gradebook_path)
    graded = [r for r in rows if r.get("lesson") and r.get("status") not in NO_GRADE]
    if not graded:
        raise ExportError(f"{gradebook_path} holds no grade for a lesson ({len(rows)} row(s), none graded).")
    people = _roster(roster)
    totals = _totals(graded)
    points = _points_possible(graded)
    ids = _canvas_ids(graded, people)
    lessons = sorted(points)
    columns = [_column(lesson) for lesson in lessons]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(STUDENT_COLUMNS + columns)
    writer.writerow([POINTS_POSSIBLE] + [""] * (len(STUDENT_COLUMNS) - 1) + [points[lesson] for lesson in lessons])
    for student in sorted(ids):
        person = people.get(student, {})
        writer.writerow([person.get("name") or student, ids[student]]
                        + [person.get(column, "") for column in ROSTER_COLUMNS[2:]]
                        + [totals.get((student, lesson), "") for lesson in lessons])
    write_text_atomically(out_path, buffer.getvalue())
    left_out = [r for r in rows if r not in graded]
    note = (f"; left out {len(left_out)} row(s) without a grade: "
            + ", ".join(f"{r.get('student', '?')} ({r.get('status', '?')})" for r in left_out[:10])
            + (", ..." if len(left_out) > 10 else "")) if left_out else ""
    return (f"wrote {out_path}: {len(ids)} student(s), columns {', '.join(repr(c) for c in columns)}{note}. "
            f"In Canvas: Grades > Import, choose the file, check the preview.")


def _roster(path):
    """``{student_id: roster row}``; empty without a roster."""
    if path is None:
        return {}
    try:
        return read_roster(path).rows
    except RosterError as error:
        raise ExportError(str(error)) from None


def _totals(rows):
    """``{(student, lesson): total}``; a Canvas cell holds one grade, so two rows of one student and lesson stop."""
    totals, files = {}, {}
    for row in rows:
        key = (row["student"], row["lesson"])
        totals[key] = row.get("total", "")
        files.setdefault(key, []).append(row.get("submission") or "?")
    twice = [f"{student}, lesson {lesson}: {' and '.join(paths)}" for (student, lesson), paths in files.items()
             if len(paths) > 1]
    if twice:
        raise ExportError("these students have more than one graded row for a lesson, and a Canvas cell holds one "
                          "grade:\n  " + "\n  ".join(twice) + "\nGrade the class again with `course grade` "
                          "(it refuses two files of one student and lesson) or remove the extra rows.")
    return totals


def _points_possible(rows):
    """``{lesson: its points}``, from the rows' ``max``, which must agree within a lesson."""
    maxima = {}
    for row in rows:
        maxima.setdefault(row["lesson"], set()).add(row.get("max", ""))
    mixed = {lesson: values for lesson, values in maxima.items() if len(values) > 1}
    if mixed:
        raise ExportError("rows of one lesson were graded out of different totals ("
                          + "; ".join(f"lesson {lesson}: {', '.join(sorted(values))}" for lesson, values in
                                      sorted(mixed.items()))
                          + "): regrade them with one version of the course (`course grade --force`).")
    return {lesson: values.pop() for lesson, values in maxima.items()}


def _canvas_ids(rows, people):
    """``{student: Canvas user id}``; an ExportError names the students without one, or with two."""
    found = {}
    for row in rows:
        from_name = CANVAS_FILE.match(Path(row.get("submission", "")).stem)
        user_id = people.get(row["student"], {}).get("canvas_id") or (from_name.group("user") if from_name else "")
        found.setdefault(row["student"], set()).add(user_id)
    missing = sorted(student for student, user_ids in found.items() if "" in user_ids)
    if missing:
        where = " nor in the roster's canvas_id column" if people else ""
        raise ExportError(
            f"no Canvas user id for {', '.join(missing)}: not in their submissions' names{where}. Canvas bulk "
            f"downloads carry it (lovelaceada_12345_678901_01_perceptron.ipynb is user 12345); otherwise give "
            f"--roster ROSTER.csv with a student_id column (the gradebook's student) and a canvas_id column (the ID "
            f"column of a gradebook exported from Canvas).")
    twice = sorted(f"{student} ({', '.join(sorted(user_ids))})" for student, user_ids in found.items()
                   if len(user_ids) > 1)
    if twice:
        raise ExportError(f"these students have several Canvas user ids across their submissions: {'; '.join(twice)}."
                          f" Give the right one in a roster (--roster, columns student_id and canvas_id).")
    ids = {student: user_ids.pop() for student, user_ids in found.items()}
    owners = {}
    for student, user_id in ids.items():
        owners.setdefault(user_id, []).append(student)
    shared = sorted(f"{user_id} ({', '.join(sorted(students))})" for user_id, students in owners.items()
                    if len(students) > 1)
    if shared:
        raise ExportError(f"one Canvas user id names several students: {'; '.join(shared)}. Fix the roster's "
                          f"canvas_id column or the students' ids in the gradebook.")
    return ids


def _column(lesson):
    """The lesson's assignment column: Canvas matches it to the assignment of that name, or creates one."""
    try:
        return f"Lesson {lesson}: {get_lesson(lesson).title}"
    except KeyError as error:
        raise ExportError(f"the gradebook holds grades for an unknown lesson: {error.args[0]}.") from None
