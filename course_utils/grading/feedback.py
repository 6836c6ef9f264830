"""Feedback for one graded submission, in Markdown and in self-contained HTML.

Every row gets feedback, an unreadable notebook included: the student always hears what happened and what to
do next. Only public verdicts are shown, never a hidden case's inputs or the reference.
"""
import html

STATUS_WORDS = {
    "passed": "passed",
    "not_attempted": "not attempted",
    "failed": "not yet",
    "error": "could not be checked",
    "failed hidden cases": "passed the notebook's checks, but not the extra cases drawn at grading time",
    "tampered": "not graded: the course's checking code was changed while this exercise was checked",
    "missing": "missing",
    "timeout": "took too long when the grader called it",
    "memory limit": "used too much memory when the grader called it",
    "crashed": "stopped the grading process when called",
}

RUN_SENTENCES = {
    "graded": "Your notebook ran from top to bottom.",
    "tampered": "Your notebook ran, but the grader saw it change the course's checking code.",
    "timeout": "Your notebook did not finish within the time limit; the functions it defines were graded anyway.",
    "kernel died": "Your notebook's kernel stopped before the end; the functions it defines were graded anyway.",
    "memory limit": "Your notebook used more memory than allowed and was stopped; the functions it defines were "
                    "graded anyway.",
    "invalid notebook": "The file could not be read as a Jupyter notebook, so nothing could be graded.",
    "wrong lesson": "This notebook is not the lesson being graded, so nothing could be graded.",
    "grader error": "The grader itself failed on this notebook; your instructor has been told and will regrade it.",
}

NEXT_STEPS = {
    "invalid notebook": "Download the notebook again from JupyterLab (File > Download) and submit that .ipynb file "
                        "itself, unchanged: not a copy of its text, a PDF, a zip or a renamed file.",
    "wrong lesson": "Check that you submitted the right lesson's notebook, and that the exercise cells still start "
                    "with their `# Exercise:` lines.",
    "timeout": "Run your notebook with Kernel > Restart Kernel and Run All Cells and make sure it finishes in a few "
               "minutes; a long training loop or an endless loop is the usual cause.",
    "kernel died": "Run your notebook with Kernel > Restart Kernel and Run All Cells and look for the cell that "
                   "stops it.",
    "memory limit": "Look for a cell that builds very large arrays or keeps every step of a long loop.",
}


def feedback_blocks(row, results, titles):
    """The feedback as ``(kind, text)`` blocks, kind one of h1, h2, strong, p, pre."""
    status = row.get("status", "")
    blocks = [("h1", f"Feedback for {row.get('student', '?')}: lesson {row.get('lesson') or '?'}"),
              ("strong", f"Score: {row.get('total', 0)}/{row.get('max', 0)}"),
              ("p", RUN_SENTENCES.get(status, status))]
    if not results and row.get("notes"):
        blocks.append(("p", f"What the grader saw: {row['notes']}"))
    if status in NEXT_STEPS:
        blocks.append(("p", f"What to do: {NEXT_STEPS[status]}"))
    for record in results:
        blocks += _exercise_blocks(record, titles.get(record["id"], ""))
    return blocks


def _exercise_blocks(record, title):
    status = record["status"]
    mark = "[passed]" if status == "passed" else "[not yet]"
    blocks = [("h2", f"{mark} {record['id']}{f': {title}' if title else ''} "
                     f"({record['points']}/{record['max_points']})"),
              ("p", STATUS_WORDS.get(status, status).capitalize() + ".")]
    if status in ("failed", "error") and record.get("text"):
        blocks.append(("pre", record["text"]))
    if status == "failed hidden cases":
        blocks.append(("p", f"Your function disagreed with the reference on {record['hidden_failed']} of "
                            f"{record['hidden_run']} new inputs (not shown). Look for special cases your code "
                            f"handles only for the notebook's examples."))
    if status == "tampered" and record.get("detail"):
        blocks.append(("p", f"Changed: {record['detail']}."))
    if status == "missing":
        blocks.append(("p", "Keep the exercise's function name as given in its cell."))
    return blocks


def feedback_markdown(row, results, titles):
    """Readable Markdown feedback: per exercise, passed or the failing public case and its hint."""
    render = {"h1": lambda t: f"# {t}", "h2": lambda t: f"## {t}", "strong": lambda t: f"**{t}**",
              "p": lambda t: t, "pre": lambda t: f"```\n{t}\n```"}
    return "\n\n".join(render[kind](text) for kind, text in feedback_blocks(row, results, titles)) + "\n"


def feedback_html(row, results, titles):
    """The same feedback as one self-contained HTML page (every value escaped)."""
    blocks = feedback_blocks(row, results, titles)
    body = "\n".join(HTML_BLOCKS[kind].format(html.escape(text)) for kind, text in blocks)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(blocks[0][1])}"
            f"</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n")


HTML_BLOCKS = {"h1": "<h1>{}</h1>", "h2": "<h2>{}</h2>", "strong": "<p><strong>{}</strong></p>", "p": "<p>{}</p>",
               "pre": "<pre>{}</pre>"}
STYLE = ("body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
         "pre{background:#f4f4f4;padding:.75rem;overflow-x:auto;white-space:pre-wrap}h2{font-size:1.1rem}")
