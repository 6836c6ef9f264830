"""pyproject.toml and environment.yml pin the same versions, and torch stays on the CPU build's pin."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pyproject_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    pins = {}
    for requirement in requirements:
        name, version = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([\w.]+)", requirement).groups()
        pins[name.lower()] = version
    return pins


def _environment_pins():
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        match = re.fullmatch(r"\s*-\s*([A-Za-z0-9_.\-]+)\s*(==|=)\s*([\w.]+)\s*", line)
        if match and match.group(1) != "python":
            pins[match.group(1).lower()] = match.group(3)
    return pins


def test_every_dependency_is_pinned_exactly():
    assert _pyproject_pins(), "pyproject.toml lists no dependencies"


def test_environment_yml_agrees_with_pyproject():
    assert _environment_pins() == _pyproject_pins()


def test_torch_is_pinned_to_the_cpu_build():
    assert _pyproject_pins()["torch"] == "2.13.0"


def test_environment_uses_python_311():
    assert re.search(r"^\s*-\s*python=3\.11\s*$", (ROOT / "environment.yml").read_text(), re.MULTILINE)
