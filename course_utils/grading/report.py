"""``course report GRADEBOOK --out report.html``: one self-contained HTML page on a graded class.

Per lesson: what graded it (seed, course version, checks hash, with a warning when rows differ), the score
distribution, and the exercises hardest first (pass rate from the gradebook; hidden-case failures and other
statuses from the details file beside it). For the class: rows per status, the rows to look at, and the time per
submission. Figures are PNGs inside the page (data: URLs), so the file can be mailed or archived alone. Every value
read from the gradebook is escaped: student names and notes are whatever the submissions made them.
"""
import base64
import html
import statistics
from collections import Counter
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..atomic import write_text_atomically
from ..exercises import ID_PATTERN
from ..plotting import CLASS_COLOURS, figure_png, setup_style
from . import gradebook

REQUIRED = ("student", "lesson", "total", "max", "status")
PROVENANCE = (("seed", "seed"), ("course_version", "course version"), ("checks_hash", "checks hash"))
# provenance columns whose disagreement means students were not graded alike
MUST_AGREE = {"seed": "different seeds, so not every student faced the same hidden cases",
              "checks_hash": "different checkers or hidden cases"}
HIDDEN = "failed hidden cases"

STYLE = """
body { font-family: system-ui, sans-serif; line-height: 1.5; color: #1a1a1a; background: #fff; margin: 0; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.3rem; }
th, td { border: 1px solid #999; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #eee; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
code { overflow-wrap: anywhere; }
td.number, td code { white-space: nowrap; }
img { max-width: 100%; height: auto; }
.warning { border-left: 0.4rem solid #b35900; background: #fff4e5; padding: 0.5rem 1rem; }
"""


class ReportError(Exception):
    """The gradebook cannot be reported on (missing, empty, not a gradebook); the message says why."""


def write_report(gradebook_path, out_path):
    """Write the report of ``gradebook_path`` to ``out_path``; return a one-line summary."""
    gradebook_path, out_path = Path(gradebook_path), Path(out_path)
    rows = _rows(gradebook_path)
    details = gradebook.read_details(gradebook_path)
    lessons = sorted({row["lesson"] for row in rows if _scored(row)})
    page = _page(gradebook_path, rows, details, lessons)
    try:
        write_text_atomically(out_path, page)
    except OSError as error:
        raise ReportError(f"cannot write {out_path}: {error.strerror or error}") from None
    return f"{out_path.name}: {_count(len(rows), 'submission')}, {_count(len(lessons), 'lesson')}"


def _rows(path):
    """The gradebook's rows, with total, max and seconds as numbers (None where empty)."""
    if not path.is_file():
        raise ReportError(f"there is no gradebook at {path} (write one with `course grade SUBMISSIONS --out {path}`)")
    rows = gradebook.read(path)
    if not rows:
        raise ReportError(f"{path} has no rows: it is empty, unreadable, or not a CSV written by `course grade`")
    missing = [column for column in REQUIRED if column not in rows[0]]
    if missing:
        raise ReportError(f"{path} is not a gradebook written by `course grade`: it has no column "
                          + ", ".join(repr(column) for column in missing))
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        for column in ("total", "max", "seconds"):
            row[column] = _number(row.get(column), f"line {line} of {path}, column {column!r}")
        for column in _exercise_columns(row):
            row[column] = _number(row[column], f"line {line} of {path}, column {column!r}")
    return rows


def _scored(row):
    """Rows with a lesson and a score out of some points (not an invalid notebook or another lesson's)."""
    return bool(row["lesson"] and row["max"] and row["total"] is not None)


def _number(text, where):
    text = (text or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ReportError(f"{where} holds {text!r}, not a number; is this a gradebook written by `course grade`?") \
            from None


def _exercise_columns(row):
    """The exercise ids of the row's own lesson that have a value in the row."""
    return [key for key, value in row.items()
            if (match := ID_PATTERN.match(key or "")) and match.group(1) == row["lesson"] and value not in ("", None)]


# ---- statistics ---------------------------------------------------------------------------------

def _exercise_stats(rows, details):
    """Per exercise of these rows (one lesson): pass rate, hidden-case failures, other statuses; hardest first."""
    stats = {}
    for row in rows:
        records = {r.get("id"): r for r in _details_of(row, details).get("results", []) if isinstance(r, dict)}
        for eid in _exercise_columns(row):
            entry = stats.setdefault(eid, {"id": eid, "rows": 0, "passed": 0, "detailed": 0, "hidden": 0,
                                           "other": Counter()})
            entry["rows"] += 1
            entry["passed"] += row[eid] > 0  # an exercise earns all its points or none
            if eid in records:
                status = records[eid].get("status", "")
                entry["detailed"] += 1
                entry["hidden"] += status == HIDDEN
                if status not in ("passed", HIDDEN):
                    entry["other"][status.replace("_", " ")] += 1
    return sorted(stats.values(), key=lambda e: (e["passed"] / e["rows"], -_hidden_rate(e), e["id"]))


def _hidden_rate(entry):
    return entry["hidden"] / entry["detailed"] if entry["detailed"] else 0.0


def _details_of(row, details):
    """The details file's entry for this row's submission ({} when absent or malformed)."""
    entry = details.get(row.get("submission"))
    return entry if isinstance(entry, dict) else {}


def _titles(rows, details):
    return {eid: title for row in rows for eid, title in _details_of(row, details).get("titles", {}).items()}


def _provenance(rows):
    """(one sentence per provenance column, warnings) for these rows."""
    sentences, warnings = [], []
    for column, words in PROVENANCE:
        counts = Counter(row.get(column) or "not recorded" for row in rows)
        if len(counts) == 1:
            sentences.append(f"{words}: <code>{_e(next(iter(counts)))}</code>")
            continue
        listed = ", ".join(f"<code>{_e(value)}</code> ({_count(n, 'row')})" for value, n in _by_count(counts))
        sentences.append(f"{words}: {listed}")
        if column in MUST_AGREE:
            warnings.append(f"These rows were graded with {MUST_AGREE[column]}: {listed}. Regrade the lesson "
                            f"(<code>course grade SUBMISSIONS --force</code>) so every row is graded alike.")
    return sentences, warnings


# ---- figures ------------------------------------------------------------------------------------

def _histogram(values, xlabel, bins, value_range):
    """A small histogram as a base64 PNG (Agg, the course's plot style, no run-dependent metadata)."""
    with matplotlib.rc_context():
        setup_style()
        figure = Figure(figsize=(6.0, 2.8))
        FigureCanvasAgg(figure)
        ax = figure.subplots()
        ax.hist(values, bins=bins, range=value_range, color=CLASS_COLOURS[1], edgecolor="black", linewidth=0.6)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("submissions")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        return base64.b64encode(figure_png(figure)).decode("ascii")


def _image(png, alt):
    return f'<img src="data:image/png;base64,{png}" alt="{_e(alt)}">'


# ---- HTML ---------------------------------------------------------------------------------------

def _e(value):
    return html.escape(str(value), quote=True)


def _count(n, noun):
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _by_count(counts):
    """(value, count) pairs, most frequent first, ties in alphabetical order: the same page for the same rows."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _percent(part, whole):
    return f"{part} of {whole} ({100 * part / whole:.0f}%)"


def _seconds(value):
    return f"{value:.1f} s"


def _table(caption, headers, body, numeric=()):
    """A table; ``body`` holds already escaped HTML; columns whose index is in ``numeric`` align right."""
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
    lines = ["".join(f'<td class="number">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
                     for i, cell in enumerate(row)) for row in body]
    return (f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead><tbody>"
            + "".join(f"<tr>{line}</tr>" for line in lines) + "</tbody></table>")


def _status_section(rows):
    counts = Counter(row["status"] or "(none)" for row in rows)
    parts = ["<h2>Submissions by status</h2>",
             _table("Rows of the gradebook per status", ["status", "rows"],
                    [[_e(status), str(n)] for status, n in _by_count(counts)], numeric=(1,))]
    odd = [row for row in rows if row["status"] != "graded"]
    if odd:
        parts += ["<h3>Rows to look at</h3>",
                  "<p>Each of these rows needs a look: its status and notes say what happened.</p>",
                  _table("Rows whose status is not graded", ["student", "lesson", "status", "notes"],
                         [[_e(r["student"]), _e(r["lesson"] or "?"), _e(r["status"]), _e(r.get("notes") or "")]
                          for r in odd])]
    return parts


def _time_section(rows):
    timed = [row for row in rows if row["seconds"] is not None]
    parts = ["<h2>Time per submission</h2>"]
    if not timed:
        return parts + ["<p>No row records its time.</p>"]
    seconds = [row["seconds"] for row in timed]
    slowest = max(timed, key=lambda row: row["seconds"])
    median, longest = statistics.median(seconds), max(seconds)
    parts.append(f"<p>Median {_seconds(median)}, longest {_seconds(longest)} ({_e(slowest['student'])}, lesson "
                 f"{_e(slowest['lesson'] or '?')}), over {_count(len(seconds), 'submission')}: running the notebook "
                 f"and grading its functions.</p>")
    alt = (f"Histogram of the grading time of {_count(len(seconds), 'submission')}: median {_seconds(median)}, "
           f"longest {_seconds(longest)}.")
    parts.append(_image(_histogram(seconds, "seconds per submission", 10, (0, max(longest, 1.0))), alt))
    return parts


def _lesson_section(lesson, rows, details):
    scores = [100 * row["total"] / row["max"] for row in rows]
    maxima = sorted({row["max"] for row in rows})
    out_of = f"{maxima[0]:g} points" if len(maxima) == 1 else "maxima of " + ", ".join(f"{m:g}" for m in maxima)
    parts = [f'<h2 id="lesson-{_e(lesson)}">Lesson {_e(lesson)}</h2>',
             f"<p>{_count(len(rows), 'submission')} graded out of {_e(out_of)}: median score "
             f"{statistics.median(scores):.0f}%, mean {statistics.mean(scores):.0f}%.</p>"]
    sentences, warnings = _provenance(rows)
    parts.append("<p>Graded with " + "; ".join(sentences) + ".</p>")
    parts += [f'<p class="warning"><strong>Warning:</strong> {warning}</p>' for warning in warnings]
    alt = (f"Histogram of the scores of {_count(len(scores), 'submission')} for lesson {lesson}, as a percentage of "
           f"the maximum: lowest {min(scores):.0f}%, median {statistics.median(scores):.0f}%, "
           f"highest {max(scores):.0f}%.")
    parts += ["<h3>Score distribution</h3>", _image(_histogram(scores, "score (% of the maximum)", 10, (0, 100)), alt)]
    titles = _titles(rows, details)
    body = []
    for entry in _exercise_stats(rows, details):
        if entry["detailed"]:
            hidden = _percent(entry["hidden"], entry["detailed"])
            other = ", ".join(f"{_e(s)} {n}" for s, n in _by_count(entry["other"])) or "none"
        else:
            hidden = other = "no details"
        body.append([f"<code>{_e(entry['id'])}</code>", _e(titles.get(entry["id"], "")),
                     _percent(entry["passed"], entry["rows"]), hidden, other])
    parts += ["<h3>Exercises, hardest first</h3>",
              "<p>Passed: earned its points. Failed hidden cases: passed the notebook's check but not the extra cases "
              "drawn at grading time (often a hard-coded answer). Other statuses: how the other attempts ended.</p>",
              _table(f"Exercises of lesson {lesson}, lowest pass rate first",
                     ["exercise", "title", "passed", "failed hidden cases", "other statuses"], body, numeric=(2, 3))]
    return parts


def _page(path, rows, details, lessons):
    name = path.name
    title = f"Class report: {name}"
    lesson_links = ", ".join(f'<a href="#lesson-{_e(lesson)}">{_e(lesson)}</a>' for lesson in lessons) or "none"
    parts = [f"<h1>{_e(title)}</h1>",
             f"<p>{_count(len(rows), 'submission')} in <code>{_e(name)}</code>; lessons graded: {lesson_links}. "
             + ("" if details else f"The details file beside the gradebook "
                                   f"(<code>{_e(gradebook.details_path(path).name)}</code>) is missing or unreadable, "
                                   "so hidden-case failures and other statuses per exercise are not known. ")
             + "Written by <code>course report</code>.</p>"]
    parts += _status_section(rows) + _time_section(rows)
    for lesson in lessons:
        parts += _lesson_section(lesson, [row for row in rows if row["lesson"] == lesson and _scored(row)], details)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{_e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(parts) + "\n</main>\n</body>\n</html>\n")
