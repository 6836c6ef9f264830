"""The ``course`` command: lab, build, execute, new, progress, train, doctor, grade, check, export, report."""
import argparse
import os
import sys
from pathlib import Path

from .paths import notebooks_dir, solutions_dir


def cmd_lab(args):
    folder = notebooks_dir()
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}", f"--port={args.port}"]
    if args.no_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root
    os.execv(command[0], command + args.extra)  # any other --Option=value goes to JupyterLab


def cmd_build(args):
    from .build import BuildError, build, stale

    try:
        if args.check:
            problems = stale(args.solutions, args.notebooks)
            if problems:
                print("notebooks/ is stale:\n  " + "\n  ".join(problems) + "\nRun `course build` and commit the result.")
                return 1
            print("notebooks/ is up to date with solutions/.")
            return 0
        written = build(args.solutions, args.notebooks, args.sources)
    except BuildError as error:
        print(f"build error: {error}")
        return 1
    print(f"wrote {len(written)} notebook(s)" + "".join(f"\n  {p}" for p in written))
    return 0


def cmd_execute(args):
    from .execution import execute

    paths = args.notebooks or sorted(solutions_dir().glob("*.ipynb"))
    failed = 0
    for path in paths:
        try:
            execute(path, timeout=args.timeout)
            print(f"executed {path}")
        except Exception as error:  # report and go on to the next notebook
            failed += 1
            print(f"FAILED {path}: {type(error).__name__}: {str(error)[-2000:]}")
    return 1 if failed else 0


def cmd_new(args):
    from .scaffold import ScaffoldError, new_lesson

    try:
        written = new_lesson(args.number, args.slug, args.title, args.minutes)
    except ScaffoldError as error:
        print(f"cannot create the lesson: {error}")
        return 1
    print(f"lesson {args.number} created; it passes `make test` as it is. Written:\n  " + "\n  ".join(written))
    return 0


def cmd_progress(args):
    from . import progress

    if args.reset:
        progress.progress_path().unlink(missing_ok=True)
        print(f"progress reset ({progress.progress_path()})")
        return 0
    try:
        print(progress.lesson_table(args.lesson) if args.lesson else progress.course_table())
    except KeyError as error:
        print(error.args[0])
        return 1
    print(f"\n(stored in {progress.progress_path()})")
    return 0


def cmd_train(args):
    from . import checkpoints
    from .train import all_recipes

    recipes = all_recipes()
    if args.list or not args.name:
        for name, recipe in recipes.items():
            print(f"{name:20s} {recipe.description}")
        return 0
    if args.name not in recipes:
        print(f"there is no training recipe {args.name!r}; known: {', '.join(recipes) or 'none'}")
        return 1
    recipe = recipes[args.name]
    shipped = None
    if args.name in checkpoints.available():
        shipped = checkpoints.metadata(args.name).get(recipe.metric)
    directory = Path(args.out) if args.out else checkpoints.CHECKPOINT_DIR
    info = recipe.build(directory=directory)
    new = info[recipe.metric]
    print(f"{args.name}: {recipe.metric} = {new:.4f}, written to {directory}")
    if shipped is not None:
        within = abs(new - shipped) <= recipe.tolerance
        print(f"shipped checkpoint: {recipe.metric} = {shipped:.4f}; difference {abs(new - shipped):.4f} "
              f"{'within' if within else 'OUTSIDE'} the tolerance {recipe.tolerance}")
        return 0 if within else 1
    return 0


def cmd_room(args):
    from .room.service import serve

    return serve(args.state, args.ip)


def cmd_doctor(args):
    from .doctor import run

    return 0 if run() else 1


def cmd_grade(args):
    from .grading.batch import DuplicateSubmissions, NothingToRegrade, Settings, grade, regrade
    from .grading.distributed import ClusterUnavailable
    from .grading.isolation import SandboxUnavailable
    from .grading.roster import RosterError, read_roster

    if args.lesson and args.lesson.isdigit():
        args.lesson = f"{int(args.lesson):02d}"
    if bool(args.submissions) == bool(args.regrade):
        print("give the submissions to grade, or --regrade EXERCISE_ID alone (it regrades the gradebook's rows)")
        return 1
    try:
        roster = read_roster(args.roster) if args.roster else None
    except RosterError as error:
        print(f"nothing graded: {error}")
        return 2
    settings = Settings(out=args.out, feedback=args.feedback, jobs=args.jobs or os.cpu_count() or 1,
                        timeout=args.timeout, cell_timeout=args.cell_timeout, memory_mb=args.memory_limit,
                        exercise_timeout=args.exercise_timeout, lesson=args.lesson, seed=args.seed, force=args.force,
                        newest_wins=args.newest_wins, roster=roster, regrade=args.regrade,
                        sandbox=not args.no_sandbox, scheduler=args.scheduler)
    missing = [str(p) for p in args.submissions if not p.exists()]
    if missing:
        print("no such file or folder: " + ", ".join(missing))
        return 1
    try:
        regrade(settings) if args.regrade else grade(args.submissions, settings)
    except (DuplicateSubmissions, NothingToRegrade, SandboxUnavailable, ClusterUnavailable) as error:
        print(f"nothing graded: {error}")
        return 2
    return 0


def cmd_export(args):
    from .grading.exports import ExportError, export_canvas, export_gradescope

    try:
        if args.target == "canvas":
            message = export_canvas(args.gradebook, args.out, roster=args.roster)
        else:
            lesson = f"{int(args.lesson):02d}" if args.lesson.isdigit() else args.lesson
            message = export_gradescope(lesson, args.out)
    except ExportError as error:
        print(f"nothing exported: {error}")
        return 2
    print(message)
    return 0


def cmd_report(args):
    from .grading.report import ReportError, write_report

    try:
        print(write_report(args.gradebook, args.out))
    except ReportError as error:
        print(f"no report written: {error}")
        return 2
    return 0


def cmd_check(args):
    import secrets

    from .grading.batch import Settings
    from .grading.batch import grade_one
    from .grading.feedback import feedback_markdown
    from .grading.isolation import problem

    if not args.notebook.exists():
        print(f"no such notebook: {args.notebook}")
        return 1
    unsandboxed = None if args.no_sandbox else problem()
    if unsandboxed:  # a learner's own notebook: check it anyway, and say how grading will differ
        print(f"{unsandboxed}; checking without it (`course grade` runs each notebook in that sandbox: no network, "
              "no file outside its folder).")
    print(f"checking {args.notebook} as the grader would (a fresh kernel, then every exercise)...", flush=True)
    settings = Settings(out=Path(os.devnull), jobs=1, timeout=args.timeout, cell_timeout=args.cell_timeout,
                        memory_mb=args.memory_limit, sandbox=not (args.no_sandbox or unsandboxed))
    row, results, titles = grade_one(args.notebook, settings, secrets.randbelow(2**31))
    print(feedback_markdown(row, results, titles))
    return 0 if results else 1


def parser():
    main = argparse.ArgumentParser(prog="course", description="From Perceptrons to Circuits: the course's command.")
    sub = main.add_subparsers(dest="command", required=True)

    lab = sub.add_parser("lab", help="start JupyterLab on notebooks/")
    lab.add_argument("--port", type=int, default=8888)
    lab.add_argument("--no-browser", action="store_true")
    lab.set_defaults(run=cmd_lab)

    build = sub.add_parser("build", help="write notebooks/ from solutions/")
    build.add_argument("sources", nargs="*", type=Path, help="only these solution notebooks (default: all)")
    build.add_argument("--check", action="store_true", help="exit 1 if notebooks/ is stale")
    build.add_argument("--solutions", type=Path, default=solutions_dir())
    build.add_argument("--notebooks", type=Path, default=notebooks_dir())
    build.set_defaults(run=cmd_build)

    execute = sub.add_parser("execute", help="run solution notebooks in place (COURSE_STRICT=1)")
    execute.add_argument("notebooks", nargs="*", type=Path)
    execute.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    execute.set_defaults(run=cmd_execute)

    new = sub.add_parser("new", help="scaffold a lesson: package, tests, notebooks, workshop plan, README row")
    new.add_argument("number", help="two digits, e.g. 13")
    new.add_argument("slug", help="lower-case name, e.g. attention_heads")
    new.add_argument("title", help='the lesson\'s title, e.g. "Attention heads"')
    new.add_argument("--minutes", type=int, default=60, help="expected time for a learner")
    new.set_defaults(run=cmd_new)

    prog = sub.add_parser("progress", help="show your progress per lesson")
    prog.add_argument("--lesson", help="one lesson's exercises, e.g. 01")
    prog.add_argument("--reset", action="store_true", help="forget all recorded progress")
    prog.set_defaults(run=cmd_progress)

    train = sub.add_parser("train", help="retrain a shipped checkpoint")
    train.add_argument("name", nargs="?")
    train.add_argument("--list", action="store_true")
    train.add_argument("--out", help="write here instead of over the shipped checkpoint")
    train.set_defaults(run=cmd_train)

    grade_cmd = sub.add_parser("grade", help="auto-grade submitted notebooks into a gradebook CSV",
                               description="Run each submission in a fresh kernel, grade its functions in a clean "
                                           "process (public checks + hidden cases), write one gradebook row each.")
    grade_cmd.add_argument("submissions", nargs="*", type=Path, help=".ipynb files or folders of them")
    grade_cmd.add_argument("--out", type=Path, default=Path("gradebook.csv"), help="the gradebook CSV")
    grade_cmd.add_argument("--feedback", type=Path,
                           help="write each submission's feedback here, as Markdown and as HTML")
    grade_cmd.add_argument("--jobs", type=int, default=0, help="submissions at once (default: all cores)")
    grade_cmd.add_argument("--timeout", type=float, default=600, help="seconds for a whole notebook (default 600)")
    grade_cmd.add_argument("--cell-timeout", type=float, default=120, help="seconds for one cell (default 120)")
    grade_cmd.add_argument("--memory-limit", type=int, default=3072, help="MB for a kernel's processes (default 3072)")
    grade_cmd.add_argument("--exercise-timeout", type=float, default=30,
                           help="seconds the grader gives one exercise (default 30)")
    grade_cmd.add_argument("--lesson", help="grade only this lesson; other notebooks get 'wrong lesson'")
    grade_cmd.add_argument("--seed", type=int,
                           help="seed of the hidden cases (default: the gradebook's own, or a new one it keeps)")
    grade_cmd.add_argument("--roster", type=Path,
                           help="CSV with a student_id column mapping the names found in submissions to ids")
    grade_cmd.add_argument("--regrade", metavar="EXERCISE_ID",
                           help="regrade one exercise (e.g. 01.step_neuron) for every row of its lesson")
    grade_cmd.add_argument("--force", action="store_true", help="regrade submissions already in the gradebook")
    grade_cmd.add_argument("--newest-wins", action="store_true",
                           help="when two files resolve to one student and lesson, grade only the newest")
    grade_cmd.add_argument("--no-sandbox", action="store_true",
                           help="run submissions without bubblewrap, as you, with your files and the network")
    grade_cmd.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                           help="grade on the workers of this Dask scheduler (needs the course's cluster extra)")
    grade_cmd.set_defaults(run=cmd_grade)

    check = sub.add_parser("check", help="grade one of your notebooks as the instructor's grader would")
    check.add_argument("notebook", type=Path)
    check.add_argument("--timeout", type=float, default=600, help="seconds for the whole notebook (default 600)")
    check.add_argument("--cell-timeout", type=float, default=120, help="seconds for one cell (default 120)")
    check.add_argument("--memory-limit", type=int, default=3072, help="MB for the kernel's processes (default 3072)")
    check.add_argument("--no-sandbox", action="store_true", help="run the notebook without bubblewrap")
    check.set_defaults(run=cmd_check)

    export = sub.add_parser("export", help="export grades to Canvas, or a lesson's autograder to Gradescope")
    targets = export.add_subparsers(dest="target", required=True)
    canvas = targets.add_parser("canvas", help="a CSV that Canvas's gradebook import accepts")
    canvas.add_argument("gradebook", type=Path, help="the gradebook CSV written by `course grade`")
    canvas.add_argument("--out", type=Path, required=True, help="the CSV to write")
    canvas.add_argument("--roster", type=Path, help="roster CSV giving each student's Canvas id")
    canvas.set_defaults(run=cmd_export)
    gradescope = targets.add_parser("gradescope", help="a Gradescope autograder zip for one lesson")
    gradescope.add_argument("lesson", help="the lesson number, e.g. 01")
    gradescope.add_argument("--out", type=Path, required=True, help="the zip to write, e.g. autograder.zip")
    gradescope.set_defaults(run=cmd_export)

    report = sub.add_parser("report", help="one HTML page on a graded class: scores, hardest exercises, timing")
    report.add_argument("gradebook", type=Path, help="the gradebook CSV written by `course grade`")
    report.add_argument("--out", type=Path, default=Path("report.html"), help="the HTML page to write")
    report.set_defaults(run=cmd_report)

    room = sub.add_parser("room", help="the room view: a JupyterHub service showing every learner's progress live")
    room.add_argument("--state", type=Path, default=Path("course-room.json"),
                      help="the JSON file that keeps the room between restarts")
    room.add_argument("--ip", help="the address to listen on (default: the host of $JUPYTERHUB_SERVICE_URL; "
                                   "0.0.0.0 in a Kubernetes hub pod)")
    room.set_defaults(run=cmd_room)

    doctor = sub.add_parser("doctor", help="check this machine is ready for the course")
    doctor.set_defaults(run=cmd_doctor)
    return main


def main(argv=None):
    main_parser = parser()
    args, extra = main_parser.parse_known_args(argv)
    if extra and args.command != "lab":
        main_parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    if args.command == "progress" and args.lesson and args.lesson.isdigit():
        args.lesson = f"{int(args.lesson):02d}"
    return args.run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
