"""OS-level isolation of a submission: its notebook run and its grader run inside bubblewrap (``bwrap``).

``wrap(command, ...)`` returns ``bwrap [options] command``. Inside:

* **no network**: a network namespace of its own with only a loopback, so the kernel and its manager (both
  inside) still talk over 127.0.0.1, but nothing outside is reachable, the machine's own 127.0.0.1 included;
* **the system read-only** (``/`` bound read-only), minus what is **hidden** behind an empty read-only
  folder: the instructor's home, the folders given to ``course grade`` (other submissions), the gradebook's
  and feedback's folders, ``/run`` (sockets of system services) and ``/var/tmp``; Python and the course are
  bound back read-only where they live inside a hidden folder;
* **writable**: only the folders named (inside the submission's scratch folder) and a private ``/tmp``
  (where ``HOME`` points) and ``/dev/shm``, which are scratch folders too: whatever the submission writes
  lands on disk in its scratch folder, deleted after grading, never in memory the watchdog cannot see;
* **its own PID, IPC and UTS namespaces** and a new session: it sees and can signal only its own processes,
  and when the command ends every process it left behind dies with the namespace; no capabilities
  (``--cap-drop ALL``), and a clean environment (``environment``).

``problem()`` says, once per process, whether bubblewrap can start such a sandbox here: it may be missing,
or installed but refused by the kernel's user-namespace settings.
"""
import dataclasses
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import course_utils

PRIVATE_HOME = "/tmp/home"
INSTALL = ("install it (`sudo apt-get install bubblewrap` on Debian or Ubuntu, `sudo dnf install bubblewrap` on "
           "Fedora), or pass --no-sandbox to run submissions as your own user, with access to your files and the "
           "network (only for notebooks you trust, or on a throwaway machine)")


class SandboxUnavailable(Exception):
    """Grading wants bubblewrap's sandbox and it cannot run here; the message says why and what to do."""


def environment(**extra):
    """A clean environment for a sandboxed command: a short PATH, a private HOME and TMPDIR, plus ``extra``."""
    env = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
           "HOME": PRIVATE_HOME, "TMPDIR": "/tmp", "LANG": os.environ.get("LANG", "C.UTF-8")}
    env.update(extra)
    return env


def _needed():
    """What a sandboxed Python needs to read: its installation, the virtual environment and the course."""
    course = Path(course_utils.__file__).resolve().parent.parent  # the checkout, or site-packages
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    return {Path(p).resolve() for p in prefixes} | {course}


def _within(path, folder):
    return path == folder or folder in path.parents


def _font_cache():
    """matplotlib's font list, copied into the private home so that no run rebuilds it (about a second)."""
    folder = os.environ.get("MPLCONFIGDIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache",
                                                    "matplotlib")
    return sorted(Path(folder).glob("fontlist-*.json"))


def wrap(command, *, writable, private, hidden=()):
    """``command`` run by bubblewrap, seeing the file system read-only except ``writable`` (folders or files).

    ``private`` (created here) holds what the sandbox sees as /tmp (with its home) and /dev/shm.
    ``hidden``: folders it must not see, besides the instructor's home, /run and /var/tmp.
    """
    private = Path(private)
    home = private / "tmp" / PRIVATE_HOME.removeprefix("/tmp/")
    (home / ".cache" / "matplotlib").mkdir(parents=True)
    (private / "shm").mkdir()
    for font_list in _font_cache():
        shutil.copyfile(font_list, home / ".cache" / "matplotlib" / font_list.name)
    masks = {Path(p).resolve() for p in (Path.home(), "/run", "/var/tmp", *hidden)}
    masks = {m for m in masks if m.is_dir() and m != Path("/")}
    privates = {Path("/tmp"): private / "tmp", Path("/dev/shm"): private / "shm"}
    rebinds = {p for p in _needed() if any(_within(p, m) for m in masks | set(privates))}
    # Mounts apply in order: a folder's mask before anything bound inside it, shallow paths first.
    mounts = [(m, 0, ["--tmpfs", str(m)]) for m in masks
              if not any(_within(m, other) for other in (masks - {m}) | set(privates))
              or any(_within(m, r) for r in rebinds)]
    mounts += [(target, 0, ["--bind", str(source), str(target)]) for target, source in privates.items()]
    mounts += [(r, 1, ["--ro-bind", str(r), str(r)]) for r in rebinds]
    mounts += [(Path(w).resolve(), 2, ["--bind", str(Path(w).resolve()), str(Path(w).resolve())]) for w in writable]
    args = [shutil.which("bwrap") or "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for _, _, mount in sorted(mounts, key=lambda m: (len(m[0].parts), m[1])):
        args += mount
    for _, _, mount in mounts:
        if mount[0] == "--tmpfs":
            args += ["--remount-ro", mount[1]]
    return args + ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
                   "--new-session", "--cap-drop", "ALL", "--", *command]


@functools.lru_cache
def _probe(bwrap):
    """Why a sandbox cannot start with this ``bwrap`` (None when it can): one real try, cached."""
    with tempfile.TemporaryDirectory(prefix="course-sandbox-probe-") as scratch:
        command = wrap([sys.executable, "-I", "-c", "import course_utils"], writable=[], private=scratch + "/p")
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=60,
                                    env=environment(), cwd=scratch)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bubblewrap ({bwrap}) could not be run: {error}"
    if result.returncode == 0:
        return None
    said = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
    return (f"bubblewrap ({bwrap}) is installed but could not start a sandbox here ({said}); the kernel may "
            "forbid the namespaces it needs: on Ubuntu 23.10 and later allow them with `sudo sysctl -w "
            "kernel.apparmor_restrict_unprivileged_userns=0`, in a container run it with user namespaces "
            "allowed (or as root)")


def problem():
    """None when bubblewrap can isolate submissions here, else one sentence saying why not."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (`bwrap`) is not installed, so submissions cannot be kept from your files and the network"
    return _probe(bwrap)


def require():
    """Raise SandboxUnavailable, with what to do, when bubblewrap cannot isolate submissions here."""
    found = problem()
    if found:
        raise SandboxUnavailable(f"{found}. To grade, {INSTALL}.")


def for_batch(settings, paths):
    """``settings`` for grading ``paths``: with the folders no submission may see, when sandboxed.

    Raises SandboxUnavailable when the sandbox is wanted and bubblewrap cannot run here.
    """
    if not settings.sandbox:
        return settings
    require()
    given = [Path(p) if Path(p).is_dir() else Path(p).parent for p in paths]
    outputs = [Path(settings.out).resolve().parent] if str(settings.out) != os.devnull else []
    outputs += [Path(settings.feedback)] if settings.feedback else []
    for folder in outputs:
        folder.mkdir(parents=True, exist_ok=True)  # now, so that it is hidden before the first row is written
    return dataclasses.replace(settings, hidden=tuple(str(p.resolve()) for p in given + outputs))
