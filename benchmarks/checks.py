"""Time every exercise's check on its reference (a warm call): the budget is under 1 s each.

    python benchmarks/checks.py [--out benchmarks/results]

Writes checks.md and checks.json. A measurement, not a timed test.
"""
import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils.checking import run_check  # noqa: E402
from course_utils.exercises import all_exercises  # noqa: E402
from course_utils.threads import use_one_thread  # noqa: E402

BUDGET_SECONDS = 1.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    use_one_thread()  # as in a lesson's kernel
    rows = []
    for item in all_exercises():
        run_check(item, item.reference)  # the first call pays for one-off imports
        start = time.perf_counter()
        verdict = run_check(item, item.reference)
        seconds = time.perf_counter() - start
        rows.append({"exercise": item.id, "seconds": round(seconds, 3), "passed": verdict.passed})
    slowest = sorted(rows, key=lambda row: -row["seconds"])
    over = [row for row in rows if row["seconds"] > BUDGET_SECONDS]
    lines = ["| exercise | seconds |", "|---|---:|"] + [f"| {r['exercise']} | {r['seconds']:.3f} |" for r in slowest]
    summary = (f"{len(rows)} checks; slowest {slowest[0]['exercise']} at {slowest[0]['seconds']:.3f} s; "
               f"{len(over)} over the {BUDGET_SECONDS:.0f} s budget.")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "checks.md").write_text(summary + "\n\n" + "\n".join(lines) + "\n")
    (args.out / "checks.json").write_text(json.dumps(rows, indent=1) + "\n")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
