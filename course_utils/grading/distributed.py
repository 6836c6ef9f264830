"""Grade a batch on a Dask cluster: ``course grade ... --scheduler tcp://HOST:PORT`` (the ``cluster`` extra).

Only the process that started the batch reads the submissions and writes the gradebook; ``batch.grade`` uses
:class:`ClusterExecutor` in place of its thread pool. Each submission goes to the cluster as the notebook's bytes
and its path as given (an absolute path, or one with ``..``, is taken from the file system's root), since the
workers may be other machines without the submissions folder. A worker writes them into a temporary folder with
the same layout, so that the student's identity from folder names still works, grades that copy with
``batch.grade_one`` and gives back the row with the original path and hash.

A worker that dies mid-submission costs a retry, never a row: the scheduler runs the submission again on
another worker, up to its ``distributed.scheduler.allowed-failures`` (3 by default) before the submission fails
with KilledWorker; an exception outside the grading itself (a full disk on a worker) is retried ``RETRIES``
times. ``batch.grade`` turns a submission that still fails into a "grader error" row.
"""
import hashlib
import os
import tempfile
from pathlib import Path

import course_utils

from . import provenance
from .isolation import problem

RETRIES = 2
CONNECT_SECONDS = 30     # to reach the scheduler
WORKER_SECONDS = 60      # for a first worker to join it
INSTALL = "install the course's cluster extra (`pip install -e '.[cluster]'` in its checkout; `make install` does it)"


class ClusterUnavailable(Exception):
    """``--scheduler`` cannot grade: Dask is missing, the scheduler is out of reach, or its workers differ."""


def _portable(path):
    """``path`` as a relative path showing the same folder names (from the root when absolute or with '..')."""
    path = Path(path)
    if path.is_absolute() or ".." in path.parts:
        path = Path(os.path.abspath(path))
        return path.relative_to(path.anchor)
    return path


def _code_hash():
    """12 hex digits of the SHA-256 of the course's Python files: two checkouts of one version may differ."""
    root = Path(course_utils.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _worker_facts(sandboxed):
    """On each worker: the course's version and code, and why bubblewrap cannot run there (None when it can)."""
    return provenance.course_version(), _code_hash(), problem() if sandboxed else None


def _grade_copy(grade_one, data, where, root, settings, seed, submission, sha256, version):
    """On a worker: ``grade_one`` on a copy of the notebook laid out as where the batch started."""
    if provenance.course_version() != version:  # a worker that joined after the check at the start
        raise ClusterUnavailable(f"this worker has course {provenance.course_version()}, the batch {version}")
    with tempfile.TemporaryDirectory(prefix="course-dask-") as folder:
        path = Path(folder, where)
        path.parent.mkdir(parents=True, exist_ok=True)
        if data is not None:  # unreadable where the batch started: grade_one then reports it as it would there
            path.write_bytes(data)
        row, results, titles = grade_one(path, settings, seed, None if root is None else Path(folder, root))
    # the notes name the file where the batch started, as they would there (a file gone before it was read)
    row.update(submission=submission, sha256=sha256, notes=row.get("notes", "").replace(str(path), submission))
    return row, results, titles


class ClusterExecutor:
    """A concurrent.futures-style executor that runs ``grade_one(path, settings, seed, root)`` on the cluster.

    Connecting checks that the scheduler answers, that a worker has joined it, and that every worker has this
    course's version and code (and bubblewrap, when sandboxed); raises ClusterUnavailable, with what to do,
    otherwise. A worker that joins later is checked for the version only, by each submission it grades.
    """

    def __init__(self, settings):
        try:
            from distributed import Client
        except ImportError:
            raise ClusterUnavailable(f"--scheduler needs Dask, which is not installed here: {INSTALL}") from None
        self.address, self.version = settings.scheduler, provenance.course_version()
        reason = None
        try:
            self._client = Client(self.address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, ValueError) as error:
            reason = str(error)  # raised below, outside this block, so that the half-made client can close now
        if reason:
            raise ClusterUnavailable(f"cannot reach the Dask scheduler at {self.address} ({reason}); start one "
                                     "with `dask scheduler` and pass the address it prints")
        try:
            self._check(settings)
        except BaseException:
            self._client.close()
            raise
        self._pool = self._client.get_executor(retries=RETRIES, pure=False)

    def _check(self, settings):
        try:
            self._client.wait_for_workers(1, timeout=WORKER_SECONDS)
        except TimeoutError:
            raise ClusterUnavailable(f"no Dask worker joined the scheduler at {self.address} in {WORKER_SECONDS} s; "
                                     f"start some with `dask worker {self.address}`") from None
        facts = self._client.run(_worker_facts, settings.sandbox, on_error="return")
        code, wrong = _code_hash(), []
        for worker, found in sorted(facts.items()):
            if isinstance(found, BaseException):
                wrong.append(f"{worker} cannot run the course ({type(found).__name__}: {found})")
            elif found[0] != self.version:
                wrong.append(f"{worker} has course {found[0]}")
            elif found[1] != code:
                wrong.append(f"{worker} has other course code (hash {found[1]}, here {code})")
            elif found[2]:
                wrong.append(f"{worker}: {found[2]}")
        if wrong:
            sandbox = " and bubblewrap" if settings.sandbox else ""
            raise ClusterUnavailable(f"these Dask workers cannot grade as this machine does (course {self.version}, "
                                     f"code {code}{sandbox}): " + "; ".join(wrong) + ". Install the course as it is "
                                     f"here on every worker (the same release or commit, with its cluster extra)"
                                     f"{sandbox}, then restart them.")
        if not settings.quiet:
            threads = self._client.nthreads()
            print(f"grading on the Dask cluster at {self.address}: {len(threads)} worker(s), "
                  f"{sum(threads.values())} thread(s), course {self.version}", flush=True)

    def submit(self, grade_one, path, settings, seed, root=None):
        """A concurrent.futures.Future of ``grade_one(path, settings, seed, root)``'s result, run on a worker."""
        try:
            data = Path(path).read_bytes()
        except OSError:
            data = None
        sha256 = hashlib.sha256(data).hexdigest() if data is not None else ""
        return self._pool.submit(_grade_copy, grade_one, data, str(_portable(path)),
                                 None if root is None else str(_portable(root)), settings, seed, str(path), sha256,
                                 self.version)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        try:
            self._pool.shutdown(wait=kind is None)  # interrupted: cancel what has not run
        finally:
            self._client.close()
        return False
