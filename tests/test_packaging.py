"""environment.yml is the course's runtime, pinned as pyproject.toml pins it: the same versions, torch from the CPU
index, the course itself installed, and no test or cluster tools (those stay in pyproject.toml's extras)."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
ENVIRONMENT = (ROOT / "environment.yml").read_text()


def _pins(requirements):
    pins = {}
    for requirement in requirements:
        name, version = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([\w.]+)", requirement).groups()
        pins[name.lower()] = version
    return pins


def _runtime_pins():
    return _pins(PROJECT["dependencies"])


def _extra_pins():
    return _pins([r for extra in PROJECT["optional-dependencies"].values() for r in extra])


def _environment_pins():
    pins = {}
    for line in ENVIRONMENT.splitlines():
        match = re.fullmatch(r"\s*-\s*([A-Za-z0-9_.\-]+)\s*(==|=)\s*([\w.]+)\s*", line)
        if match and match.group(1) != "python":
            pins[match.group(1).lower()] = match.group(3)
    return pins


def _pip_lines():
    """The entries of environment.yml's `pip:` section."""
    section = ENVIRONMENT[ENVIRONMENT.index("  - pip:"):]
    return [line.split("#")[0].strip()[2:].strip() for line in section.splitlines()[1:]
            if line.split("#")[0].strip().startswith("- ")]


def test_every_dependency_is_pinned_exactly():
    assert _runtime_pins(), "pyproject.toml lists no dependencies"
    assert _extra_pins()


def test_environment_yml_is_exactly_the_runtime_pins():
    assert _environment_pins() == _runtime_pins()


def test_environment_yml_has_no_test_or_cluster_tools():
    assert not set(_environment_pins()) & set(_extra_pins()), "test and cluster tools belong in pyproject's extras"


def test_environment_yml_takes_torch_from_the_cpu_index():
    pip = _pip_lines()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in pip
    assert "torch==2.13.0" in pip
    assert not re.search(r"^\s*-\s*(pytorch|torch|cuda|nvidia)", ENVIRONMENT.split("  - pip:")[0], re.MULTILINE), \
        "torch comes from pip's CPU index, not from conda (where a CUDA build could be picked)"


def test_environment_yml_installs_the_course():
    # Without it, `import course_utils` fails in notebooks/ (a kernel's folder, not the course's).
    assert _pip_lines()[-1] == "-e ."


def test_torch_is_pinned_to_the_cpu_build():
    assert _runtime_pins()["torch"] == "2.13.0"


def test_environment_uses_python_311():
    assert re.search(r"^\s*-\s*python=3\.11\s*$", ENVIRONMENT, re.MULTILINE)
