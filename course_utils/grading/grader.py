"""The clean grading process: ``python -I -m course_utils.grading.grader``, a warm server of fresh graders.

It imports the course once, then reads jobs, one JSON line each, on stdin. For every job it prepares, once
per exercise and seed, what is expensive and safe to share (the lesson's checkers, a warm-up run of each
check on the reference, the hidden cases with the reference's answers), then forks a fresh child that
grades the one submission and exits; nothing a submission does outlives its child (see ``_sweep``). It
writes "ready" on stdout once imported, then per job "started" when the child is forked and a JSON line
with its exit status when it has ended.

Order matters in the child, and is the point of this file:

1. everything it uses was imported and prepared by the server, before any student code existed (the
   warm-up lets libraries do their lazy work, so that later only student code can change anything);
2. it runs the submission's import statements (installed packages only: the working directory is an
   empty folder and ``-I`` keeps it off ``sys.path``), then takes a
   :class:`~course_utils.grading.tamper.Snapshot`;
3. it installs an audit hook that, while student code may run, refuses the interpreter-level tricks (new
   audit hooks, tracing, ``gc`` object walks, ctypes, frame access, ``os.kill``, setting attributes on
   protected objects, opening the result file);
4. it defines the student's functions from source (see ``extract.py``), then for each exercise: public
   checker + hidden cases, compare with the snapshot, restore it, and append one HMAC-signed line to the
   result file.

The parent trusts only lines whose signature matches the key sent with the job.
"""
import builtins
import hashlib
import hmac
import json
import os
import signal
import sys
import threading

import numpy as np
import numpy.linalg  # noqa: F401 - imported before any student code, so snapshotted
import math  # noqa: F401

import course_utils  # noqa: F401
from course_utils import exercises
from course_utils.checking import run_check
from course_utils.checking.verdict import PASSED
from course_utils.grading import tamper
from course_utils.grading.hidden_cases import prepare_hidden, score_hidden

#: set in the server's environment when it runs in its own PID namespace (bubblewrap's sandbox)
SANDBOXED = "COURSE_GRADER_SANDBOXED"


class Prepared:
    """What the server keeps warm: the libraries each lesson's notebook imports, and per (exercise id, seed)
    the hidden cases with the reference's answers."""

    def __init__(self):
        self.hidden = {}
        self.lessons = set()
        self.threads_limited = False

    def for_job(self, exercise_ids, seed):
        if not self.threads_limited:
            from threadpoolctl import threadpool_limits

            threadpool_limits(1)  # one BLAS thread, as in a lesson's kernel (and a fork-safe library state)
            self.threads_limited = True
        for exercise_id in exercise_ids:
            lesson = exercise_id.split(".")[0]
            if lesson not in self.lessons:
                _import_what_the_lesson_imports(lesson)
                self.lessons.add(lesson)
            if (exercise_id, seed) not in self.hidden:
                exercises.lesson_module(lesson)
                exercises.hidden_cases_module(lesson)
                exercise = exercises.get(exercise_id)
                run_check(exercise, exercise.reference)  # the warm-up
                self.hidden[exercise_id, seed] = prepare_hidden(exercise_id, exercise.reference, seed)
        return {exercise_id: self.hidden[exercise_id, seed] for exercise_id in exercise_ids}


def _import_what_the_lesson_imports(lesson):
    """Run the import statements of the lesson's solution notebook (when this is a checkout that has it).

    A submission's own import statements then find matplotlib, ipywidgets, torch... already loaded: a
    second or more per submission that every fresh grader would otherwise pay. Only the course's own
    notebook is imported here, never a submission's.
    """
    from course_utils.grading.extract import grading_source, read_notebook
    from course_utils.paths import solutions_dir

    for path in sorted(solutions_dir().glob(f"{lesson}_*.ipynb")) if solutions_dir().is_dir() else []:
        for statement in grading_source(read_notebook(path))[0]:
            try:
                exec(compile(statement, "<the lesson's imports>", "exec"), {})
            except Exception:  # noqa: BLE001 - a library that cannot load here is imported by the submission, or not
                pass


def serve():
    """Read jobs on stdin; grade each in a fresh forked child; say when each child has ended."""
    prepared = Prepared()
    sandboxed = os.environ.get(SANDBOXED) == "1"
    print("ready", flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        hidden_cases = prepared.for_job(job["exercises"], job["seed"])
        child = os.fork()
        if child:
            print("started", flush=True)
        else:
            os.setsid()  # its own process group: whatever it starts can be stopped with it
            _detach_from_server()
            code = 1
            try:
                grade_job(job, hidden_cases)
                code = 0
            finally:
                os._exit(code)  # skip interpreter teardown: student objects' finalizers never run after grading
        _, status = os.waitpid(child, 0)
        _sweep(child, sandboxed)
        print(json.dumps({"status": status}), flush=True)


def _detach_from_server():
    """The child never holds the server's pipes: it can neither read the next job (and its key) nor fake a reply."""
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)


def _sweep(child, sandboxed):
    """Stop every process the job left behind, so that nothing of one submission meets the next.

    In the sandbox's own PID namespace, kill(-1) reaches every process but bubblewrap's init and this
    server; outside it, only the child's process group can safely be stopped.
    """
    try:
        if sandboxed:
            os.kill(-1, signal.SIGKILL)
        else:
            os.killpg(child, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def grade_job(job, hidden_cases):
    """Grade one submission (in a fresh forked child): signed records appended to ``job["results"]``."""
    key = bytes.fromhex(job["key"])
    results_path = os.path.realpath(job["results"])
    results = open(results_path, "a", buffering=1)
    wanted = [exercises.get(eid) for eid in job["exercises"]]
    Snapshot = tamper.Snapshot
    _new_hmac, _sha256, _dumps, _len, _str, _repr = hmac.new, hashlib.sha256, json.dumps, len, str, repr
    _active_count, _gettrace, _getprofile = threading.active_count, sys.gettrace, sys.getprofile
    sequence = [0]

    def emit(record, _results=results):
        payload = _dumps(record, sort_keys=True, default=_str)
        signature = _new_hmac(key, (_str(sequence[0]) + "|" + payload).encode(), _sha256).hexdigest()
        _results.write(_dumps({"seq": sequence[0], "payload": payload, "sig": signature}) + "\n")
        _results.flush()
        sequence[0] += 1

    namespace = {"__name__": "__student__", "__builtins__": builtins}
    for statement in job["imports"]:
        try:
            exec(compile(statement, "<submission>", "exec"), namespace)
        except BaseException:  # noqa: BLE001 - a missing package only leaves names undefined
            pass

    guard = _install_guard(results_path)
    snapshot = Snapshot(exercises.registry())
    threads, tracer, profiler = _active_count(), _gettrace(), _getprofile()

    call_problems = []

    def violations():
        found = list(dict.fromkeys(call_problems)) + snapshot.changes()
        if guard.blocked:
            found += [f"tried {event}" for event in guard.blocked]
        if _gettrace() is not tracer or _getprofile() is not profiler:
            found.append("a trace or profile function")
        if _active_count() > threads:
            found.append("a background thread")
        return found

    def settle():
        """Close the window: stop guarding, list and undo every change."""
        guard.active[0] = False
        found = violations()
        snapshot.restore()
        sys.settrace(tracer)
        sys.setprofile(profiler)
        guard.blocked.clear()
        call_problems.clear()
        return found

    guard.active[0] = True
    for statement in job["definitions"]:
        try:
            exec(compile(statement, "<submission>", "exec"), namespace)
        except BaseException:  # noqa: BLE001 - a definition that fails leaves its name undefined
            pass
    definition_problems = settle()
    emit({"defined": True})

    for exercise in wanted:
        record = {"id": exercise.id, "points": 0, "max_points": exercise.points, "hidden_run": 0, "hidden_failed": 0}
        function = namespace.get(exercise.name)
        if definition_problems:
            record.update(status="tampered", detail="; ".join(definition_problems[:5]))
        elif function is None or not callable(function):
            record.update(status="missing", detail=f"the notebook defines no function `{exercise.name}`")
        else:
            guard.active[0] = True
            try:
                function = Guarded(function, snapshot, call_problems)
                verdict = run_check(exercise, function)
                run, failed = 0, 0
                if verdict.status == PASSED:
                    run, failed = score_hidden(exercise.id, hidden_cases[exercise.id],
                                               exercise.learner(function))
            except BaseException as error:  # noqa: BLE001 - SystemExit from a student must not end grading
                verdict, run, failed = None, 0, 0
                problem = f"{type(error).__name__} escaped the checker"
            problems = settle()
            if problems:
                record.update(status="tampered", detail="; ".join(problems[:5]))
            elif verdict is None:
                record.update(status="error", detail=problem)
            else:
                record.update(status=verdict.status, text=verdict.text(), hidden_run=run, hidden_failed=failed)
                if verdict.status == PASSED and failed:
                    record.update(status="failed hidden cases")
                elif verdict.status == PASSED:
                    record["points"] = exercise.points
        emit(record)
    emit({"done": True})
    results.close()


class Guarded:
    """The learner's function as the checker calls it: plain results, and a quick tamper check after each call.

    The quick check (module attributes only) catches a patch that a student's call makes and that
    would undo itself later in the same check; the full comparison runs after each exercise.
    """

    def __init__(self, function, snapshot, problems):
        self.function, self.snapshot, self.problems = function, snapshot, problems
        self.__name__ = getattr(function, "__name__", "function")
        self.__wrapped__ = function  # so the side-effect check can name the arguments

    def __call__(self, *args, **kwargs):
        try:
            return plain(self.function(*args, **kwargs))
        finally:
            self.problems.extend(self.snapshot.module_changes())


_SCALARS = (int, float, bool, complex, str, bytes, type(None))


def plain(value, depth=0):
    """``value`` rebuilt from plain types, so that no method of a student's class runs inside a checker.

    Exact builtin scalars, containers, numpy arrays and scalars and torch tensors pass; subclasses of
    them are converted to the base type. Objects of other types are returned unchanged.
    """
    kind = type(value)
    if kind in _SCALARS or depth > 50:
        return value
    for base in _SCALARS[:-1]:
        if isinstance(value, base):
            return base(value)
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return np.array([plain(v, depth + 1) for v in value.ravel()] or [], dtype=object).reshape(value.shape)
        return value if kind is np.ndarray else np.array(value, subok=False)
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        return value
    if kind in (list, tuple):
        return kind(plain(v, depth + 1) for v in value)
    if kind is dict:
        return {plain(k, depth + 1): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, tuple) and kind.__module__ != "__student__" and hasattr(kind, "_fields"):
        return value  # a namedtuple from a library
    if isinstance(value, (list, tuple)):
        return (list if isinstance(value, list) else tuple)(plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return {plain(k, depth + 1): plain(v, depth + 1) for k, v in value.items()}
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return value if kind in (torch.Tensor, torch.nn.Parameter) else value.as_subclass(torch.Tensor)
    return value


class _Guard:
    def __init__(self):
        self.active = [False]
        self.blocked = []


def _install_guard(results_path):
    """An audit hook that refuses interpreter-level tricks while ``guard.active[0]`` is true."""
    guard = _Guard()
    active, blocked = guard.active, guard.blocked
    exact = frozenset(["sys.addaudithook", "sys.settrace", "sys.setprofile",
                       "gc.get_objects", "gc.get_referrers", "gc.get_referents",
                       "os.kill", "os.killpg", "cpython.remote_debugger_script",
                       "function.__new__", "code.__new__"])
    protected_ids = []
    _startswith, _realpath, _isinstance, _str, _append = str.startswith, os.path.realpath, isinstance, str, list.append

    def hook(event, args):
        if not active[0]:
            return
        refuse = False
        if event in exact or _startswith(event, "ctypes."):
            refuse = True
        elif event == "object.__setattr__" and args and id(args[0]) in protected_ids[0]:
            refuse = True
        elif event == "open" and args and _isinstance(args[0], (str, bytes)) and \
                _realpath(args[0] if _isinstance(args[0], str) else args[0].decode(errors="replace")) == results_path:
            refuse = True
        if refuse:
            _append(blocked, event)
            if os.environ.get("COURSE_GRADER_DEBUG"):
                active[0] = False
                import traceback
                traceback.print_stack()
                active[0] = True
            raise PermissionError(f"not allowed while grading: {event}")

    from course_utils import exercises
    from course_utils.grading.tamper import Snapshot

    protected_ids.append(Snapshot(exercises.registry()).ids)
    sys.addaudithook(hook)
    return guard


if __name__ == "__main__":
    serve()
