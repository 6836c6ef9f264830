"""`course grade --scheduler`: a local Dask cluster of 2 worker processes grades a class exactly as a local run does,
loses no row when a worker is killed mid-batch, and refuses a cluster it cannot use with one sentence."""
import os
import signal
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from distributed import Client, LocalCluster

from course_utils import cli
from course_utils.exercise_cells import exercise_id
from course_utils.grading import batch, gradebook, provenance
from course_utils.grading import distributed as on_dask
from course_utils.paths import notebooks_dir, solutions_dir

SEED = 7
WRONG_AVERAGE = "# Exercise: 00.average\ndef average(values):\n    return sum(values) // len(values)\n"
KINDS = {"correct": ("00.average", "00.dot", "00.normalize"), "empty": (), "partial": ("00.dot",),
         "mistake": ("00.dot", "00.normalize")}


def _notebook(kind):
    """Lesson 00's student notebook with ``kind``'s exercises solved (the slow environment check left out)."""
    nb = nbformat.read(notebooks_dir() / "00_welcome.ipynb", as_version=4)
    solution = {exercise_id(c.source): c.source for c in
                nbformat.read(solutions_dir() / "00_welcome.ipynb", as_version=4).cells if c.cell_type == "code"}
    nb.cells = [c for c in nb.cells if "doctor" not in c.source]
    for cell in nb.cells:
        eid = exercise_id(cell.source) if cell.cell_type == "code" else None
        if eid in KINDS[kind]:
            cell.source = solution[eid]
        elif eid == "00.average" and kind == "mistake":
            cell.source = WRONG_AVERAGE
    return nbformat.writes(nb) + "\n"


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """20 submissions as <student>/00_welcome.ipynb (identity from the folders) and one that is no notebook."""
    folder = tmp_path_factory.mktemp("distributed") / "submitted"
    texts = {kind: _notebook(kind) for kind in KINDS}
    for index in range(20):
        kind = list(KINDS)[index % len(KINDS)]
        path = folder / f"student{index:02d}-{kind}" / "00_welcome.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(texts[kind])
    (folder / "broken" / "00_welcome.ipynb").parent.mkdir()
    (folder / "broken" / "00_welcome.ipynb").write_text("{ not json")
    return folder


@pytest.fixture(scope="module")
def local_rows(klass):
    out = klass.parent / "local.csv"
    batch.grade([klass], batch.Settings(out=out, jobs=2, seed=SEED, quiet=True))
    return _by_submission(out)


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as running, \
            Client(running, set_as_default=False) as client:
        yield running, client


def _by_submission(out):
    return {row["submission"]: {k: v for k, v in row.items() if k != "seconds"} for row in gradebook.read(out)}


def _settings(out, cluster):
    return batch.Settings(out=out, seed=SEED, quiet=True, scheduler=cluster[0].scheduler_address)


def test_a_cluster_grades_a_class_exactly_as_a_local_run(klass, local_rows, cluster, tmp_path):
    assert len(local_rows) == 21 and {r["status"] for r in local_rows.values()} == {"graded", "invalid notebook"}
    assert {r["total"] for r in local_rows.values()} == {"0", "1", "2", "3"}
    assert {r["student"] for r in local_rows.values()} == {p.name for p in klass.iterdir()}  # from the folders
    out = tmp_path / "cluster.csv"
    batch.grade([klass], _settings(out, cluster))
    assert _by_submission(out) == local_rows
    assert gradebook.read_details(out) == gradebook.read_details(klass.parent / "local.csv")
    assert batch.grade([klass], _settings(out, cluster)) == []  # resumed: nothing left to grade


def _kill_a_busy_worker(client, killed):
    """SIGKILL the process of the first worker seen grading, a second into its submission."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        busy = [worker for worker, keys in client.processing().items() if keys]
        if busy:
            break
        time.sleep(0.1)
    else:
        return
    time.sleep(1)
    pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
    os.kill(pid, signal.SIGKILL)
    killed.append(pid)


def test_a_worker_killed_mid_batch_costs_a_retry_not_a_row(klass, local_rows, cluster, tmp_path):
    folders = sorted(p for p in klass.iterdir() if p.name.startswith("student"))[:6]
    killed = []
    killer = threading.Thread(target=_kill_a_busy_worker, args=(cluster[1], killed), daemon=True)
    killer.start()
    out = tmp_path / "killed.csv"
    rows = batch.grade(folders, _settings(out, cluster))
    killer.join(timeout=1)
    assert killed, "no worker was killed while the batch ran"
    assert len(rows) == 6 and {row["status"] for row in rows} == {"graded"}
    assert _by_submission(out) == {path: row for path, row in local_rows.items()
                                   if Path(path).parent in folders}


def failing_grader(path, settings, seed, root):
    """Stands for a worker that cannot grade: counts its tries beside the gradebook, then raises."""
    with open(Path(settings.out).with_suffix(".tries"), "a") as tries:
        tries.write("try\n")
    raise OSError("no space left on the worker")


def test_a_submission_that_keeps_failing_becomes_a_grader_error_row_after_its_retries(
        klass, cluster, tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "grade_one", failing_grader)  # runs on the workers: they import this module
    out = tmp_path / "failing.csv"
    [row] = batch.grade([klass / "student00-correct"], _settings(out, cluster))
    assert row["status"] == "grader error" and "no space left on the worker" in row["notes"]
    assert row["submission"] == str(klass / "student00-correct" / "00_welcome.ipynb")
    assert out.with_suffix(".tries").read_text().count("try") == 1 + on_dask.RETRIES


def test_workers_of_another_course_version_are_refused(klass, cluster, tmp_path, monkeypatch):
    monkeypatch.setattr(provenance, "course_version", lambda: "0.0.0-elsewhere")
    with pytest.raises(on_dask.ClusterUnavailable, match=r"course 0\.0\.0-elsewhere.*has course "):
        batch.grade([klass], _settings(tmp_path / "g.csv", cluster))
    assert not (tmp_path / "g.csv").exists()


def test_an_unreachable_scheduler_is_one_sentence(klass, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(on_dask, "CONNECT_SECONDS", 1)
    code = cli.main(["grade", str(klass), "--out", str(tmp_path / "g.csv"), "--scheduler", "tcp://127.0.0.1:9"])
    said = capsys.readouterr()
    assert code == 2 and "nothing graded: cannot reach the Dask scheduler at tcp://127.0.0.1:9" in said.out
    assert "Traceback" not in said.out + said.err


def test_without_the_extra_scheduler_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if Dask were not installed
    settings = batch.Settings(out=tmp_path / "g.csv", scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(on_dask.ClusterUnavailable, match="not installed here: install the course's cluster extra"):
        on_dask.ClusterExecutor(settings)
