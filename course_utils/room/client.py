"""What a learner's ``lesson.check`` calls to tell the room view about a verdict.

The hub config sets ``COURSE_ROOM_URL`` in every learner's server; JupyterHub gives each server its own
``JUPYTERHUB_API_TOKEN``. Without both (a laptop, Binder) nothing is sent. The report goes from a background
thread with a short timeout and every failure is swallowed: the verdict is already in the learner's own
progress file, and a lesson never waits for, or breaks on, the room.
"""
import json
import os
import threading
import urllib.request

TIMEOUT_SECONDS = 10  # generous: the learner never waits for it, and a busy room still records it


def room_url():
    url, token = os.environ.get("COURSE_ROOM_URL"), os.environ.get("JUPYTERHUB_API_TOKEN")
    return (url.rstrip("/") + "/api/report", token) if url and token else (None, None)


def _send(url, token, verdict):
    body = json.dumps({"exercise": verdict.exercise_id, "status": verdict.status}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"token {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
    except Exception:  # noqa: BLE001 - the room is a convenience; the lesson goes on whatever happens
        pass


def report(verdict):
    """Send ``verdict`` to the room in the background; returns the thread (None outside a hub)."""
    url, token = room_url()
    if url is None:
        return None
    thread = threading.Thread(target=_send, args=(url, token, verdict), daemon=True, name="course-room-report")
    thread.start()
    return thread
