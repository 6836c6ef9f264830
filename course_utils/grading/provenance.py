"""What graded a row: the hidden cases' seed, the course's version, and a hash of the checking code.

One seed per gradebook: chosen once, printed, stored in every row, and reused by every later run on that
gradebook (a resumed or extended batch is graded on the same hidden cases) unless ``--seed`` overrides it.
"""
import hashlib
import secrets
from collections import Counter
from importlib import metadata
from pathlib import Path

import course_utils

PACKAGE = "perceptrons-to-circuits"
# the code every verdict depends on, besides the lesson's own package
SHARED_CHECKING_CODE = ("checking", "grading/hidden_cases", "grading/grader.py", "exercises.py")


def course_version():
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown"


def checks_hash(lesson):
    """12 hex digits of the SHA-256 of the lesson's package and the shared checking code, file by file."""
    from .. import exercises

    root = Path(course_utils.__file__).parent
    lesson_package = Path(exercises.lesson_module(lesson).__file__).parent
    files = sorted(lesson_package.glob("*.py"))
    for shared in SHARED_CHECKING_CODE:
        path = root / shared
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def batch_seed(given, rows):
    """(seed, where it comes from): ``--seed``, else the seed the gradebook's rows were graded with, else a new one."""
    if given is not None:
        return given, "from --seed"
    seeds = Counter(row["seed"] for row in rows if str(row.get("seed", "")).isdigit())
    if not seeds:
        return secrets.randbelow(2**31), "new, stored in the gradebook for every later run"
    seed, _ = seeds.most_common(1)[0]
    others = len(seeds) - 1
    return int(seed), "from the gradebook" + (f"; {others} other seed(s) appear in its rows" if others else "")
