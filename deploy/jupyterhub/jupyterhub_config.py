"""JupyterHub for a workshop on one server: `jupyterhub -f deploy/jupyterhub/jupyterhub_config.py`.

Learners log in with their system account (PAM; accounts are created on first login), each gets their own
home, notebooks, progress file and kernels, and the course is installed once for everyone (COURSE_ROOT,
COURSE_PYTHON). docs/workshops/hosting.md walks through it; on The Littlest JupyterHub, use course.py alone.
"""
import os
from pathlib import Path

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

c.JupyterHub.bind_url = os.environ.get("COURSE_HUB_URL", "http://:8000")
c.JupyterHub.authenticator_class = "pam"
c.LocalAuthenticator.create_system_users = True
c.Authenticator.allow_all = True  # anyone with an account on this server; list learners in allowed_users instead
c.Authenticator.admin_users = {name for name in os.environ.get("COURSE_ADMINS", "").split(",") if name}
c.JupyterHub.spawner_class = "localprocess"
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every learner's server

load_subconfig(str(Path(__file__).with_name("course.py")))  # noqa: F821 - provided by JupyterHub
