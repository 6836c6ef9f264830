"""A real JupyterHub on 127.0.0.1, run from the deployment config, for the hub tests and benchmarks/hub_capacity.py.

``HubSession`` writes a small config that loads deploy/jupyterhub/jupyterhub_config.py and then swaps only
what a test machine cannot have: the dummy authenticator for PAM, the simple local spawner (homes under the
session's folder) for system users, and free local ports. The room view, the roles, the learners'
environment and the notebook copies are the deployment's own. Everything started is stopped by ``stop()``.
"""
import asyncio
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from local_ports import free_port

ROOT = Path(__file__).resolve().parent.parent
DEPLOY_CONFIG = ROOT / "deploy" / "jupyterhub" / "jupyterhub_config.py"
PASSWORD = "workshop"


def hub_missing():
    """Why a real hub cannot run here, or None."""
    if shutil.which("jupyterhub", path=str(Path(sys.executable).parent)) is None:
        return "jupyterhub is not installed (pip install jupyterhub)"
    if shutil.which("configurable-http-proxy") is None:
        return "configurable-http-proxy is not installed (npm install -g configurable-http-proxy)"
    return None


class HubError(RuntimeError):
    pass


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect comes back as its own status (302 to the login page, say)


_OPENER = urllib.request.build_opener(_NoRedirects)


class HubSession:
    def __init__(self, folder, instructors=("teacher",), admins=("host",)):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port, self.hub_port, self.proxy_api_port, self.room_port = (free_port() for _ in range(4))
        self.url = f"http://127.0.0.1:{self.port}"
        self.driver_token = secrets.token_hex(16)
        self.room_state = self.folder / "course-room.json"
        self.log = self.folder / "jupyterhub.log"
        self._tokens = {}
        self._process = None
        config = self.folder / "jupyterhub_config.py"
        config.write_text(f"""
c = get_config()
load_subconfig({str(DEPLOY_CONFIG)!r})
c.JupyterHub.bind_url = {self.url!r}
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{self.hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{self.proxy_api_port}"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {PASSWORD!r}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(self.folder / "home" / "{username}")!r}
c.Spawner.args = ["--allow-root"] if {os.geteuid() == 0} else []  # CI machines run as root; real learners never
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.JupyterHub.db_url = "sqlite:///{self.folder / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(self.folder / "cookie_secret")!r}
c.JupyterHub.services.append({{"name": "test-driver", "api_token": {self.driver_token!r}}})
c.JupyterHub.load_roles.append({{"name": "test-driver", "services": ["test-driver"],
    "scopes": ["admin:users", "admin:servers", "tokens", "list:users", "read:users"]}})
""")
        self.config = config
        self.env = {**os.environ, "COURSE_ROOT": str(ROOT), "COURSE_PYTHON": sys.executable,
                    "COURSE_INSTRUCTORS": ",".join(instructors), "COURSE_ADMINS": ",".join(admins),
                    "COURSE_ROOM_PORT": str(self.room_port), "COURSE_ROOM_STATE": str(self.room_state),
                    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}

    # -- lifetime -------------------------------------------------------------------------------------------
    def start(self, timeout=120):
        with open(self.log, "wb") as log:
            self._process = subprocess.Popen(
                [str(Path(sys.executable).with_name("jupyterhub")), "-f", str(self.config)],
                cwd=self.folder, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise HubError(f"jupyterhub exited with {self._process.returncode}:\n{self.log_tail()}")
            try:
                if self.api("GET", "/")[0] == 200 and self._room_up():
                    return self
            except OSError:
                pass
            time.sleep(0.5)
        raise HubError(f"jupyterhub did not answer within {timeout} s:\n{self.log_tail()}")

    def _room_up(self):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{self.room_port}/services/course-room/api/report", timeout=2)
        except urllib.error.HTTPError:
            return True  # it answered (405: a report is a POST)
        except OSError:
            return False
        return True

    def stop(self):
        """Stop the hub (which stops every learner's server and the room), then anything left in its group."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self._process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._process = None

    def log_tail(self, characters=4000):
        return self.log.read_text(errors="replace")[-characters:] if self.log.exists() else ""

    # -- the hub's REST API ---------------------------------------------------------------------------------
    def request(self, method, url, token=None, body=None, timeout=60):
        """(status, parsed JSON or text) for one HTTP request; HTTP errors are returned, not raised."""
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        request = urllib.request.Request(url, data=data, method=method)
        if token:
            request.add_header("Authorization", f"token {token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        try:
            return status, json.loads(payload) if payload else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            return status, payload.decode(errors="replace")

    def api(self, method, path, body=None):
        return self.request(method, f"{self.url}/hub/api{path}", token=self.driver_token, body=body)

    def token_for(self, name):
        """A token of ``name``'s own (their roles' scopes), made by the hub."""
        if name not in self._tokens:
            self.api("POST", f"/users/{name}")  # 201 created, or 409 already there
            status, model = self.api("POST", f"/users/{name}/tokens", {"note": "hub test", "expires_in": 3600})
            if status != 201:
                raise HubError(f"could not make a token for {name}: {status} {model}")
            self._tokens[name] = model["token"]
        return self._tokens[name]

    def spawn(self, name, timeout=240):
        """Start ``name``'s server and wait until the hub says it is ready; returns the seconds it took."""
        self.token_for(name)
        started = time.monotonic()
        status, answer = self.api("POST", f"/users/{name}/server")
        if status not in (201, 202, 400):  # 400: already running
            raise HubError(f"spawn {name}: {status} {answer}\n{self.log_tail()}")
        while time.monotonic() - started < timeout:
            status, model = self.api("GET", f"/users/{name}")
            server = (model or {}).get("servers", {}).get("", {})
            if server.get("ready"):
                return time.monotonic() - started
            time.sleep(0.5)
        raise HubError(f"{name}'s server was not ready within {timeout} s\n{self.log_tail()}")

    def server_pid(self, name):
        status, model = self.api("GET", f"/users/{name}")
        return (model or {}).get("servers", {}).get("", {}).get("state", {}).get("pid")

    def room(self, path="", token=None):
        return self.request("GET", f"{self.url}/services/course-room/{path}", token=token)

    def report(self, body, token=None):
        """POST ``body`` (bytes as they are, anything else as JSON) to the room, as a learner's kernel would."""
        return self.request("POST", f"{self.url}/services/course-room/api/report", token=token, body=body)

    # -- kernels through the hub's proxy ----------------------------------------------------------------------
    def start_kernel(self, name):
        status, model = self.request("POST", f"{self.url}/user/{name}/api/kernels", token=self.token_for(name),
                                     body={"name": "python3"})
        if status != 201:
            raise HubError(f"could not start a kernel for {name}: {status} {model}")
        return model["id"]

    def execute(self, name, kernel_id, code, timeout=300):
        """Run ``code`` in the kernel over its websocket; returns the printed text, raises on an error."""
        return asyncio.run(self._execute(name, kernel_id, code, timeout))

    async def _execute(self, name, kernel_id, code, timeout):
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        url = f"ws://127.0.0.1:{self.port}/user/{name}/api/kernels/{kernel_id}/channels"
        connection = await websocket_connect(HTTPRequest(
            url, headers={"Authorization": f"token {self.token_for(name)}"}, request_timeout=60))
        message_id = uuid.uuid4().hex
        connection.write_message(json.dumps({
            "header": {"msg_id": message_id, "msg_type": "execute_request", "username": name,
                       "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        printed, replied, idle = [], None, False
        deadline = time.monotonic() + timeout
        try:
            while not (replied and idle):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise HubError(f"the code did not finish within {timeout} s in {name}'s kernel")
                raw = await asyncio.wait_for(connection.read_message(), remaining)
                if raw is None:
                    raise HubError(f"{name}'s kernel connection closed")
                message = json.loads(raw)
                if message.get("parent_header", {}).get("msg_id") != message_id:
                    continue
                kind, content = message["msg_type"], message["content"]
                if kind == "stream":
                    printed.append(content["text"])
                elif kind == "error":
                    raise HubError(f"{content['ename']}: {content['evalue']}")
                elif kind == "execute_reply":
                    replied = content
                elif kind == "status" and content["execution_state"] == "idle":
                    idle = True
        finally:
            connection.close()
        return "".join(printed)

    def stop_kernel(self, name, kernel_id):
        self.request("DELETE", f"{self.url}/user/{name}/api/kernels/{kernel_id}", token=self.token_for(name))
