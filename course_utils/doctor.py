"""``course doctor``: is this machine ready for the course? Each line is OK, a fix, or a note (nothing to do
for learners)."""
import shutil
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from . import checkpoints
from .paths import repo_root

MIN_FREE_GB = 2.0


def _pinned_requirements():
    return [Requirement(text) for text in metadata.requires("perceptrons-to-circuits") or []
            if "extra ==" not in text]


def python_line():
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info >= (3, 11):
        return True, f"Python {version}"
    return False, f"Python {version} is too old: install Python 3.11 or newer, then run `make lab` again."


def package_lines():
    lines = []
    for requirement in _pinned_requirements():
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            lines.append((False, f"{requirement.name} is not installed: run `pip install -e .` in the course folder."))
            continue
        base = installed.split("+")[0]
        if requirement.specifier.contains(base, prereleases=True):
            lines.append((True, f"{requirement.name} {installed} (pinned {requirement.specifier})"))
        else:
            lines.append((False, f"{requirement.name} {installed} does not match the pin {requirement.specifier}: "
                                 f"run `pip install -e .` to install the tested version."))
    return lines


def torch_line():
    import torch

    device = "CUDA GPU" if torch.cuda.is_available() else "CPU"
    return True, f"torch computes on the {device} ({torch.get_num_threads()} threads); the course needs only a CPU"


def jupyter_lines():
    lines = []
    for name, what in (("jupyterlab", "JupyterLab"), ("jupyterlab_widgets", "the widget extension")):
        try:
            lines.append((True, f"{what} {metadata.version(name)} installed"))
        except metadata.PackageNotFoundError:
            lines.append((False, f"{what} is missing: run `pip install -e .` (it installs {name})."))
    return lines


def checkpoint_lines():
    lines = []
    names = checkpoints.available()
    if not names:
        return [(True, "no shipped checkpoints yet")]
    for name in names:
        try:
            checkpoints.load_checkpoint(name)
            lines.append((True, f"checkpoint {name} loads and matches its hash"))
        except Exception as error:  # report every checkpoint, whatever broke
            lines.append((False, f"checkpoint {name}: {error}"))
    return lines


def disk_line(path=None):
    free_gb = shutil.disk_usage(path or repo_root()).free / 1e9
    if free_gb >= MIN_FREE_GB:
        return True, f"{free_gb:.1f} GB free disk"
    return False, f"only {free_gb:.1f} GB free disk: free at least {MIN_FREE_GB:.0f} GB for checkpoints and notebooks."


def notebooks_line():
    folder = Path(repo_root()) / "notebooks"
    count = len(list(folder.glob("*.ipynb")))
    if count:
        return True, f"{count} lesson notebooks in {folder}"
    return False, f"no notebooks in {folder}: run `course build` in the course folder."


def sandbox_line():
    """Whether ``course grade`` can isolate submissions here: a note, since only instructors grade."""
    from .grading.isolation import problem

    found = problem()
    if found is None:
        return True, "bubblewrap isolates each submission when grading (`course grade`)"
    return None, (f"{found}. Only grading a class (`course grade`) needs it: on Debian or Ubuntu, "
                  "`sudo apt-get install bubblewrap`")


def run():
    """Print the report; return True when no line needs a fix."""
    lines = [python_line(), *package_lines(), torch_line(), *jupyter_lines(), *checkpoint_lines(),
             disk_line(), notebooks_line(), sandbox_line()]
    for ok, text in lines:
        print(f"{({True: 'OK', False: 'FIX', None: 'NOTE'})[ok]:<4} {text}")
    problems = sum(ok is False for ok, _ in lines)
    print("\nAll good: run `make lab` and open 00_welcome.ipynb." if not problems
          else f"\n{problems} thing(s) to fix, listed above as FIX.")
    return problems == 0
