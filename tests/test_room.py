"""The room view without a hub: its store, and a learner's check when there is no room or it cannot be reached."""
import json
import time

import pytest

from course_utils.checking.verdict import FAILED, NOT_ATTEMPTED, PASSED
from course_utils.lessons.lesson01_perceptron import reference as ref
from course_utils.notebook import start_lesson
from course_utils.room import client
from course_utils.room.store import ATTEMPTED_STATE, NOT_STARTED_STATE, PASSED_STATE, RoomStore
from local_ports import free_port

EXERCISES = [("01.a", "first"), ("01.b", "second"), ("01.c", "third")]


def test_a_passed_exercise_stays_passed_and_attempts_count():
    store = RoomStore()
    store.record("ada", "01.a", FAILED)
    assert store.state("ada", "01.a") == ATTEMPTED_STATE
    store.record("ada", "01.a", PASSED)
    store.record("ada", "01.a", FAILED)
    assert store.state("ada", "01.a") == PASSED_STATE
    assert store.learners["ada"]["01.a"]["attempts"] == 3
    store.record("ada", "01.b", NOT_ATTEMPTED)  # running a stub is not an attempt
    assert store.state("ada", "01.b") == NOT_STARTED_STATE


def test_the_most_stuck_exercise_comes_first_and_ties_keep_the_lesson_order():
    store = RoomStore()
    for learner in ("ada", "grace"):
        store.record(learner, "01.c", FAILED)
    store.record("ada", "01.b", FAILED)
    store.record("grace", "01.b", PASSED)
    view = store.view(EXERCISES)
    assert [column["id"] for column in view["exercises"]] == ["01.c", "01.b", "01.a"]
    assert [column["stuck"] for column in view["exercises"]] == [2, 1, 0]
    assert view["learners"] == [
        {"learner": "ada", "states": [ATTEMPTED_STATE, ATTEMPTED_STATE, NOT_STARTED_STATE], "passed": 0},
        {"learner": "grace", "states": [ATTEMPTED_STATE, PASSED_STATE, NOT_STARTED_STATE], "passed": 1}]


def test_the_csv_lists_every_exercise_for_every_learner():
    store = RoomStore()
    store.record("ada", "01.b", PASSED, now=0)
    lines = store.csv_text(EXERCISES).splitlines()
    assert lines[0] == "learner,exercise,title,state,attempts,updated"
    assert lines[1:] == ["ada,01.a,first,not started,0,", "ada,01.b,second,passed,1,1970-01-01T00:00:00Z",
                         "ada,01.c,third,not started,0,"]


def test_the_room_survives_a_restart_and_a_damaged_file_is_kept_aside(tmp_path):
    path = tmp_path / "room.json"
    store = RoomStore(path)
    store.record("ada", "01.a", PASSED)
    assert not path.exists()  # written by flush(), at most once a second
    store.flush()
    assert RoomStore(path).state("ada", "01.a") == PASSED_STATE
    path.write_text("{ not json")
    assert RoomStore(path).learners == {}
    assert (tmp_path / "room.damaged.json").read_text() == "{ not json"


def _check_output(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "progress.json"))
    lesson = start_lesson("01")
    started = time.monotonic()
    lesson.check(ref.step_neuron)
    return capsys.readouterr().out, time.monotonic() - started


def test_outside_a_hub_nothing_is_sent_and_the_check_is_unchanged(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_ROOM_URL", raising=False)
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    sent = []
    monkeypatch.setattr(client, "_send", lambda *args: sent.append(args))
    out, _ = _check_output(capsys, tmp_path, monkeypatch)
    assert out == "01.step_neuron: passed (1/1 point).\n"
    assert sent == [] and client.report(object()) is None
    recorded = json.loads((tmp_path / "progress.json").read_text())["exercises"]["01.step_neuron"]
    assert recorded["best"] == PASSED


def test_a_room_that_cannot_be_reached_never_delays_or_breaks_a_check(capsys, tmp_path, monkeypatch):
    port = free_port()  # nobody listens on it
    monkeypatch.setenv("COURSE_ROOM_URL", f"http://127.0.0.1:{port}/services/course-room/")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "a-token")
    threads = []
    real_report = client.report
    monkeypatch.setattr(client, "report", lambda verdict: threads.append(real_report(verdict)))
    out, seconds = _check_output(capsys, tmp_path, monkeypatch)
    assert out == "01.step_neuron: passed (1/1 point).\n"
    assert seconds < 2.0, "the report must go in the background"
    threads[0].join(client.TIMEOUT_SECONDS + 2)
    assert not threads[0].is_alive()
    assert json.loads((tmp_path / "progress.json").read_text())["exercises"]["01.step_neuron"]["best"] == PASSED


@pytest.mark.parametrize("url, token", [(None, "t"), ("http://127.0.0.1:1/", None), ("", "")])
def test_the_client_needs_both_the_room_and_a_hub_token(monkeypatch, url, token):
    for name, value in (("COURSE_ROOM_URL", url), ("JUPYTERHUB_API_TOKEN", token)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert client.room_url() == (None, None)
