"""``course room``: the room view, a JupyterHub-managed service (registered in deploy/jupyterhub/jupyterhub_config.py).

Two doors, two kinds of authentication:

* ``POST api/report`` takes one verdict from a learner's kernel. The learner is whoever owns the hub token in the
  ``Authorization`` header (the kernel's own ``$JUPYTERHUB_API_TOKEN``); the body can only say which exercise and
  what happened, so no one can report for someone else.
* The page (``/``), its data (``api/room``) and the CSV (``room.csv``) are for the host: the hub's OAuth lets in
  only users with the ``access:services!service=<this service>`` scope (admins, and the instructors the hub config
  names), so learners never see each other.
"""
import functools
import json
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from .. import exercises, lessons
from .store import REPORTED_STATUSES, RoomStore

MAX_REPORT_BYTES = 4096
PAGE = Path(__file__).with_name("page.html")


@dataclass(frozen=True)
class Catalogue:
    titles: dict      # lesson number -> the lesson's title, in course order
    exercises: dict   # lesson number -> [(exercise id, exercise title)], in notebook order
    ids: frozenset    # every exercise id


@functools.cache
def _load_catalogue():
    infos = lessons.all_lessons()
    by_lesson = {info.number: [(e.id, e.title) for e in exercises.for_lesson(info.number)] for info in infos}
    return Catalogue({info.number: info.title for info in infos}, by_lesson,
                     frozenset(exercise_id for pairs in by_lesson.values() for exercise_id, _ in pairs))


_CATALOGUE_LOCK = threading.Lock()


def catalogue():
    """Every lesson and exercise: importing every lesson takes seconds, so it is done once, by one thread."""
    with _CATALOGUE_LOCK:
        return _load_catalogue()


def _tornado_app(store, prefix):
    """Built inside a function so that importing this module needs no jupyterhub (``course room`` says so)."""
    from jupyterhub.services.auth import HubAuth, HubOAuthCallbackHandler, HubOAuthenticated
    from jupyterhub.utils import url_path_join
    from tornado import web
    from tornado.ioloop import IOLoop

    report_auth = HubAuth()

    class CatalogueHandler(web.RequestHandler):
        async def prepare(self):
            # Off the event loop: while the lessons load (seconds, once), other requests are still answered.
            self.catalogue = await IOLoop.current().run_in_executor(None, catalogue)

    class ReportHandler(CatalogueHandler):
        def _refuse(self, code, reason):
            self.set_status(code)
            self.finish({"error": reason})

        async def post(self):
            header = self.request.headers.get("Authorization", "")
            match = report_auth.auth_header_pat.match(header)
            if not match:
                return self._refuse(401, "send the learner's hub token: 'Authorization: token ...'")
            model = await report_auth.user_for_token(match.group(1), sync=False)
            if not model or model.get("kind", "user") != "user":
                return self._refuse(403, "that token belongs to no learner of this hub")
            if len(self.request.body) > MAX_REPORT_BYTES:
                return self._refuse(413, f"a report is at most {MAX_REPORT_BYTES} bytes")
            try:
                report = json.loads(self.request.body)
            except (json.JSONDecodeError, UnicodeDecodeError):
                return self._refuse(400, "a report is a JSON object")
            if not isinstance(report, dict):
                return self._refuse(400, "a report is a JSON object")
            if report.get("learner", model["name"]) != model["name"]:
                return self._refuse(403, "a learner can report only their own verdicts")
            if report.get("exercise") not in self.catalogue.ids:
                return self._refuse(400, "unknown exercise id")
            if report.get("status") not in REPORTED_STATUSES:
                return self._refuse(400, f"status must be one of {', '.join(REPORTED_STATUSES)}")
            store.record(model["name"], report["exercise"], report["status"])
            self.finish({"recorded": True})

    class HostHandler(HubOAuthenticated, CatalogueHandler):
        def lesson(self):
            number = self.get_argument("lesson", next(iter(self.catalogue.titles)))
            if number not in self.catalogue.titles:
                raise web.HTTPError(400, f"there is no lesson {number}")
            return number

    class PageHandler(HostHandler):
        @web.authenticated
        def get(self):
            options = "".join(f'<option value="{number}">{number} {title}</option>'
                              for number, title in self.catalogue.titles.items())
            # The page's fetches are cookie-authenticated, so the hub's XSRF check wants this token with each.
            xsrf = self.xsrf_token.decode() if isinstance(self.xsrf_token, bytes) else self.xsrf_token
            self.finish(PAGE.read_text().replace("{{LESSON_OPTIONS}}", options).replace("{{XSRF_TOKEN}}", xsrf))

    class RoomDataHandler(HostHandler):
        @web.authenticated
        def get(self):
            self.set_header("Cache-Control", "no-store")
            self.finish(store.view(self.catalogue.exercises[self.lesson()]))

    class CsvHandler(HostHandler):
        @web.authenticated
        def get(self):
            everything = [pair for pairs in self.catalogue.exercises.values() for pair in pairs]
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition", 'attachment; filename="room.csv"')
            self.finish(store.csv_text(everything))

    return web.Application([
        (prefix, PageHandler),
        (url_path_join(prefix, "api/room"), RoomDataHandler),
        (url_path_join(prefix, "api/report"), ReportHandler),
        (url_path_join(prefix, "room.csv"), CsvHandler),
        (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
    ], cookie_secret=os.urandom(32))


def serve(state, ip=None):
    """Run the service until the hub stops it; ``state`` is the room's JSON file, ``ip`` overrides the address."""
    if "JUPYTERHUB_SERVICE_URL" not in os.environ:
        sys.exit("course room runs as a JupyterHub service: register it in jupyterhub_config.py "
                 "(see deploy/jupyterhub/jupyterhub_config.py and docs/workshops/hosting.md).")
    try:
        import jupyterhub  # noqa: F401 - the service authenticates through the hub's own client code
    except ImportError:
        sys.exit("course room needs JupyterHub's Python package: pip install 'perceptrons-to-circuits[hub]'.")
    from tornado.ioloop import IOLoop, PeriodicCallback

    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/course-room/")
    store = RoomStore(state)
    app = _tornado_app(store, prefix)
    app.listen(url.port, address=ip or url.hostname, max_body_size=64 * 1024)
    # Answer the hub at once; the lessons' checkers load in the background (the first report waits for them).
    threading.Thread(target=catalogue, daemon=True).start()
    PeriodicCallback(store.flush, 1000).start()
    loop = IOLoop.current()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):  # how the hub stops its services
        signal.signal(stop_signal, lambda *_: loop.add_callback_from_signal(loop.stop))
    print(f"course room: serving {prefix} on {ip or url.hostname}:{url.port}", flush=True)
    loop.start()
    store.flush()

