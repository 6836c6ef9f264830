"""The room's state: for every learner and exercise, passed / attempted / not started, kept in one JSON file.

Only the service writes it, from one thread (tornado's), so a plain atomic replace is enough. It flushes at
most once a second (a room of 20 learners sends hundreds of reports a minute, and each write is an fsync)
and when it stops, so a restart finds the room as it was, less at most the last second, which the learners'
own progress files still hold.
"""
import csv
import io
import json
import time
from pathlib import Path

from ..atomic import write_text_atomically
from ..checking.verdict import ERROR, FAILED, NOT_ATTEMPTED, PASSED

PASSED_STATE, ATTEMPTED_STATE, NOT_STARTED_STATE = "passed", "attempted", "not started"
REPORTED_STATUSES = (PASSED, FAILED, ERROR, NOT_ATTEMPTED)


class RoomStore:
    def __init__(self, path=None):
        self.path = Path(path) if path else None
        self.learners = {}  # learner -> exercise id -> {"state", "attempts", "updated"}
        self.unsaved = False
        if self.path and self.path.exists():
            try:
                self.learners = json.loads(self.path.read_text()).get("learners", {})
            except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
                self.path.replace(self.path.with_suffix(".damaged.json"))  # keep it for inspection

    def record(self, learner, exercise_id, status, now=None):
        """Add one verdict; a passed exercise stays passed, whatever comes after."""
        entry = self.learners.setdefault(learner, {}).setdefault(
            exercise_id, {"state": NOT_STARTED_STATE, "attempts": 0, "updated": None})
        if status != NOT_ATTEMPTED:
            entry["attempts"] += 1
            if entry["state"] != PASSED_STATE:
                entry["state"] = PASSED_STATE if status == PASSED else ATTEMPTED_STATE
        entry["updated"] = now if now is not None else time.time()
        self.unsaved = True

    def flush(self):
        """Write the room to its file if anything changed since the last write."""
        if self.path and self.unsaved:
            write_text_atomically(self.path, json.dumps({"learners": self.learners}, sort_keys=True))
        self.unsaved = False

    def state(self, learner, exercise_id):
        return self.learners.get(learner, {}).get(exercise_id, {}).get("state", NOT_STARTED_STATE)

    def view(self, exercises):
        """The page's data for these exercises (ids and titles): stuck exercises first, learners by name.

        An exercise is "stuck" for a learner who attempted it and has not passed it yet.
        """
        learners = sorted(self.learners)
        columns = []
        for position, (exercise_id, title) in enumerate(exercises):
            states = [self.state(learner, exercise_id) for learner in learners]
            columns.append({"id": exercise_id, "title": title, "position": position,
                            "stuck": states.count(ATTEMPTED_STATE), "passed": states.count(PASSED_STATE)})
        columns.sort(key=lambda column: (-column["stuck"], column["position"]))
        rows = []
        for learner in learners:
            states = [self.state(learner, column["id"]) for column in columns]
            rows.append({"learner": learner, "states": states, "passed": states.count(PASSED_STATE)})
        return {"exercises": columns, "learners": rows}

    def csv_text(self, exercises):
        """One row per learner and exercise, every exercise listed (not started included)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["learner", "exercise", "title", "state", "attempts", "updated"])
        for learner in sorted(self.learners):
            for exercise_id, title in exercises:
                entry = self.learners[learner].get(exercise_id, {})
                updated = entry.get("updated")
                writer.writerow([learner, exercise_id, title, entry.get("state", NOT_STARTED_STATE),
                                 entry.get("attempts", 0),
                                 time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(updated)) if updated is not None else ""])
        return out.getvalue()
