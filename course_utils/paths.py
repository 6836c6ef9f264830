"""Where the course's folders are: the repository holding this package, else the working directory."""
from pathlib import Path


def repo_root():
    here = Path(__file__).resolve().parent.parent
    return here if (here / "solutions").is_dir() else Path.cwd()


def solutions_dir():
    return repo_root() / "solutions"


def notebooks_dir():
    return repo_root() / "notebooks"
