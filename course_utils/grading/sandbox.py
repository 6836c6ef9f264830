"""Run a child process under a watchdog: wall-clock limit, memory limit, and a clean kill.

The child starts in its own session (its own process group); Jupyter kernels
start in a session of their own too, so the watchdog also follows the process
ids the child reports in a pid file. Memory is the resident set size summed
over every process watched, sampled with psutil; over the limit, or past the
deadline, every watched process group is killed with SIGKILL.
"""
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

FINISHED, TIMEOUT, MEMORY, DIED = "finished", "timeout", "memory limit", "died"


@dataclass
class Outcome:
    status: str             # finished / timeout / memory limit / died
    returncode: int | None
    seconds: float
    peak_mb: float


def _tree(pid):
    try:
        process = psutil.Process(pid)
        return [process] + process.children(recursive=True)
    except psutil.Error:
        return []


def memory_of(processes, unique=False):
    """Bytes the processes hold: resident (RSS), or with ``unique`` only what no other process shares (USS,
    RSS where USS cannot be read)."""
    total = 0
    for process in processes:
        try:
            total += process.memory_full_info().uss if unique else process.memory_info().rss
        except psutil.AccessDenied:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                pass
        except psutil.Error:
            pass
    return total


def _kill_group(pid):
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
        except (ProcessLookupError, PermissionError, OSError):
            pass


def _reported_pids(pid_file):
    if not pid_file:
        return []
    try:
        return [int(v) for v in Path(pid_file).read_text().split() if v.strip().isdigit()]
    except OSError:
        return []


def run_watched(command, *, cwd, env, timeout, memory_mb, stdin_text=None, pid_file=None,
                idle_timeout=None, progress_file=None, interval=0.1):
    """Run ``command``; kill it (and the kernels it reports in ``pid_file``) at ``timeout`` s or ``memory_mb``.

    ``idle_timeout`` (with ``progress_file``): also kill when the file has not grown for that long.
    """
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.PIPE if stdin_text is not None
                               else subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    if stdin_text is not None:
        try:
            process.stdin.write(stdin_text.encode())
            process.stdin.close()
        except (BrokenPipeError, OSError):
            pass
    limit, peak, status = memory_mb * 2**20, 0, None
    last_size, last_growth = -1, start
    watched = {process.pid}
    while True:
        returncode = process.poll()
        now = time.monotonic()
        extra = _reported_pids(pid_file)
        watched.update(extra)
        processes = _tree(process.pid) + [p for pid in extra for p in _tree(pid)]
        used = memory_of({p.pid: p for p in processes}.values())
        peak = max(peak, used)
        if returncode is not None:
            break
        if used > limit:
            status = MEMORY
        elif now - start > timeout:
            status = TIMEOUT
        elif idle_timeout and progress_file:
            try:
                size = os.path.getsize(progress_file)
            except OSError:
                size = 0
            if size != last_size:
                last_size, last_growth = size, now
            elif now - last_growth > idle_timeout:
                status = TIMEOUT
        if status:
            break
        time.sleep(interval)
    for pid in watched:  # the kernel outlives its manager when the manager is killed: kill both groups
        _kill_group(pid)
    try:
        returncode = process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        returncode = None
    if status is None:
        status = FINISHED if returncode == 0 else DIED
    return Outcome(status, returncode, time.monotonic() - start, peak / 2**20)
