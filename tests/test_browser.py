"""A real browser: JupyterLab + headless Chromium run lesson 01 and use its widget.

Starts `course lab` on a free local port, opens lesson 01's student notebook in
headless Chromium through Playwright, runs all cells, and checks that a check
verdict ("not attempted yet") and the Explorer widget render, and that moving
a slider redraws the widget's image. A screenshot is saved to $COURSE_ARTIFACTS
(or a temporary folder) and its path printed.

Needs Debian's chromium (/usr/bin/chromium) and the playwright package; without
them the test is skipped, except in CI (CI set), where their absence fails.
JupyterLab serves the repository's notebooks/ (as `course lab` does) with
autosave switched off in a throwaway settings folder; the test asserts that the
notebook file is unchanged afterwards and removes any checkpoint folder it made.
"""
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from browser_support import browser_ready, chromium_page, screenshot_path  # noqa: F401 - a fixture
from course_utils.paths import notebooks_dir
from local_ports import free_port

NOTEBOOK = "01_perceptron.ipynb"


def _settings(folder):
    """JupyterLab user settings for the test: no autosave, every cell in the page (no windowing)."""
    for plugin, values in {"@jupyterlab/docmanager-extension/plugin": {"autosave": False},
                           "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
                           "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                                            "checkForUpdates": False}}.items():
        package, name = plugin.rsplit("/", 1)
        path = folder / package / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@pytest.fixture(scope="module")
def lab(browser_ready, tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    notebook = notebooks_dir() / NOTEBOOK
    original = notebook.read_bytes()
    checkpoints = notebooks_dir() / ".ipynb_checkpoints"
    had_checkpoints = checkpoints.exists()
    _settings(root / "settings")
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(root / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"), JUPYTER_RUNTIME_DIR=str(root / "runtime"))
    port, token = free_port(), secrets.token_hex(16)
    log = open(root / "lab.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "course_utils.cli", "lab", "--no-browser", "--port", str(port),
                               f"--IdentityProvider.token={token}", "--ServerApp.ip=127.0.0.1",
                               "--LabApp.news_url=None"],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("JupyterLab did not start:\n" + (root / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
    yield {"url": url, "token": token, "root": root}
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()
    if not had_checkpoints:
        shutil.rmtree(checkpoints, ignore_errors=True)
    assert notebook.read_bytes() == original, "JupyterLab changed notebooks/" + NOTEBOOK

def test_lesson_01_runs_in_a_real_browser(lab, tmp_path):
    screenshot = screenshot_path(tmp_path, "browser-01_perceptron.png")
    with chromium_page(tmp_path, 1400, 1000, screenshot) as page:
        page.goto(f"{lab['url']}/lab/tree/{NOTEBOOK}?token={lab['token']}", timeout=120_000)
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
        try:  # JupyterLab may ask which kernel to start
            page.click(".jp-Dialog .jp-mod-accept:has-text('Select')", timeout=15_000)
        except Exception:  # no dialog: the kernel starts by itself
            pass
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'], "
                               ".jp-Toolbar-kernelStatus:has-text('Idle'), "
                               "#jp-main-statusbar :text('Idle')", timeout=120_000)
        page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")

        # Every code cell gets an execution count when Run All has finished.
        page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
                return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            }""", timeout=240_000, polling=1000)
        outputs = page.inner_text(".jp-NotebookPanel .jp-Notebook")
        assert "not attempted yet" in outputs
        assert "Traceback" not in outputs

        explorer = page.locator(".jp-OutputArea-output .widget-image").first
        explorer.wait_for(timeout=60_000)
        explorer.scroll_into_view_if_needed()
        widget = page.locator(".jp-OutputArea-output:has(.widget-image)").first
        assert widget.locator(".widget-dropdown select").count() >= 1
        sliders = widget.locator(".widget-slider")
        assert sliders.count() >= 3
        page.wait_for_function("e => e.getAttribute('src')", arg=explorer.element_handle(), timeout=60_000)
        before = explorer.get_attribute("src")

        handle = sliders.first.locator(".noUi-handle").first
        handle.focus()
        for _ in range(3):
            handle.press("ArrowRight")
        try:
            page.wait_for_function("([e, old]) => e.getAttribute('src') !== old",
                                   arg=[explorer.element_handle(), before], timeout=30_000)
        except Exception:  # fall back to dragging the handle with the mouse
            box = handle.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.down()
            page.mouse.move(box["x"] + 80, box["y"] + box["height"] / 2, steps=8)
            page.mouse.up()
            page.wait_for_function("([e, old]) => e.getAttribute('src') !== old",
                                   arg=[explorer.element_handle(), before], timeout=30_000)
        assert explorer.get_attribute("src") != before
def test_class_report_renders_in_a_real_browser(browser_ready, tmp_path):
    """`course report`'s page, opened from disk: its figures render and it asks for nothing outside itself."""
    from course_utils.grading.report import write_report
    from test_report import write_small_gradebook

    report = tmp_path / "report.html"
    write_report(write_small_gradebook(tmp_path), report)
    screenshot = screenshot_path(tmp_path, "browser-class-report.png")
    with chromium_page(tmp_path, 1000, 800, screenshot) as page:
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(report.as_uri(), wait_until="load")
        assert page.title() == "Class report: grades.csv"
        assert page.locator("h1").bounding_box()["height"] > 0
        images = page.locator("img")
        assert images.count() == 2  # time per submission, lesson 01's scores
        for index in range(images.count()):
            natural = images.nth(index).evaluate("e => [e.complete, e.naturalWidth, e.naturalHeight]")
            box = images.nth(index).bounding_box()
            assert natural[0] and natural[1] > 0 and natural[2] > 0 and box["width"] > 0 and box["height"] > 0
        assert [url for url in requests if not url.startswith(("file:", "data:"))] == []
