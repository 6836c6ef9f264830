"""Warm graders: long-lived grader servers (``grader.py``) that fork a fresh child for each submission.

Starting a grader costs the imports and, per lesson, the hidden cases' reference answers (seconds for the
interpretability lessons). A server pays that once per batch; each submission still gets a fresh process,
a fresh tamper snapshot and its own watchdog. In the sandbox the server runs in its own bubblewrap
namespace, sees as writable only its slot folder, and stops every process a child leaves behind before
the next job; the slot's private /tmp is emptied between jobs. A server that dies is replaced.

The watchdog of a job: the job's time limit, its idle limit (no new signed result for too long), and the
memory of the child's process tree (memory only the child uses: the server's warm pages, which the child
shares copy-on-write, are not the submission's).
"""
import atexit
import itertools
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

from .grader import SANDBOXED
from .isolation import wrap
from .sandbox import DIED, FINISHED, MEMORY, TIMEOUT, Outcome, memory_of

READY_SECONDS = 300  # imports, or a lesson's hidden cases prepared the first time, on a slow and loaded machine
KILL_GRACE_SECONDS = 30  # after the watchdog stops a child, how long the server may take to say so


class ServerFailed(Exception):
    """A grader server could not start."""


class GraderServer:
    def __init__(self, settings, env):
        self.slot = Path(tempfile.mkdtemp(prefix="course-grader-"))
        self.home = self.slot / "home"
        self.home.mkdir()
        env = dict(env, COURSE_PROGRESS_FILE=str(self.home / "progress.json"))
        command = [sys.executable, "-I", "-m", "course_utils.grading.grader"]
        if settings.sandbox:
            env[SANDBOXED] = "1"
            command = wrap(command, writable=[self.slot / "jobs", self.home], private=self.slot / "private",
                           hidden=settings.hidden)
        (self.slot / "jobs").mkdir()
        self.jobs = itertools.count()
        self.process = subprocess.Popen(command, cwd=self.home, env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                        start_new_session=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        if self._next_line(READY_SECONDS) != "ready":
            self.close()
            raise ServerFailed("the grader server did not start")
        self.server = self._server_process()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def _server_process(self):
        """The server's own Python process, seen from outside (inside bubblewrap it is not the process started)."""
        try:
            tree = [psutil.Process(self.process.pid)] + psutil.Process(self.process.pid).children(recursive=True)
            return next(p for p in tree if p.cmdline()[:1] == [sys.executable])
        except (psutil.Error, StopIteration):
            return None

    def results_path(self):
        path = self.slot / "jobs" / f"results-{next(self.jobs)}.jsonl"
        path.touch()
        return path

    def alive(self):
        try:
            return (self.process.poll() is None and self.server is not None and self.server.is_running()
                    and self.server.status() != psutil.STATUS_ZOMBIE)
        except psutil.Error:
            return False

    def run(self, job, *, timeout, idle_timeout, memory_mb):
        """Send one job and watch its child until it ends: an :class:`Outcome`.

        The clock starts when the server has prepared the job (a new lesson's hidden cases take a while
        the first time) and forked its child. Raises ServerFailed when the server ends before that (a
        previous job may have killed it): the job never started, so it can be sent to another server.
        """
        try:
            self.process.stdin.write(json.dumps(job) + "\n")
            self.process.stdin.flush()
            started = self._next_line(READY_SECONDS)
        except (BrokenPipeError, OSError):
            started = None
        if started != "started":
            self.close()
            raise ServerFailed("the grader server stopped before it could start this submission's grader")
        start, peak, status, killed_at = time.monotonic(), 0, None, None
        progress, last_size, last_growth = Path(job["results"]), -1, start
        while True:
            line = self._next_line(0.1)
            now = time.monotonic()
            if line is None or not self.alive() or (killed_at and now - killed_at > KILL_GRACE_SECONDS):
                self.close()
                return Outcome(status or DIED, None, now - start, peak / 2**20)
            if line:
                ended = FINISHED if json.loads(line).get("status") == 0 else DIED
                return Outcome(status or ended, 0 if ended == FINISHED else None, now - start, peak / 2**20)
            if status:
                continue  # stopped: wait for the server to say the child has ended
            children = self._children()
            used = memory_of(children, unique=True)
            peak = max(peak, used)
            size = progress.stat().st_size if progress.exists() else 0
            if size != last_size:
                last_size, last_growth = size, now
            if used > memory_mb * 2**20:
                status = MEMORY
            elif now - start > timeout or now - last_growth > idle_timeout:
                status = TIMEOUT
            if status:
                killed_at = now
                for child in children:
                    try:
                        child.kill()
                    except psutil.Error:
                        pass

    def _next_line(self, seconds):
        """The server's next line, "" when it said nothing for ``seconds``, None when it has ended."""
        try:
            return self.lines.get(timeout=seconds)
        except queue.Empty:
            return ""

    def _children(self):
        try:
            return self.server.children(recursive=True)
        except psutil.Error:
            return []

    def reset(self):
        """Empty what the last job could write (its results, the private /tmp, the home) before the next one."""
        for results in (self.slot / "jobs").glob("*"):
            results.unlink(missing_ok=True)
        private_tmp = self.slot / "private" / "tmp"
        # the sandbox's /tmp holds its home and the mount points of the slot's folders: those stay
        keep = {"home", *(self.slot.relative_to("/tmp").parts[:1] if self.slot.is_relative_to("/tmp") else ())}
        _empty(private_tmp, keep)
        _empty(self.home, {".cache"})

    def close(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        shutil.rmtree(self.slot, ignore_errors=True)


def _empty(folder, keep):
    for entry in folder.glob("*") if folder.is_dir() else []:
        if entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)


class Pool:
    """Idle warm servers, per sandbox configuration; a caller borrows one for one submission at a time.

    Servers are started from one long-lived thread: bubblewrap's --die-with-parent (PR_SET_PDEATHSIG) fires
    when the *thread* that started it ends, and a batch's worker threads come and go.
    """

    def __init__(self):
        self.idle, self.lock, self.starter = {}, threading.Lock(), None

    def borrow(self, settings, env):
        key = (settings.sandbox, settings.hidden)
        with self.lock:
            while self.idle.get(key):
                server = self.idle[key].pop()
                if server.alive():
                    return server
                server.close()
            if self.starter is None:
                self.starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="grader-servers")
            starter = self.starter
        return starter.submit(GraderServer, settings, env).result()

    def give_back(self, settings, server):
        if not server.alive():
            server.close()
            return
        server.reset()
        with self.lock:
            self.idle.setdefault((settings.sandbox, settings.hidden), []).append(server)

    def close(self):
        with self.lock:
            servers = [s for group in self.idle.values() for s in group]
            self.idle.clear()
            starter, self.starter = self.starter, None
        for server in servers:
            server.close()
        if starter is not None:
            starter.shutdown()


POOL = Pool()
atexit.register(POOL.close)
