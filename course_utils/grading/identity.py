"""Who submitted a notebook: the layouts LMS downloads and nbgrader produce, resubmissions, and metadata.

In order: the id in the notebook's metadata (``{"course": {"student_id": "ada"}}``); a Moodle folder
(``Ada Lovelace_12345_assignsubmission_file_/``); a Canvas bulk-download name
(``lovelaceada_12345_678901_01_perceptron.ipynb``, with ``_LATE_`` for late work); the folder layout under
the folder given to ``course grade`` (``<student>/<assignment>/<notebook>`` as nbgrader's ``submitted/``,
or ``<student>/<notebook>``); else the file's name. A resubmission suffix (``01_perceptron (1).ipynb``,
Canvas's ``01_perceptron-1.ipynb``) is not part of anyone's name. With a roster (``roster.py``), the name found
is looked up there and replaced by the roster's student id.
"""
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..build import NOTEBOOK_NAME

#: notebook metadata key for the student's id: ``{"course": {"student_id": "ada"}}``
STUDENT_ID_KEY = ("course", "student_id")

MOODLE_FOLDER = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assignsubmission_file_?$")
CANVAS_FILE = re.compile(r"^(?P<login>[a-z0-9]+)(?P<late>_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<original>.+)$")
RESUBMISSION = re.compile(r"(?: \(\d+\)|-\d+)$")
NBGRADER_FOLDERS = ("submitted", "autograded")


@dataclass(frozen=True)
class Identity:
    student: str
    late: bool = False
    lms_id: str = ""         # the LMS's user id when the layout carries it (Canvas user id, Moodle participant id)
    on_roster: bool | None = None  # None: no roster given


def _from_metadata(nb):
    value = nb.get("metadata", {}) if nb is not None else {}
    for key in STUDENT_ID_KEY:
        value = value.get(key) if isinstance(value, dict) else None
    return str(value).strip() if isinstance(value, (str, int)) and str(value).strip() else None


def original_stem(path):
    """The notebook's name as the course wrote it: Canvas's prefix and resubmission suffixes removed."""
    stem = Path(path).stem
    canvas = CANVAS_FILE.match(stem)
    if canvas:
        stem = canvas.group("original")
    return RESUBMISSION.sub("", stem)


def identify(nb, path, root=None, roster=None):
    """The :class:`Identity` of a submission at ``path`` (found under the folder ``root``, if given)."""
    found = _identify_by_layout(nb, Path(path), root)
    if roster is None:
        return found
    student = roster.student_id(found.student, found.lms_id, original_stem(path))
    return replace(found, student=student or found.student, on_roster=student is not None)


def _identify_by_layout(nb, path, root):
    late = "_LATE_" in path.name
    from_metadata = _from_metadata(nb)
    if from_metadata:
        return Identity(from_metadata, late)
    for folder in path.parents:
        moodle = MOODLE_FOLDER.match(folder.name)
        if moodle:
            return Identity(moodle.group("name"), late, moodle.group("id"))
    canvas = CANVAS_FILE.match(path.stem)
    if canvas:
        return Identity(canvas.group("login"), bool(canvas.group("late")), canvas.group("user"))
    if root is not None:
        try:
            parts = path.relative_to(root).parts
        except ValueError:
            parts = ()
        folders = parts[:-1]
        for marker in NBGRADER_FOLDERS:  # nbgrader: submitted/<student>/<assignment>/<notebook>
            if marker in folders[:-1]:
                return Identity(folders[folders.index(marker) + 1], late)
        if len(folders) >= 2:  # <student>/<assignment>/<notebook>
            return Identity(folders[-2], late)
        if len(folders) == 1:  # <student>/<notebook>
            return Identity(folders[0], late)
    if _looks_like_a_lesson(path) and path.parent.name:
        return Identity(path.parent.name, late)  # submitted/ada/01_perceptron.ipynb -> ada
    return Identity(original_stem(path), late)


def _looks_like_a_lesson(path):
    return NOTEBOOK_NAME.match(original_stem(path) + ".ipynb") is not None
