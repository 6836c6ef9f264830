"""A real JupyterHub, run from deploy/jupyterhub/jupyterhub_config.py, with three learners and the room view.

Starts the hub (PyPI's jupyterhub, npm's configurable-http-proxy) on 127.0.0.1 through tests/hub_session.py,
spawns three learners' servers, runs lesson 01's checks in their kernels through the hub's proxy, and checks
what the host sees in the room view, what learners may not see, and that forged reports are refused. A
headless Chromium logs in as the instructor and takes a screenshot of the room. Skipped where jupyterhub or
configurable-http-proxy is missing, except in CI, which installs both.
"""
import json
import os
import time

import pytest

from course_utils import exercises
from hub_session import PASSWORD, HubSession, hub_missing
from browser_support import browser_ready, chromium_page, screenshot_path  # noqa: F401 - a fixture

pytestmark = pytest.mark.xdist_group("hub")  # one hub per run: all of this module goes to one worker

SETUP = """
from course_utils.doctor import notebooks_line
print("course folder found:", notebooks_line()[0])
from course_utils.notebook import start_lesson
from course_utils.lessons.lesson01_perceptron import reference as ref
lesson = start_lesson("01")
def wrong(x, w, b):
    return 0.5
"""
# Three learners at different points of lesson 01.
LEARNER_CODE = {
    "ada": "lesson.check(ref.step_neuron); lesson.check(ref.sigmoid_neuron); "
           "lesson.check(ref.logic_gate_weights)",
    "grace": "lesson.check(ref.step_neuron); lesson.check(wrong, exercise='sigmoid_neuron')",
    "alan": "lesson.check(wrong, exercise='step_neuron'); lesson.check(wrong, exercise='sigmoid_neuron')",
}
CHECKED = {"ada": ["01.step_neuron", "01.sigmoid_neuron", "01.logic_gate_weights"],
           "grace": ["01.step_neuron", "01.sigmoid_neuron"], "alan": ["01.step_neuron", "01.sigmoid_neuron"]}
EXPECTED = {  # exercise -> learner -> state, for the exercises anyone touched
    "01.sigmoid_neuron": {"ada": "passed", "alan": "attempted", "grace": "attempted"},
    "01.step_neuron": {"ada": "passed", "alan": "attempted", "grace": "passed"},
    "01.logic_gate_weights": {"ada": "passed", "alan": "not started", "grace": "not started"},
}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    missing = hub_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the JupyterHub test, but {missing}")
        pytest.skip(missing)
    session = HubSession(tmp_path_factory.mktemp("hub"))
    try:
        session.start()
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="module")
def room(hub):
    """The three learners' checks, run in their own kernels; returns the room's data once all reports are in."""
    for name, code in LEARNER_CODE.items():
        hub.spawn(name)
        kernel = hub.start_kernel(name)
        printed = hub.execute(name, kernel, SETUP + code)
        assert printed.count("01.") == code.count("lesson.check"), printed
        assert "course folder found: True" in printed
    deadline = time.monotonic() + 60
    while True:
        status, data = hub.room("api/room?lesson=01", token=hub.token_for("teacher"))
        assert status == 200, data
        if len(data["learners"]) == 3 and _states(data) == EXPECTED or time.monotonic() > deadline:
            return data
        time.sleep(0.5)


def _states(data):
    wanted = {}
    for position, column in enumerate(data["exercises"]):
        if column["id"] in EXPECTED:
            wanted[column["id"]] = {row["learner"]: row["states"][position] for row in data["learners"]}
    return wanted


def test_each_learner_has_their_own_notebooks_progress_and_kernel(hub, room):
    for name in LEARNER_CODE:
        home = hub.folder / "home" / name
        assert (home / "perceptrons-to-circuits" / "00_welcome.ipynb").exists()
        progress = json.loads((home / ".local/share/perceptrons-to-circuits/progress.json").read_text())
        checked = {exercise_id for exercise_id in progress["exercises"]}
        assert checked == set(CHECKED[name])
    _, model = hub.api("GET", "/users/ada")
    assert model["servers"][""]["url"] == "/user/ada/"


def test_the_host_sees_every_learner_and_the_most_stuck_exercise_first(room):
    assert [row["learner"] for row in room["learners"]] == ["ada", "alan", "grace"]
    assert _states(room) == EXPECTED
    assert [column["id"] for column in room["exercises"][:2]] == ["01.sigmoid_neuron", "01.step_neuron"]
    assert [column["stuck"] for column in room["exercises"][:3]] == [2, 1, 0]


def test_admins_and_instructors_may_open_the_room_and_learners_may_not(hub, room):
    for who in ("teacher", "host"):
        assert hub.room("", token=hub.token_for(who))[0] == 200
    for path in ("", "api/room?lesson=01", "room.csv"):
        assert hub.room(path, token=hub.token_for("ada"))[0] == 403, path
        assert hub.room(path)[0] in (302, 401, 403), path  # no token: sent to log in, never the data


def test_the_csv_export_has_every_exercise_for_every_learner(hub, room):
    status, text = hub.room("room.csv", token=hub.token_for("teacher"))
    assert status == 200
    lines = text.splitlines()
    assert lines[0] == "learner,exercise,title,state,attempts,updated"
    assert len(lines) - 1 == 3 * len(set(line.split(",")[1] for line in lines[1:]))
    assert any(line.startswith("alan,01.sigmoid_neuron,") and ",attempted,1," in line for line in lines)


@pytest.mark.parametrize("who, body, status", [
    (None, {"exercise": "01.step_neuron", "status": "passed"}, 401),              # no token
    ("forged", {"exercise": "01.step_neuron", "status": "passed"}, 403),          # a token the hub never made
    ("alan", {"exercise": "01.step_neuron", "status": "passed", "learner": "ada"}, 403),  # for someone else
    ("alan", {"exercise": "01.no_such_exercise", "status": "passed"}, 400),
    ("alan", {"exercise": "01.step_neuron", "status": "full marks"}, 400),
    ("alan", ["01.step_neuron", "passed"], 400),
    ("alan", b"{not json", 400),
    ("alan", json.dumps({"exercise": "01.step_neuron", "status": "passed", "pad": "x" * 5000}).encode(), 413),
])
def test_bad_or_forged_reports_are_refused_and_change_nothing(hub, room, who, body, status):
    token = {"forged": "0" * 32, None: None}.get(who, hub.token_for(who) if who else None)
    answer = hub.report(body, token=token)
    assert answer[0] == status, answer
    assert _states(hub.room("api/room?lesson=01", token=hub.token_for("teacher"))[1]) == EXPECTED


def test_the_room_view_in_a_real_browser(hub, room, browser_ready, tmp_path):  # noqa: F811 - the fixture
    screenshot = screenshot_path(tmp_path, "browser-room-view.png")
    with chromium_page(tmp_path, 1200, 500, screenshot) as page:
        page.goto(f"{hub.url}/hub/login", timeout=60_000)
        page.fill("#username_input", "teacher")
        page.fill("#password_input", PASSWORD)
        page.click("#login_submit")
        page.wait_for_url("**/hub/**", timeout=60_000)
        page.goto(f"{hub.url}/services/course-room/?lesson=01", timeout=60_000)
        page.wait_for_function("document.querySelectorAll('#room tbody tr').length === 3", timeout=60_000)
        headers = page.locator("#room thead th").all_inner_texts()
        learners = page.locator("#room tbody td.learner").all_inner_texts()
        cells = page.eval_on_selector_all(
            "#room tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.className))")
    assert headers[0] == "learner" and headers[1].startswith("01.sigmoid_neuron") and "2 stuck" in headers[1]
    total = len(exercises.for_lesson("01"))
    assert learners == [f"ada · 3/{total}", f"alan · 0/{total}", f"grace · 1/{total}"]
    assert cells[0][:3] == ["learner", "passed", "passed"]          # ada
    assert cells[1][:3] == ["learner", "attempted", "attempted"]    # alan
    assert cells[2][:3] == ["learner", "attempted", "passed"]       # grace
    assert screenshot.stat().st_size > 10_000
