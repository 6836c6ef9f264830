"""The progress store: states, tables, damaged files, and concurrent writers."""
import json
import multiprocessing

from course_utils import progress
from course_utils.checking import FAILED, NOT_ATTEMPTED, PASSED, Verdict


def verdict(exercise_id, status, points=1):
    return Verdict(exercise_id, status, points)


def test_states_follow_the_best_verdict(tmp_path):
    path = tmp_path / "p.json"
    progress.record(verdict("01.step_neuron", NOT_ATTEMPTED), path)
    assert progress.exercise_state(progress.load(path)["exercises"]["01.step_neuron"]) == progress.NOT_STARTED
    progress.record(verdict("01.step_neuron", FAILED), path)
    assert progress.exercise_state(progress.load(path)["exercises"]["01.step_neuron"]) == progress.ATTEMPTED
    progress.record(verdict("01.step_neuron", PASSED), path)
    progress.record(verdict("01.step_neuron", FAILED), path)  # a later failure keeps the points
    entry = progress.load(path)["exercises"]["01.step_neuron"]
    assert progress.exercise_state(entry) == progress.DONE and entry["points"] == 1 and entry["attempts"] == 3


def test_lesson_rows_count_points(tmp_path):
    path = tmp_path / "p.json"
    progress.record(verdict("01.step_neuron", PASSED), path)
    progress.record(verdict("01.sigmoid_neuron", FAILED), path)
    row = next(r for r in progress.lesson_rows(progress.load(path)) if r["lesson"] == "01")
    assert row["state"] == progress.ATTEMPTED and row["done"] == 1 and row["points"] == 1
    table = progress.lesson_table("01", progress.load(path))
    assert "01.step_neuron" in table and "done" in table and "attempted" in table


def test_damaged_file_is_set_aside(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("{not json")
    assert progress.load(path)["exercises"] == {}
    assert (tmp_path / "p.damaged.json").exists()


def test_unwritable_store_does_not_raise(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert progress.record(verdict("01.step_neuron", PASSED), blocker / "sub" / "p.json") is False


def _writer(path, prefix, count):
    for index in range(count):
        progress.record(verdict(f"{prefix}.ex_{index}", PASSED), path)


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "p.json"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(path), prefix, 40)) for prefix in ("80", "81")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    stored = json.loads(path.read_text())["exercises"]
    assert len(stored) == 80


def test_environment_variable_overrides_location(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "mine.json"))
    assert progress.progress_path() == tmp_path / "mine.json"
