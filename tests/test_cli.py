"""The `course` command: progress, doctor, train --list, and `course lab` serving notebooks/."""
import json
import subprocess
import sys
import time
import urllib.request

from course_utils import cli, progress
from course_utils.checking import PASSED, Verdict
from local_ports import free_port


def test_progress_table_lists_every_lesson(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "p.json"))
    progress.record(Verdict("01.step_neuron", PASSED, 1))
    assert cli.main(["progress"]) == 0
    out = capsys.readouterr().out
    assert "The perceptron" in out and "attempted" in out and "Welcome and setup" in out


def test_progress_for_one_lesson_and_unknown_lesson(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "p.json"))
    assert cli.main(["progress", "--lesson", "1"]) == 0
    assert "01.two_layer_forward" in capsys.readouterr().out
    assert cli.main(["progress", "--lesson", "77"]) == 1
    assert "there is no lesson '77'" in capsys.readouterr().out


def test_progress_reset(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "p.json"))
    progress.record(Verdict("01.step_neuron", PASSED, 1))
    assert cli.main(["progress", "--reset"]) == 0
    assert not (tmp_path / "p.json").exists()


def test_doctor_reports_every_line_ok_here(capsys):
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "FIX" not in out and "OK   Python 3." in out and "JupyterLab" in out


def test_train_lists_recipes(capsys):
    assert cli.main(["train", "--list"]) == 0


def test_train_unknown_recipe_is_a_sentence(capsys):
    assert cli.main(["train", "no_such_model"]) == 1
    assert "there is no training recipe 'no_such_model'" in capsys.readouterr().out


def test_course_lab_serves_the_notebooks(tmp_path):
    port, token = free_port(), "course-test-token"
    command = [sys.executable, "-m", "course_utils.cli", "lab", "--no-browser", "--port", str(port),
               f"--IdentityProvider.token={token}", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.runtime_dir={tmp_path}"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        listing = None
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token={token}", timeout=2) as reply:
                    listing = json.load(reply)
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, "JupyterLab did not answer within a minute"
        names = {item["name"] for item in listing["content"]}
        assert {"00_welcome.ipynb", "01_perceptron.ipynb"} <= names
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=5) as reply:
            assert reply.status == 200
    finally:
        server.terminate()
        server.wait(20)
