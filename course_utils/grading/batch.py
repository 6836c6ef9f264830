"""Grade a batch of submitted notebooks: run each, grade each in a clean process, write the gradebook.

For every submission, in parallel (``jobs`` at once):

1. read it (``invalid notebook`` if it is not one), find its lesson (``wrong lesson``) and student id;
2. run it top to bottom in a fresh kernel in a temporary copy of its folder, under a watchdog
   (per-cell and per-notebook time limits, a memory limit on the kernel's process tree);
3. grade the functions it defines in a separate clean process (``grader.py``): public checker plus
   hidden cases, with tamper detection; a grader that hangs, dies or runs out of memory on one
   exercise costs that exercise only, and grading resumes with the next one;
4. add its row to the gradebook (rewritten atomically) and, if asked, write its feedback file.

Scoring: an exercise earns its points when its public checker and its hidden cases pass in the
clean grader and nothing was tampered with. The functions a notebook defines are graded whatever
happened when the notebook itself ran (a timeout or a dead kernel shows in ``status``, it does not
cost points); an invalid notebook or a notebook of another lesson scores 0.
"""
import hashlib
import hmac
import json
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from . import gradebook, provenance, warm
from .distributed import ClusterExecutor
from .extract import InvalidNotebook, detect_lesson, grading_source, read_notebook
from .feedback import feedback_html, feedback_markdown
from .identity import identify
from .isolation import environment, for_batch, require, wrap
from .sandbox import DIED, FINISHED, MEMORY, TIMEOUT, run_watched

GRADED, TAMPERED = "graded", "tampered"
RUN_TIMEOUT, KERNEL_DIED, MEMORY_LIMIT = "timeout", "kernel died", "memory limit"
INVALID, WRONG_LESSON = "invalid notebook", "wrong lesson"


@dataclass
class Settings:
    out: Path
    feedback: Path | None = None
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    timeout: float = 600.0           # seconds for a whole notebook
    cell_timeout: float = 120.0      # seconds for one cell
    memory_mb: int = 3072            # resident memory of a kernel's process tree (and of a grader)
    exercise_timeout: float = 30.0   # seconds the grader may spend on one exercise
    lesson: str | None = None        # grade only this lesson (others get "wrong lesson")
    seed: int | None = None          # the hidden cases' seed; the gradebook's own (or a new one) when None
    force: bool = False
    quiet: bool = False
    newest_wins: bool = False        # two submissions of one student for one lesson: grade the newer file
    roster: object = None            # a roster.Roster mapping the names found to student ids
    regrade: str | None = None       # regrade only this exercise, for every row of its lesson
    sandbox: bool = True             # run each submission inside bubblewrap (isolation.py)
    hidden: tuple = ()               # folders a sandboxed submission must not see (set by isolation.for_batch)
    scheduler: str | None = None     # grade on this Dask scheduler's workers (distributed.py), not here


def find_submissions(paths):
    """Every .ipynb under ``paths`` (files or folders), skipping checkpoints, in a stable order."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += [p for p in sorted(path.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]
        else:
            found.append(path)
    unique, seen = [], set()
    for path in found:
        key = str(path.resolve())
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def _sha256(path):
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def _child_env(sandbox=False):
    env = environment() if sandbox else dict(os.environ)
    # PYTHONDONTWRITEBYTECODE: a grading run never writes __pycache__ into the installed course
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", PYTHONHASHSEED="0",
               COURSE_STRICT="0", PYTHONDONTWRITEBYTECODE="1")
    env.pop("COURSE_PROGRESS_FILE", None)
    return env


def _contained(command, settings, writable, private):
    """``command`` inside bubblewrap when ``settings.sandbox``, seeing only ``writable`` as writable.

    Raises SandboxUnavailable when bubblewrap cannot run here (checked once; ``grade`` checks before it starts).
    """
    if not settings.sandbox:
        return command
    require()
    return wrap(command, writable=writable, private=private, hidden=settings.hidden)


def _errors(result):
    count, messages = result.get("errors", 0), result.get("error_messages", [])
    return f"{count} cell(s) raised an error" + (": " + "; ".join(messages[:3]) if messages else "") if count else ""


def run_notebook(path, settings, scratch):
    """Execute a temporary copy of ``path``: (status, detail, seconds).

    Sandboxed, the runner and its kernel see only ``scratch/run`` as writable; the kernel's pid file then
    holds a pid of the sandbox's namespace, so the watchdog follows the process tree seen from outside.
    """
    folder = Path(scratch) / "run"
    workdir = folder / "work"
    workdir.mkdir(parents=True)
    shutil.copy2(path, workdir / "submission.ipynb")
    job = {"workdir": str(workdir), "notebook": "submission.ipynb", "cell_timeout": settings.cell_timeout,
           "result": str(folder / "run.json"), "pids": str(folder / "kernel.pid"), "sandboxed": settings.sandbox}
    job_path = folder / "run-job.json"
    job_path.write_text(json.dumps(job))
    env = _child_env(settings.sandbox)
    env["COURSE_PROGRESS_FILE"] = str(folder / "progress.json")
    command = _contained([sys.executable, "-m", "course_utils.grading.run_notebook", str(job_path)], settings,
                         [folder], Path(scratch) / "run-private")
    outcome = run_watched(command, cwd=folder, env=env, timeout=settings.timeout, memory_mb=settings.memory_mb,
                          pid_file=None if settings.sandbox else job["pids"])
    try:
        result = json.loads(Path(job["result"]).read_text())
    except (OSError, ValueError):
        result = {"status": KERNEL_DIED, "detail": "the notebook runner stopped without a result"}
    if outcome.status == MEMORY:
        status, detail = MEMORY_LIMIT, f"used more than {settings.memory_mb} MB"
    elif outcome.status == TIMEOUT:
        status, detail = RUN_TIMEOUT, f"ran longer than {settings.timeout:g} s"
    elif result.get("status") == "completed" and outcome.status == FINISHED:
        status, detail = GRADED, result.get("detail")
    else:
        status = result.get("status") if result.get("status") in (RUN_TIMEOUT, KERNEL_DIED) else KERNEL_DIED
        detail = result.get("detail") or "the notebook runner was stopped before the end"
    return status, "; ".join(filter(None, [detail, _errors(result)])), outcome.seconds


def _accepted(results_path, key):
    """The grader's records whose signatures verify, in sequence order, stopping at the first gap."""
    records = []
    try:
        lines = Path(results_path).read_text(errors="replace").splitlines()
    except OSError:
        return records
    for line in lines:
        try:
            entry = json.loads(line)
            sequence, payload, signature = int(entry["seq"]), str(entry["payload"]), str(entry["sig"])
        except (ValueError, KeyError, TypeError):
            continue
        expected = hmac.new(key, f"{sequence}|{payload}".encode(), hashlib.sha256).hexdigest()
        if sequence == len(records) and hmac.compare_digest(expected, signature):
            records.append(json.loads(payload))
    return records


def grade_functions(nb, exercise_list, settings, seed):
    """Per-exercise records from a fresh grader (forked by a warm server), starting another after an exercise
    that kills it."""
    imports, definitions = grading_source(nb)
    remaining = list(exercise_list)
    records, attempt = {}, 0
    while remaining:
        attempt += 1
        key = secrets.token_bytes(32)
        job = {"key": key.hex(), "exercises": [e.id for e in remaining], "imports": imports,
               "definitions": definitions, "seed": seed}
        try:
            server, outcome, results_path = _run_on_a_warm_grader(job, settings)
        except warm.ServerFailed as error:
            for e in remaining:
                records[e.id] = {"id": e.id, "status": "crashed", "points": 0, "max_points": e.points,
                                 "detail": str(error)}
            break
        accepted = _accepted(results_path, key)
        warm.POOL.give_back(settings, server)
        got = [r for r in accepted if "id" in r]
        by_id = {e.id: e for e in remaining}
        for record in got:
            if record.get("id") in by_id:
                records[record["id"]] = record
        finished = [e for e in remaining if e.id in records]
        remaining = [e for e in remaining if e.id not in records]
        if not remaining:
            break
        word = {TIMEOUT: "timeout", MEMORY: "memory limit"}.get(outcome.status, "crashed")
        if not any(r.get("defined") for r in accepted):
            # it stopped while defining the notebook's functions: every remaining exercise would do the same
            for e in remaining:
                records[e.id] = {"id": e.id, "status": word, "points": 0, "max_points": e.points,
                                 "detail": "the grader stopped while defining the notebook's functions"}
            break
        culprit = remaining.pop(0)
        if outcome.status == FINISHED and not finished:
            word = "crashed"
        records[culprit.id] = {"id": culprit.id, "status": word, "points": 0, "max_points": culprit.points,
                               "detail": f"the grader {word if word != 'crashed' else 'stopped'} on this exercise"}
        if attempt > len(exercise_list) + 1:
            for e in remaining:
                records[e.id] = {"id": e.id, "status": "crashed", "points": 0, "max_points": e.points}
            break
    return [records[e.id] for e in exercise_list]


def _run_on_a_warm_grader(job, settings, tries=2):
    """(server, outcome, results path) of ``job`` on a warm server; a server that fails before the job starts
    is replaced (another submission may have stopped it). Raises ServerFailed when none can run it."""
    for attempt in range(tries):
        server = warm.POOL.borrow(settings, _child_env(settings.sandbox))
        results_path = server.results_path()
        try:
            outcome = server.run(dict(job, results=str(results_path)),
                                 timeout=settings.exercise_timeout * (len(job["exercises"]) + 2),
                                 idle_timeout=settings.exercise_timeout + 15, memory_mb=settings.memory_mb)
            return server, outcome, results_path
        except warm.ServerFailed:
            if attempt == tries - 1:
                raise


class DuplicateSubmissions(Exception):
    """Two or more submissions resolve to one student for one lesson; the message names the files."""


def submission_roots(paths):
    """``{submission: the folder it was found under}`` (None for a file given directly), in a stable order."""
    roots = {}
    for given in map(Path, paths):
        for path in find_submissions([given]):
            roots.setdefault(path, given if given.is_dir() else None)
    return roots


def one_per_student(roots, existing_rows, newest_wins, roster=None):
    """The submissions to grade, with at most one per (student, lesson); raises DuplicateSubmissions otherwise.

    Earlier rows of the gradebook count too: a new file for a student and lesson it already holds from
    another file is a duplicate. With ``newest_wins`` the most recently modified file is kept instead.
    """
    claims = {}
    for row in existing_rows:
        if row.get("student") and row.get("lesson") and row.get("submission"):
            claims.setdefault((row["student"], row["lesson"]), []).append(Path(row["submission"]))
    for path, root in roots.items():
        try:
            nb = read_notebook(path)
        except InvalidNotebook:
            continue  # graded as invalid, under its file name
        key = (identify(nb, path, root, roster).student, detect_lesson(nb, path) or "")
        claims.setdefault(key, []).append(path)
    chosen = dict(roots)
    conflicts = []
    for (student, lesson), files in claims.items():
        files = list(dict.fromkeys(files))
        if len(files) < 2:
            continue
        if not newest_wins:
            conflicts.append(f"{student}, lesson {lesson or '?'}: " + " and ".join(map(str, files)))
            continue
        newest = max((f for f in files if f.exists()), key=lambda f: f.stat().st_mtime)
        for older in files:
            if older != newest:
                chosen.pop(older, None)
    if conflicts:
        raise DuplicateSubmissions(
            "these submissions resolve to the same student and lesson, so one would overwrite the other's row and "
            "feedback:\n  " + "\n  ".join(conflicts) + "\nRemove the extra files, set each notebook's student id in "
            "its metadata ({\"course\": {\"student_id\": ...}}), or pass --newest-wins to grade only the newest.")
    return chosen


def grade_one(path, settings, seed, root=None):
    """(row, results, titles) for one submission. Never raises for anything the submission does."""
    from .. import exercises

    start = time.monotonic()
    path = Path(path)
    row = {"student": path.stem, "lesson": "", "submission": str(path), "sha256": _sha256(path),
           "total": 0, "max": 0, "notes": "", "seed": seed, "course_version": provenance.course_version()}
    try:
        nb = read_notebook(path)
    except InvalidNotebook as error:
        identity = identify(None, path, root, settings.roster)
        row.update(student=identity.student, lms_id=identity.lms_id, status=INVALID, notes=str(error),
                   seconds=f"{time.monotonic() - start:.1f}")
        return row, [], {}
    identity = identify(nb, path, root, settings.roster)
    row.update(student=identity.student, lms_id=identity.lms_id)
    lesson = detect_lesson(nb, path)
    lesson_exercises = exercises.for_lesson(lesson) if lesson else []
    if settings.lesson and lesson != settings.lesson:
        lesson_exercises = []
        row["notes"] = f"this is lesson {lesson or '(unknown)'}, not lesson {settings.lesson}"
    elif not lesson_exercises:
        row["notes"] = "no exercise of a known lesson found in this notebook"
    if not lesson_exercises:
        row.update(lesson=lesson or "", status=WRONG_LESSON, seconds=f"{time.monotonic() - start:.1f}")
        if settings.lesson:
            row["lesson"] = lesson or ""
        return row, [], {}
    row.update(lesson=lesson, max=sum(e.points for e in lesson_exercises), checks_hash=provenance.checks_hash(lesson))
    # the notebook's run and the grading of its functions are independent: they run side by side
    with tempfile.TemporaryDirectory(prefix="course-grade-") as scratch, ThreadPoolExecutor(1) as grader:
        graded = grader.submit(grade_functions, nb, lesson_exercises, settings, seed)
        status, detail, _ = run_notebook(path, settings, scratch)
        results = graded.result()
    notes = ([detail] if detail else []) + (["submitted late"] if identity.late else [])
    if identity.on_roster is False:
        notes.append("not on the roster: graded under the name found in the submission")
    for record in results:
        row[record["id"]] = record["points"]
        if record["status"] not in ("passed", "failed", "not_attempted"):
            notes.append(f"{record['id']}: {record['status']}"
                         + (f" ({record['detail']})" if record.get("detail") else ""))
    row["total"] = sum(r["points"] for r in results)
    if status == GRADED and any(r["status"] == TAMPERED for r in results):
        status = TAMPERED
    row.update(status=status, notes="; ".join(notes)[:500], seconds=f"{time.monotonic() - start:.1f}")
    return row, results, {e.id: e.title for e in lesson_exercises}


def feedback_name(row):
    """The feedback file's name (without suffix): one per student and lesson, one per file when there is no lesson."""
    name = f"{row['student']}-{row.get('lesson') or row.get('sha256', '')[:8] or 'unknown'}"
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def write_feedback(folder, row, results, titles):
    """Write the row's feedback as Markdown and as self-contained HTML into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = feedback_name(row)
    (folder / f"{name}.md").write_text(feedback_markdown(row, results, titles))
    (folder / f"{name}.html").write_text(feedback_html(row, results, titles))


def grade(paths, settings):
    """Grade every submission under ``paths``; returns the gradebook rows of this batch.

    Raises DuplicateSubmissions, before grading anything, when two files resolve to one student and lesson.
    """
    settings = for_batch(settings, paths)  # sandboxed: raises SandboxUnavailable unless bubblewrap runs here
    roots = submission_roots(paths)
    existing = gradebook.read(settings.out)
    others = [r for r in existing if Path(r.get("submission", "")) not in roots]
    roots = one_per_student(roots, others, settings.newest_wins, settings.roster)
    submissions = list(roots)
    seed, seed_source = provenance.batch_seed(settings.seed, existing)
    done = {(r.get("submission"), r.get("sha256")) for r in existing}
    todo = [p for p in submissions if settings.force or (str(p), _sha256(p)) not in done]
    keep = [r for r in existing if r.get("submission") not in {str(p) for p in todo}]
    rows, lock = list(keep), threading.Lock()
    details = {key: value for key, value in gradebook.read_details(settings.out).items()
               if key in {r.get("submission") for r in keep}}
    batch_rows = []
    say = (lambda text: None) if settings.quiet else (lambda text: print(text, flush=True))
    skipped = len(submissions) - len(todo)
    say(f"grading {len(todo)} submission(s) with {settings.jobs} at once; hidden-case seed {seed} ({seed_source})"
        + (f"; {skipped} already in {settings.out} (use --force to regrade)" if skipped else ""))
    counts = {}
    pool = ClusterExecutor(settings) if settings.scheduler else ThreadPoolExecutor(max_workers=max(1, settings.jobs))
    with pool:
        futures = {pool.submit(grade_one, p, settings, seed, roots[p]): p for p in todo}
        for number, future in enumerate(as_completed(futures), start=1):
            path = futures[future]
            try:
                row, results, titles = future.result()
            except Exception as error:  # noqa: BLE001 - a bug here must not lose the batch
                row, results, titles = ({"student": path.stem, "submission": str(path), "sha256": _sha256(path),
                                         "status": "grader error", "total": 0, "max": 0, "seed": seed,
                                         "notes": f"{type(error).__name__}: {error}"[:500]}, [], {})
            with lock:
                rows.append(row)
                batch_rows.append(row)
                details[row["submission"]] = {"results": results, "titles": titles}
                gradebook.write(settings.out, rows)
                gradebook.write_details(settings.out, details)
                if settings.feedback:
                    write_feedback(settings.feedback, row, results, titles)
                counts[row["status"]] = counts.get(row["status"], 0) + 1
            say(f"[{number}/{len(todo)}] {row['student']:<20} lesson {row.get('lesson') or '--'}  "
                f"{row['total']}/{row['max']}  {row['status']:<16} {row.get('seconds', '')} s")
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    warm.POOL.close()
    say(f"done: {summary or 'nothing to grade'}; gradebook: {settings.out}")
    return batch_rows


class NothingToRegrade(Exception):
    """``--regrade`` found no row to regrade; the message says why."""


def regrade(settings):
    """Regrade the exercise ``settings.regrade`` for every row of its lesson, keeping the rest of each row.

    After a checker fix: each submission is graded again on that exercise only, with its row's own seed,
    and its points, total, details and feedback are updated. A file changed or gone since it was graded
    is left as it was, with a note. Returns the rows regraded.
    """
    from .. import exercises

    try:
        exercise = exercises.get(settings.regrade)
    except KeyError as error:
        raise NothingToRegrade(error.args[0]) from None
    rows = gradebook.read(settings.out)
    details = gradebook.read_details(settings.out)
    targets = [r for r in rows if r.get("lesson") == exercise.lesson and exercise.id in r and r.get("status")]
    if not targets:
        raise NothingToRegrade(f"{settings.out} holds no graded row of lesson {exercise.lesson}.")
    # sandboxed, a regrade hides the folder holding every submission it reads, as the batch did
    settings = for_batch(settings, [os.path.commonpath([str(Path(r["submission"]).resolve().parent) for r in targets])])
    say = (lambda text: None) if settings.quiet else (lambda text: print(text, flush=True))
    say(f"regrading {exercise.id} for {len(targets)} submission(s) of lesson {exercise.lesson}")
    lesson_ids = [e.id for e in exercises.for_lesson(exercise.lesson)]
    checks = provenance.checks_hash(exercise.lesson)
    fallback_seed = provenance.batch_seed(settings.seed, rows)[0]  # for rows graded before seeds were stored
    lock = threading.Lock()

    def regrade_row(row):
        path = Path(row["submission"])
        if _sha256(path) != row.get("sha256"):
            return row, None
        seed = int(row["seed"]) if str(row.get("seed", "")).isdigit() else fallback_seed
        [record] = grade_functions(read_notebook(path), [exercise], settings, seed)
        return row, record

    with ThreadPoolExecutor(max_workers=max(1, settings.jobs)) as pool:
        for row, record in pool.map(regrade_row, targets):
            with lock:
                if record is None:
                    row["notes"] = _joined_notes(row, f"{exercise.id} not regraded: the file changed or is gone")
                else:
                    row[exercise.id] = record["points"]
                    row["total"] = sum(int(row.get(i) or 0) for i in lesson_ids)
                    row["notes"] = _joined_notes(row, f"{exercise.id} regraded (checks {checks})")
                    entry = details.setdefault(row["submission"], {"results": [], "titles": {}})
                    entry["results"] = [r for r in entry["results"] if r.get("id") != exercise.id] + [record]
                    entry["results"].sort(key=lambda r: lesson_ids.index(r["id"]) if r["id"] in lesson_ids else 0)
                    if settings.feedback:
                        write_feedback(settings.feedback, row, entry["results"], entry.get("titles", {}))
                gradebook.write(settings.out, rows)
                gradebook.write_details(settings.out, details)
            say(f"{row['student']:<20} {exercise.id}: {row.get(exercise.id)}  total {row['total']}/{row['max']}")
    warm.POOL.close()
    return targets


def _joined_notes(row, note):
    return "; ".join(n for n in (row.get("notes", ""), note) if n)[:500]
