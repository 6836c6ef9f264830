"""How many learners a server holds: a real JupyterHub (deploy/jupyterhub) with simulated learners.

    python benchmarks/hub_capacity.py [--learners 20] [--lessons 01,05] [--out benchmarks/results]

Starts the hub through tests/hub_session.py (dummy logins, local processes, the deployment's own room view),
has every learner start their server at once (a workshop's first minute), then run every check of each
lesson in their own kernel with the reference answers (so each check reports to the room), all learners at
the same time. Meanwhile it samples each learner's processes (server and kernel) and times the host's room
page. Writes hub_capacity.md and hub_capacity.json: seconds to a ready server, seconds for each learner's
checks, peak memory per learner (resident, and unique: what the learner alone costs, since every kernel
shares the libraries' pages), the room's response time, and the delay until the last report is visible.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from course_utils import exercises  # noqa: E402
from course_utils.grading.sandbox import memory_of  # noqa: E402
from hub_session import HubSession, hub_missing  # noqa: E402

MB = 1024 * 1024
CHECK_ALL = """
from course_utils.notebook import start_lesson
for number in {lessons!r}:
    lesson = start_lesson(number)
    for exercise in lesson.exercises():
        lesson.check(exercise.reference, exercise=exercise.name)
"""


class Background:
    """Calls ``tick()`` every ``interval`` seconds in a thread, from ``with`` until its end."""

    interval = 0.5

    def __init__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class Sampler(Background):
    """Peak memory of each learner's process tree (their server and kernels)."""

    def __init__(self, hub, names):
        super().__init__()
        self.hub, self.names = hub, names
        self.peak_rss = dict.fromkeys(names, 0)
        self.peak_unique = dict.fromkeys(names, 0)

    def _tree(self, name):
        pid = self.hub.server_pid(name)
        if not pid:
            return []
        try:
            root = psutil.Process(pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    def tick(self):
        for name in self.names:
            tree = self._tree(name)
            self.peak_rss[name] = max(self.peak_rss[name], memory_of(tree))
            self.peak_unique[name] = max(self.peak_unique[name], memory_of(tree, unique=True))


class RoomTimer(Background):
    """Times the host's room data request, as often as the page makes it (every 2 s)."""

    interval = 2.0

    def __init__(self, hub, lesson):
        super().__init__()
        self.hub, self.lesson, self.seconds = hub, lesson, []
        self.token = hub.token_for("teacher")

    def tick(self):
        started = time.monotonic()
        status, _ = self.hub.room(f"api/room?lesson={self.lesson}", token=self.token)
        if status == 200:
            self.seconds.append(time.monotonic() - started)


def _learner_checks(hub, name, lessons):
    started = time.monotonic()
    kernel = hub.start_kernel(name)
    printed = hub.execute(name, kernel, CHECK_ALL.format(lessons=lessons), timeout=1800)
    seconds = time.monotonic() - started
    hub.stop_kernel(name, kernel)
    return seconds, printed.count(": passed (")


def _wait_for_reports(hub, lessons, names, expected, timeout=120):
    """Seconds from now until the room shows every learner's passed checks (or None after ``timeout``)."""
    token, started = hub.token_for("teacher"), time.monotonic()
    while time.monotonic() - started < timeout:
        passed = 0
        for lesson in lessons:
            _, data = hub.room(f"api/room?lesson={lesson}", token=token)
            passed += sum(row["states"].count("passed") for row in data["learners"] if row["learner"] in names)
        if passed >= expected:
            return time.monotonic() - started
        time.sleep(0.25)
    return None


def _summary(values, scale=1.0):
    values = sorted(v / scale for v in values)
    return {"median": statistics.median(values), "max": values[-1],
            "p95": values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]}


def measure(learners, lessons, folder):
    names = [f"learner{i:02d}" for i in range(1, learners + 1)]
    checks_per_learner = sum(len(exercises.for_lesson(number)) for number in lessons)
    hub = HubSession(folder)
    hub.start()
    try:
        with ThreadPoolExecutor(learners) as pool:
            ready = list(pool.map(hub.spawn, names))
        with (Sampler(hub, names) as sampler, RoomTimer(hub, lessons[0]) as timer,
              ThreadPoolExecutor(learners) as pool):
            results = list(pool.map(lambda name: _learner_checks(hub, name, lessons), names))
            visible_after = _wait_for_reports(hub, lessons, names, sum(r[1] for r in results))
        return {
            "learners": learners, "lessons": lessons, "checks_per_learner": checks_per_learner,
            "all_checks_passed": all(r[1] == checks_per_learner for r in results),
            "server_ready_s": _summary(ready),
            "checks_s": _summary([r[0] for r in results]),
            "all_learners_done_s": max(r[0] for r in results),
            "peak_rss_mb": _summary(sampler.peak_rss.values(), MB),
            "peak_unique_mb": _summary(sampler.peak_unique.values(), MB),
            "room_response_s": _summary(timer.seconds) if timer.seconds else None,
            "room_requests": len(timer.seconds),
            "reports_visible_after_s": visible_after,
        }
    finally:
        hub.stop()


def markdown(result, command):
    r = result
    lines = [
        "# JupyterHub capacity", "",
        f"`{command}` on {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}.", "",
        f"{r['learners']} learners started their servers at once, then each ran all {r['checks_per_learner']} "
        f"checks of lesson(s) {', '.join(r['lessons'])} in their own kernel, all at the same time "
        f"(every check passed: {r['all_checks_passed']}).", "",
        "| measure | median | p95 | max |", "|---|---|---|---|",
    ]
    for label, key, unit in (("server ready", "server_ready_s", "s"), ("a learner's checks", "checks_s", "s"),
                             ("peak memory per learner, resident", "peak_rss_mb", "MB"),
                             ("peak memory per learner, unique", "peak_unique_mb", "MB"),
                             ("room page data request", "room_response_s", "s")):
        s = r[key]
        if s:
            lines.append(f"| {label} | {s['median']:.2f} {unit} | {s['p95']:.2f} {unit} | {s['max']:.2f} {unit} |")
    visible = r["reports_visible_after_s"]
    lines += ["", f"- all learners done {r['all_learners_done_s']:.1f} s after they started their checks",
              f"- every report visible in the room {visible:.2f} s after the last check finished" if visible is not None
              else "- not every report reached the room within 120 s",
              f"- {r['room_requests']} room requests timed while the learners worked"]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--lessons", default="01,05")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    missing = hub_missing()
    if missing:
        sys.exit(f"cannot run a hub here: {missing}")
    lessons = [f"{int(n):02d}" for n in args.lessons.split(",")]
    with tempfile.TemporaryDirectory(prefix="hub-capacity-") as folder:
        result = measure(args.learners, lessons, Path(folder))
    command = f"python benchmarks/hub_capacity.py --learners {args.learners} --lessons {args.lessons}"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hub_capacity.json").write_text(json.dumps(result, indent=1))
    text = markdown(result, command)
    (args.out / "hub_capacity.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
