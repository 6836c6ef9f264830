"""Where the course's folders are: $COURSE_ROOT (set by the JupyterHub config for every learner), else the
repository holding this package, else the course folder around the working directory (the package installed
non-editable, as binder/postBuild does, with a notebook running in notebooks/), else the working directory."""
import os
from pathlib import Path


def _is_course_folder(folder):
    return (folder / "solutions").is_dir() and (folder / "notebooks").is_dir()


def repo_root():
    if os.environ.get("COURSE_ROOT"):
        return Path(os.environ["COURSE_ROOT"])
    here = Path(__file__).resolve().parent.parent
    if (here / "solutions").is_dir():
        return here
    cwd = Path.cwd()
    return next((folder for folder in (cwd, *cwd.parents) if _is_course_folder(folder)), cwd)


def solutions_dir():
    return repo_root() / "solutions"


def notebooks_dir():
    return repo_root() / "notebooks"
