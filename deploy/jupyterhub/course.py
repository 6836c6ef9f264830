"""The course's part of a JupyterHub config: learners' workspaces, resources, and the room view.

Loaded by jupyterhub_config.py beside it (one server), or copied into The Littlest JupyterHub's
/opt/tljh/config/jupyterhub_config.d/ (docs/workshops/hosting.md). Everything here is stdlib-only, because the
hub's own Python need not have the course installed: COURSE_PYTHON names the Python that does.

Settings, from the environment of the hub process:
  COURSE_ROOT         the course checkout, installed once for everyone (default: two folders above this file)
  COURSE_PYTHON       the Python with the course installed (default: the hub's own)
  COURSE_INSTRUCTORS  comma-separated hub users who may open the room view (admins always may)
  COURSE_ROOM_PORT    the room view's local port (default 10101)
  COURSE_ROOM_STATE   the room's JSON file (default: course-room.json in the hub's working directory)
"""
import os
import shutil
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

COURSE_ROOT = Path(os.environ.get("COURSE_ROOT", Path(__file__).resolve().parents[2]))
COURSE_PYTHON = os.environ.get("COURSE_PYTHON") or sys.executable
INSTRUCTORS = {name.strip() for name in os.environ.get("COURSE_INSTRUCTORS", "").split(",") if name.strip()}
ROOM_PORT = int(os.environ.get("COURSE_ROOM_PORT", "10101"))
ROOM_STATE = os.environ.get("COURSE_ROOM_STATE", "course-room.json")
WORKSPACE = "perceptrons-to-circuits"  # the folder in each learner's home that holds their notebooks

# Per learner. The peak of the heaviest lesson is under 2 GB (benchmarks/notebooks.py), and a learner keeps one
# kernel per open lesson; benchmarks/hub_capacity.py measured the figures in docs/workshops/hosting.md.
# Enforced by spawners that can (systemdspawner on TLJH, KubeSpawner); the plain local spawner ignores them.
c.Spawner.mem_limit = "3G"
c.Spawner.cpu_limit = 1.0
c.Spawner.cmd = [str(Path(COURSE_PYTHON).with_name("jupyterhub-singleuser"))]
c.Spawner.default_url = f"/lab/tree/{WORKSPACE}/00_welcome.ipynb"
c.Spawner.environment = {
    # Where lesson.check reports verdicts (course_utils/room/client.py); the learner's own hub token signs them.
    "COURSE_ROOM_URL": f"http://127.0.0.1:{ROOM_PORT}/services/course-room/",
    # The shared course folder (course doctor, course build), wherever the package itself was installed.
    "COURSE_ROOT": str(COURSE_ROOT),
}


def copy_course_notebooks(spawner):
    """Give the learner the student notebooks they do not have yet; never overwrite their work."""
    home = Path(getattr(spawner, "home_dir", "") or os.path.expanduser(f"~{spawner.user.name}"))
    workspace = home / WORKSPACE
    workspace.mkdir(parents=True, exist_ok=True)
    for notebook in sorted((COURSE_ROOT / "notebooks").glob("*.ipynb")):
        target = workspace / notebook.name
        if not target.exists():
            shutil.copyfile(notebook, target)
    if os.geteuid() == 0 and home.owner() != "root":  # system users (PAM, TLJH): the learner owns their copies
        for path in [workspace, *workspace.iterdir()]:
            shutil.chown(path, user=home.owner(), group=home.group())


c.Spawner.pre_spawn_hook = copy_course_notebooks

# The room view: a hub-managed service behind the hub's proxy at /services/course-room/.
c.JupyterHub.services = [*c.JupyterHub.get("services", []), {
    "name": "course-room",
    "url": f"http://127.0.0.1:{ROOM_PORT}",
    "command": [COURSE_PYTHON, "-m", "course_utils.cli", "room", "--state", ROOM_STATE],
    "oauth_no_confirm": True,
    "display": True,
}]
# Only admins (their role includes access:services) and the named instructors may open it.
c.JupyterHub.load_roles = [*c.JupyterHub.get("load_roles", []), {
    "name": "course-instructor",
    "description": "may open the course's room view",
    "scopes": ["access:services!service=course-room"],
    "users": sorted(INSTRUCTORS),
}]
