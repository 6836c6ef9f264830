"""The deployment files: the one-server hub config's notebook copies, and the Kubernetes values kept in step with it."""
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import yaml
from traitlets.config import Config

ROOT = Path(__file__).resolve().parent.parent
COURSE_CONFIG = ROOT / "deploy" / "jupyterhub" / "course.py"
KUBERNETES = ROOT / "deploy" / "kubernetes" / "config.yaml"


def load_course_config(**environment):
    config, saved = Config(), dict(os.environ)
    os.environ.update(environment)
    try:
        namespace = {"get_config": lambda: config, "__file__": str(COURSE_CONFIG)}
        exec(compile(COURSE_CONFIG.read_text(), str(COURSE_CONFIG), "exec"), namespace)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return config


def test_learners_get_the_notebooks_once_and_keep_their_own_work(tmp_path):
    config = load_course_config(COURSE_ROOT=str(ROOT))
    spawner = SimpleNamespace(home_dir=str(tmp_path), user=SimpleNamespace(name="ada"))
    config.Spawner.pre_spawn_hook(spawner)
    workspace = tmp_path / "perceptrons-to-circuits"
    shipped = sorted(path.name for path in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(path.name for path in workspace.iterdir()) == shipped
    (workspace / "01_perceptron.ipynb").write_text("my work")
    (workspace / "02_gradient_descent.ipynb").unlink()
    config.Spawner.pre_spawn_hook(spawner)
    assert (workspace / "01_perceptron.ipynb").read_text() == "my work"
    assert (workspace / "02_gradient_descent.ipynb").exists()  # a deleted lesson comes back fresh


def test_the_room_and_the_instructors_come_from_the_environment():
    config = load_course_config(COURSE_INSTRUCTORS="teacher, ta", COURSE_ROOM_PORT="12345",
                                COURSE_PYTHON="/opt/course/bin/python")
    [service] = config.JupyterHub.services
    assert service["url"] == "http://127.0.0.1:12345"
    assert service["command"][:4] == ["/opt/course/bin/python", "-m", "course_utils.cli", "room"]
    assert config.Spawner.environment["COURSE_ROOM_URL"] == "http://127.0.0.1:12345/services/course-room/"
    assert config.Spawner.cmd == ["/opt/course/bin/jupyterhub-singleuser"]
    [role] = config.JupyterHub.load_roles
    assert role["users"] == ["ta", "teacher"] and role["scopes"] == ["access:services!service=course-room"]


def test_kubernetes_values_match_the_one_server_config():
    config = load_course_config(COURSE_PYTHON=sys.executable)
    values = yaml.safe_load(KUBERNETES.read_text())
    single, hub = values["singleuser"], values["hub"]
    assert single["memory"]["limit"] == config.Spawner.mem_limit
    assert single["cpu"]["limit"] == config.Spawner.cpu_limit
    assert single["defaultUrl"] == config.Spawner.default_url
    service = hub["services"]["course-room"]
    port = service["url"].rsplit(":", 1)[1]
    assert service["command"][1:4] == config.JupyterHub.services[0]["command"][1:4]
    assert single["extraEnv"]["COURSE_ROOM_URL"] == f"http://hub:{port}/services/course-room/"
    assert [p["port"] for p in hub["service"]["extraPorts"]] == [int(port)]
    assert hub["loadRoles"]["course-instructor"]["scopes"] == config.JupyterHub.load_roles[0]["scopes"]
    assert values["cull"]["enabled"] is True


def test_a_learner_finds_the_course_folder_wherever_the_package_is_installed(tmp_path, monkeypatch):
    from course_utils import paths

    config = load_course_config(COURSE_ROOT=str(ROOT))
    monkeypatch.setattr(paths, "__file__", str(tmp_path / "site-packages" / "course_utils" / "paths.py"))
    monkeypatch.chdir(tmp_path)  # a learner's home: no course folder around it
    monkeypatch.setenv("COURSE_ROOT", config.Spawner.environment["COURSE_ROOT"])
    assert paths.notebooks_dir() == ROOT / "notebooks"
