"""Hostile submissions graded under bubblewrap: none reaches the instructor's files, another submission, the network
or the grader's processes, none outlives its grading, and each row says what was refused.

Every hostile submission is the lesson 01 notebook with every exercise solved plus hostile cells, so each still
earns full marks from the clean grader. The class lives in the course folder (under .pytest_cache), not in /tmp:
the sandbox has a private /tmp, and the point is to see the folders given to `course grade` hidden and the rest
of the file system read-only.
"""
import ast
import copy
import os
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from pathlib import Path

import nbformat
import psutil
import pytest

from course_utils import cli, doctor
from course_utils.grading import gradebook, isolation
from course_utils.grading.batch import Settings, grade
from course_utils.paths import repo_root

from grading_fixtures import MEMORY_HOG, POINTS, _student, append, everything

UNUSABLE = isolation.problem()
needs_bwrap = pytest.mark.skipif(UNUSABLE is not None, reason=f"bubblewrap cannot sandbox here: {UNUSABLE}")
MARKER = f"course-isolation-test-{uuid.uuid4().hex[:12]}"  # in the command line of every process a test leaves
PTH = Path(sysconfig.get_paths()["purelib"]) / f"zz_{MARKER[-12:]}.pth"  # one in the venv would run everywhere
FULL = sum(POINTS.values())

# The one dangerous cell checks it is inside the sandbox's PID namespace first: run unsandboxed by a bug, it
# would otherwise kill every process of this user on the machine.
IN_SANDBOX = """
if open("/proc/1/comm").read().strip() != "bwrap":
    raise RuntimeError("not inside the sandbox's PID namespace: not signalling real processes")
"""

DAEMON = f"""
import os, sys
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", "{MARKER}"])
    os._exit(0)
os.wait()
"""


def _hostile(cells):
    nb = everything(copy.deepcopy(_student()))
    for source in cells:
        append(nb, source)
    return nb


def _marked_processes():
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if MARKER in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


def _no_marked_processes(seconds=10):
    """True once no process carries MARKER (a PID namespace is torn down just after its bwrap exits)."""
    deadline = time.monotonic() + seconds
    while _marked_processes():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.fixture(scope="module")
def cleanup():
    """Whatever happens, nothing a hostile submission could have left survives the module."""
    yield
    for process in _marked_processes():
        process.kill()
    PTH.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def class_root(cleanup):
    parent = repo_root() / ".pytest_cache"
    parent.mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="isolation-", dir=parent))
    yield root
    subprocess.run(["rm", "-rf", str(root)], check=False)


@pytest.fixture(scope="module")
def hostile_batch(class_root):
    submitted, instructor = class_root / "submitted", class_root / "instructor"
    submitted.mkdir()
    instructor.mkdir()
    answers = instructor / "answers.txt"
    answers.write_text("the instructor's answers\n")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    notebooks = {
        "correct": _hostile([]),
        "vandal": _hostile([f"open({str(instructor / 'pwned.txt')!r}, 'w').write('pwned')",
                            f"import os\nos.remove({str(answers)!r})",
                            f"open({str(PTH)!r}, 'w').write('# a .pth file runs in every later Python\\n')"]),
        "snoop": _hostile([f"print(open({str(submitted / 'correct.ipynb')!r}).read()[:100])",
                           f"import os\nraise RuntimeError(f\"saw {{len(os.listdir({str(submitted)!r}))}} files "
                           "in the submissions folder\")",
                           f"raise RuntimeError(f\"saw home entries {{sorted(os.listdir({str(Path.home())!r}))}}\")"]),
        "network": _hostile([f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=5)",
                             "socket.create_connection(('1.1.1.1', 80), timeout=5)"]),
        "signals": _hostile([f"import os, signal\nos.kill({os.getpid()}, signal.SIGKILL)  # the grading process",
                             IN_SANDBOX + "chain, pid = [], os.getppid()\nwhile pid > 0:\n    chain.append(pid)\n"
                             "    pid = int(open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1])\n"
                             "for pid in reversed(chain):\n    os.kill(pid, signal.SIGKILL)"]),
        "kill_all": _hostile([IN_SANDBOX + "import os, signal\nos.kill(-1, signal.SIGKILL)  # kill -9 -1"]),
        "daemon": _hostile([DAEMON]),
    }
    for name, nb in notebooks.items():
        (submitted / f"{name}.ipynb").write_text(nbformat.writes(nb) + "\n")
    settings = Settings(out=class_root / "out" / "gradebook.csv", jobs=2, timeout=300, cell_timeout=60,
                        memory_mb=2000, exercise_timeout=20, lesson="01", seed=7, quiet=True)
    try:
        rows = {Path(r["submission"]).stem: r for r in grade([submitted], settings)}
        server.setblocking(False)
        try:
            server.accept()
            accepted = True
        except BlockingIOError:
            accepted = False
    finally:
        server.close()
    return {"rows": rows, "answers": answers, "instructor": instructor, "accepted": accepted}


@needs_bwrap
def test_the_honest_submission_gets_full_marks(hostile_batch):
    row = hostile_batch["rows"]["correct"]
    assert (row["status"], row["total"], row["notes"]) == ("graded", FULL, ""), row


@needs_bwrap
def test_writing_outside_its_folder_and_deleting_the_instructors_file_are_refused(hostile_batch):
    row = hostile_batch["rows"]["vandal"]
    assert hostile_batch["answers"].read_text() == "the instructor's answers\n"
    assert not (hostile_batch["instructor"] / "pwned.txt").exists() and not PTH.exists()
    assert row["notes"].count("[Errno 30] Read-only file system") == 3, row["notes"]
    assert "pwned.txt" in row["notes"] and "answers.txt" in row["notes"] and PTH.name in row["notes"]
    assert (row["status"], row["total"]) == ("graded", FULL)


@needs_bwrap
def test_other_submissions_and_the_instructors_home_are_hidden(hostile_batch):
    row = hostile_batch["rows"]["snoop"]
    assert "FileNotFoundError: [Errno 2] No such file or directory" in row["notes"] and "correct.ipynb" in row["notes"]
    assert "saw 0 files in the submissions folder" in row["notes"], row["notes"]
    home = Path.home().resolve()
    shown = {p.relative_to(home).parts[0] for p in isolation._needed() if home in p.parents}  # Python, the course
    seen = row["notes"].split("saw home entries ")[1].split("]")[0] + "]"
    assert set(ast.literal_eval(seen)) <= shown, (seen, shown)


@needs_bwrap
def test_no_connection_reaches_the_machine_or_the_network(hostile_batch):
    row = hostile_batch["rows"]["network"]
    assert not hostile_batch["accepted"], "the test's server on 127.0.0.1 accepted a connection"
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in row["notes"], row["notes"]
    assert "OSError: [Errno 101] Network is unreachable" in row["notes"], row["notes"]
    assert (row["status"], row["total"]) == ("graded", FULL)


@needs_bwrap
def test_signals_reach_only_the_submissions_own_sandbox(hostile_batch):
    assert psutil.Process(os.getpid()).is_running()
    for name in ("signals", "kill_all"):
        row = hostile_batch["rows"][name]
        # it could stop its own notebook run, nothing else: its functions are graded all the same
        assert (row["status"], row["total"]) == ("kernel died", FULL), row
        assert "not inside the sandbox" not in row["notes"]
    assert "ProcessLookupError: [Errno 3] No such process" in hostile_batch["rows"]["signals"]["notes"]
    others = [r for name, r in hostile_batch["rows"].items() if name not in ("signals", "kill_all")]
    assert all(r["status"] == "graded" for r in others), others


@needs_bwrap
def test_a_daemon_does_not_outlive_its_grading(hostile_batch):
    row = hostile_batch["rows"]["daemon"]
    assert _no_marked_processes()
    assert "left 1 process(es) running after the notebook ended" in row["notes"] and MARKER in row["notes"], row
    assert (row["status"], row["total"]) == ("graded", FULL)


@needs_bwrap
def test_the_watchdog_stops_a_sandboxed_timeout_and_memory_blowup(class_root):
    folder = class_root / "limits"
    folder.mkdir()
    child = f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', " \
            f"'{MARKER}'])\n"
    (folder / "loops.ipynb").write_text(nbformat.writes(_hostile([child + "while True:\n    pass"])))
    (folder / "hog.ipynb").write_text(nbformat.writes(_hostile([child + MEMORY_HOG + "\ntime.sleep(600)"])))
    settings = Settings(out=class_root / "limits-out" / "gradebook.csv", jobs=2, timeout=40, cell_timeout=600,
                        memory_mb=1000, exercise_timeout=20, lesson="01", seed=7, quiet=True)
    rows = {Path(r["submission"]).stem: r for r in grade([folder], settings)}
    assert (rows["loops"]["status"], rows["loops"]["notes"]) == ("timeout", "ran longer than 40 s"), rows["loops"]
    assert rows["hog"]["status"] == "memory limit" and "used more than 1000 MB" in rows["hog"]["notes"], rows["hog"]
    assert rows["loops"]["total"] == rows["hog"]["total"] == FULL
    assert _no_marked_processes(), "a process of a killed sandbox survived"


def test_without_bubblewrap_grading_stops_with_the_explanation(tmp_path, monkeypatch, capsys):
    (tmp_path / "correct.ipynb").write_text(nbformat.writes(_hostile([])))
    monkeypatch.setenv("PATH", str(tmp_path / "no-bwrap-here"))
    out = tmp_path / "out" / "gradebook.csv"
    assert cli.main(["grade", str(tmp_path / "correct.ipynb"), "--out", str(out)]) == 2
    said = capsys.readouterr().out
    assert said.startswith("nothing graded: bubblewrap (`bwrap`) is not installed"), said
    assert "apt-get install bubblewrap" in said and "--no-sandbox" in said
    assert not out.exists()


def test_course_check_and_doctor_say_when_bubblewrap_is_missing(tmp_path, monkeypatch, capsys):
    broken = tmp_path / "mine.ipynb"
    broken.write_text("{not json")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bwrap-here"))
    assert cli.main(["check", str(broken)]) == 1  # a learner's check goes on without the sandbox
    assert "not installed" in capsys.readouterr().out
    ok, text = doctor.sandbox_line()
    assert ok is None and "apt-get install bubblewrap" in text  # a note, not a fix: learners do not need it


def test_no_sandbox_still_grades_as_the_instructors_user(class_root):
    folder, written = class_root / "unsandboxed", class_root / "written-by-a-submission.txt"
    folder.mkdir()
    (folder / "correct.ipynb").write_text(nbformat.writes(_hostile([f"open({str(written)!r}, 'w').write('x')"])))
    assert cli.main(["grade", str(folder), "--out", str(class_root / "unsandboxed.csv"), "--no-sandbox", "--jobs",
                     "1", "--lesson", "01", "--seed", "7", "--exercise-timeout", "20"]) == 0
    [row] = gradebook.read(class_root / "unsandboxed.csv")
    assert (row["status"], int(row["total"])) == ("graded", FULL)
    assert written.exists()  # what --no-sandbox means: the notebook runs as you


@needs_bwrap
def test_wrap_shows_a_read_only_system_and_writes_only_to_its_folders(tmp_path, class_root):
    writable, secret = tmp_path / "work", class_root / "secret"  # /tmp is private anyway: hide a folder elsewhere
    writable.mkdir()
    secret.mkdir()
    (secret / "grades.csv").write_text("ada,11\n")
    probe = ("import os, sys, pathlib\n"
             f"print(sorted(os.listdir({str(secret)!r})))\n"
             "open('here.txt', 'w').write('kept'); open('/tmp/scratch.txt', 'w').write('private')\n"
             f"try:\n    open({str(Path(sys.executable))!r} + '.x', 'w')\nexcept OSError as e:\n    print(e.errno)\n"
             "print(sorted(os.environ))")
    command = isolation.wrap([sys.executable, "-c", probe], writable=[writable], private=tmp_path / "private",
                             hidden=[secret])
    done = subprocess.run(command, cwd=writable, env=isolation.environment(), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    listing, errno, names = done.stdout.splitlines()
    assert listing == "[]" and errno == "30"
    assert ast.literal_eval(names) == ["HOME", "LANG", "PATH", "PWD", "TMPDIR"]
    assert (writable / "here.txt").read_text() == "kept"
    assert (tmp_path / "private" / "tmp" / "scratch.txt").read_text() == "private"
