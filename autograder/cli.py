"""``dltips``: grade a class, try the grader on bundled samples, check your own work.

    dltips grade SUBMISSION... --out DIR [--jobs N]    instructor: grade with the hidden suites
    dltips grade --nbgrader COURSE --assignment NAME --out DIR [--student ID]
                                                       grade an nbgrader course's submitted/
    dltips demo [--out DIR] [--jobs N]                 grade the bundled sample submissions
    dltips report GRADED [--out DIR] [--submissions DIR]
                                                       the class report (report.html + CSV)
    dltips check [MODULE...] [--path DIR]              student: run the visible checks
    dltips release stubs [--check]                     regenerate assignments/ (modules and
                                                       notebooks) from solutions/
    dltips release student --out DIR                   build the student release tree
    dltips references                                  recompute the cached Keras outputs
    dltips gradescope [--out FILE.zip]                 build the Gradescope autograder zip
    dltips nbgrader init DIR [--assignment NAME]       write an nbgrader course for the unit
    dltips examples [NAME...] --out DIR [--quick]      lecture figures (learning rate ... BN)
    dltips predict IMAGE... [--model FILE] [--explain] recognise a handwritten digit image
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from autograder.course.contract import MODULES, REPO_ROOT
from autograder.grading.engine import (
    Amend,
    GradeOptions,
    IsolationUnavailable,
    check_isolation,
    clean_output_dir,
    grade_many,
)
from autograder.grading.limits import CALL_TIMEOUT, MEMORY_MB, WALL_CAP
from autograder.grading.messages import LANGUAGES
from autograder.grading.policy import (
    DEFAULT_DISCLOSURE,
    DISCLOSURE_LEVELS,
    Settings,
    SettingsError,
    installed_settings,
)
from autograder.grading.report import VISIBILITIES, clean_text
from autograder.grading.results import SubmissionResult
from autograder.grading.staging import StagingError, probe
from autograder.grading.terminal import check_report, class_table, columns_legend

console = Console()
err_console = Console(stderr=True)


def _say_error(line: str) -> None:
    """One unwrapped line on stderr (rich would wrap long paths)."""
    print(line, file=sys.stderr)


class UsageFailure(Exception):
    """Bad usage: reported as one line on stderr with exit status 2."""


# ---------------------------------------------------------------------------------------
# Argument parsing
# ---------------------------------------------------------------------------------------


def _add_grading_options(parser: argparse.ArgumentParser, *, fail_closed: bool = False) -> None:
    parser.add_argument("--jobs", "-j", type=int, default=1, help="submissions graded at once")
    if fail_closed:  # other people's code: bwrap or nothing, unless a weaker level is named
        parser.add_argument("--isolation", choices=["strict", "bwrap", "user", "none"],
                            default="strict", help="sandbox for student code (default "
                            "strict: bwrap, or refuse; name user or none to go weaker)")
    else:
        parser.add_argument("--isolation", choices=["auto", "strict", "bwrap", "user", "none"],
                            default="auto", help="sandbox for student code (default: the "
                            "strongest available, with a note when it is weaker than bwrap)")
    parser.add_argument("--call-timeout", type=float, default=CALL_TIMEOUT,
                        help=f"seconds one call into student code may take ({CALL_TIMEOUT:g})")
    parser.add_argument("--wall-cap", type=float, default=WALL_CAP,
                        help=f"seconds of student code per submission ({WALL_CAP:g})")
    parser.add_argument("--memory-mb", type=int, default=MEMORY_MB,
                        help=f"address-space cap of a worker in MiB ({MEMORY_MB})")


def _add_student_text_options(parser: argparse.ArgumentParser, *, disclose: bool = True,
                              what: str = "") -> None:
    """--lang (and --disclose): what students read (autograder/grading/policy.py)."""
    parser.add_argument("--lang", choices=LANGUAGES, default=None,
                        help="language of everything students read" + what
                        + " (default: this installation's, else en)")
    if disclose:
        parser.add_argument("--disclose", choices=DISCLOSURE_LEVELS, default=None,
                            metavar="LEVEL",
                            help="what a failed hidden test shows students: score (scores "
                            "only), names (+ test names, pass/fail), hints (+ the diagnosed "
                            "mistake), values (+ got/expected values); default "
                            f"{DEFAULT_DISCLOSURE}" + what)


def _settings(args: argparse.Namespace, base: Settings | None = None) -> Settings:
    """The flags given, over ``base`` (default: this installation's settings)."""
    base = base or installed_settings()
    try:
        return Settings(lang=getattr(args, "lang", None) or base.lang,
                        disclose=getattr(args, "disclose", None) or base.disclose)
    except SettingsError as error:
        raise UsageFailure(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dltips", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade submissions with the hidden suites")
    grade.add_argument("submissions", nargs="*", type=Path,
                       help="submission directories or .zip files")
    grade.add_argument("--nbgrader", type=Path, metavar="COURSE", default=None,
                       help="grade COURSE/submitted/<student>/<assignment>/ instead")
    grade.add_argument("--assignment", default=None,
                       help="the nbgrader assignment to grade (with --nbgrader)")
    grade.add_argument("--student", default=None, metavar="ID",
                       help="grade only this student again, keeping the others' results "
                            "in --out, and rewrite the class outputs (with --nbgrader)")
    grade.add_argument("--out", "-o", type=Path, required=True, help="output directory")
    grade.add_argument("--visibility", choices=VISIBILITIES, default="visible",
                       help="Gradescope visibility written into results.json (default visible)")
    _add_student_text_options(grade, what="; with --nbgrader: the course's")
    _add_grading_options(grade, fail_closed=True)

    demo = commands.add_parser("demo", help="grade the bundled sample submissions")
    demo.add_argument("--out", "-o", type=Path, default=Path("dltips-demo"))
    _add_student_text_options(demo)
    _add_grading_options(demo)

    report = commands.add_parser("report", help="write the class report of a graded folder")
    report.add_argument("graded", type=Path, help="the --out folder of `dltips grade`")
    report.add_argument("--out", "-o", type=Path, default=None,
                        help="output folder (default GRADED/class-report)")
    report.add_argument("--submissions", type=Path, default=None,
                        help="folder holding each submission as <name> or <name>.zip "
                        "(default: where results.json says it was read)")
    report.add_argument("--no-similarity", action="store_true",
                        help="skip the similarity check between submissions")
    report.add_argument("--similarity-threshold", type=float, default=0.6,
                        help="flag a pair when this share of one's code is in the other (0.6)")
    report.add_argument("--jobs", "-j", type=int, default=1,
                        help="processes fingerprinting submissions at once")

    check = commands.add_parser("check", help="run the visible checks on your assignments")
    check.add_argument("modules", nargs="*", metavar="MODULE",
                       help=f"modules to check (default: all): {', '.join(MODULES)}")
    check.add_argument("--path", type=Path, default=None,
                       help="folder holding your module files (default: ./assignments)")
    _add_grading_options(check)

    release = commands.add_parser("release", help="build student material from solutions/")
    release_commands = release.add_subparsers(dest="what", required=True)
    stubs = release_commands.add_parser("stubs", help="regenerate assignments/")
    stubs.add_argument("--check", action="store_true",
                       help="only report stale stubs (exit 1 if any)")
    student = release_commands.add_parser("student", help="write the student release tree")
    student.add_argument("--out", "-o", type=Path, required=True)
    _add_student_text_options(student, disclose=False)

    commands.add_parser("references", help="recompute the cached Keras reference outputs")

    gradescope = commands.add_parser("gradescope", help="build the Gradescope autograder zip")
    gradescope.add_argument("--out", "-o", type=Path, default=Path("dltips-gradescope.zip"))
    _add_student_text_options(gradescope)

    nbgrader = commands.add_parser("nbgrader", help="deliver the unit through nbgrader")
    nbgrader_commands = nbgrader.add_subparsers(dest="what", required=True)
    init = nbgrader_commands.add_parser("init", help="write a ready nbgrader course")
    init.add_argument("course", type=Path, metavar="DIR", help="the course folder")
    init.add_argument("--assignment", default=None,
                      help="the assignment holding the whole unit (default keras_tips_1)")
    init.add_argument("--force", action="store_true",
                      help="rewrite the config and source/<assignment>/ of an existing course")
    _add_student_text_options(init)

    examples = commands.add_parser("examples", help="train the lecture examples, write figures")
    examples.add_argument("names", nargs="*", metavar="NAME",
                          help="learning_rate, normalization, overfitting, optimizers, "
                               "batch_norm (default: all)")
    examples.add_argument("--out", "-o", type=Path, default=Path("dltips-examples"))
    examples.add_argument("--quick", action="store_true",
                          help="fewer epochs (the figures still show the effect)")

    predict = commands.add_parser("predict", help="recognise handwritten digit images")
    predict.add_argument("images", nargs="+", type=Path, metavar="IMAGE",
                         help="PNG or JPEG files, one digit each")
    chosen = predict.add_mutually_exclusive_group()
    chosen.add_argument("--model", type=Path, default=None,
                        help="a saved Keras model (.keras) with an 8x8 or 28x28 input; "
                             "default: a CNN trained once offline and cached")
    chosen.add_argument("--mnist", type=Path, default=None, metavar="PATH",
                        help="train (once, cached) on a Keras-format mnist.npz instead")
    predict.add_argument("--explain", action="store_true",
                         help="draw every step: the input, the crop, the network input, "
                              "the top 3")
    predict.add_argument("--out", "-o", type=Path, default=Path("dltips-predictions"),
                         help="where the figures go")
    return parser


def _options(args: argparse.Namespace, suite: str, modules: tuple[str, ...] = (),
             settings: Settings | None = None) -> GradeOptions:
    if args.jobs < 1:
        raise UsageFailure("--jobs must be at least 1")
    settings = settings or _settings(args)
    return GradeOptions(suite=suite, isolation=args.isolation, call_timeout=args.call_timeout,
                        wall_cap=args.wall_cap, memory_mb=args.memory_mb, modules=modules,
                        visibility=getattr(args, "visibility", "visible"),
                        disclose=settings.disclose, lang=settings.lang)


# ---------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------


def cmd_grade(args: argparse.Namespace) -> int:
    if args.nbgrader is not None or args.assignment is not None or args.student is not None:
        return _grade_nbgrader_course(args)
    if not args.submissions:
        raise UsageFailure("give the submissions to grade, or --nbgrader COURSE --assignment "
                           "NAME")
    gradable = 0
    for path in args.submissions:
        if not os.path.lexists(path):  # a dangling link is a submission (graded as empty)
            raise UsageFailure(f"{path}: no such file or directory")
        try:
            gradable += bool(probe(path))
        except StagingError:
            pass  # e.g. a corrupt zip: graded as empty, with the reason in its results
    if not gradable:
        raise UsageFailure("nothing gradable: no submission holds any module file "
                           f"({', '.join(m + '.py' for m in MODULES)})")
    _instructor_only("autograder.course.suites.hidden")
    options = _options(args, "hidden")
    _require_isolation(options)
    return _grade_and_report(list(args.submissions), args.out, options, args.jobs)


def _require_isolation(options: GradeOptions) -> None:
    """Fail closed before any student code runs: one line saying why and what to do."""
    try:
        check_isolation(options)
    except IsolationUnavailable as error:
        raise UsageFailure(str(error)) from None


def _grade_nbgrader_course(args: argparse.Namespace) -> int:
    """One row per student of ``COURSE/submitted/<student>/<assignment>/``, flagged when
    late by the course's own nbgrader policy; ``--student``: that student only."""
    from autograder.delivery.nbgrader_course import CourseError, course_settings, submissions
    from autograder.delivery.nbgrader_lateness import CoursePolicy

    if args.submissions:
        raise UsageFailure("give either submission paths or --nbgrader, not both")
    if args.nbgrader is None or args.assignment is None:
        raise UsageFailure("--nbgrader COURSE and --assignment NAME go together")
    try:
        students = submissions(args.nbgrader, args.assignment)
        course = course_settings(args.nbgrader)  # what the notebooks' grade cells show
    except (CourseError, SettingsError) as error:
        raise UsageFailure(str(error)) from None
    ids = [student for student, _ in students]
    only = None
    if args.student is not None:
        if args.student not in ids:
            raise UsageFailure(f"no submission of {args.assignment!r} by student "
                               f"{clean_text(args.student)!r} in {args.nbgrader}/submitted")
        only = [ids.index(args.student)]
    _instructor_only("autograder.course.suites.hidden")
    options = _options(args, "hidden", settings=_settings(args, course))
    _require_isolation(options)
    try:
        policy = CoursePolicy(args.nbgrader, args.assignment)
    except Exception as error:  # noqa: BLE001 - the instructor's config: say what failed
        raise UsageFailure(f"{args.nbgrader}: cannot read the course's nbgrader config or "
                           f"gradebook: {type(error).__name__}: {error}") from None

    def amend(index: int, results: dict) -> None:
        student, folder = students[index]
        lateness = policy.lateness(student, folder)
        penalty = policy.penalty(student, float(results["score"]), lateness)
        results["extra_data"]["late"] = lateness.as_results(penalty)
        if lateness.seconds_late > 0:
            results["output"] += "\n" + lateness.feedback_line(penalty, options.lang)

    return _grade_and_report([path for _, path in students], args.out, options, args.jobs,
                             names=ids, amend=amend, only=only)


def _instructor_only(module: str) -> None:
    """The student release ships without samples, references, hidden suites and the class
    report (``autograder.delivery.release._PRIVATE_ENGINE_PARTS``)."""
    part = Path(__file__).resolve().parent.joinpath(*module.split(".")[1:])
    if not part.exists():
        raise UsageFailure("this command needs the instructor's repository "
                           "(it is not part of the student release)")


def cmd_demo(args: argparse.Namespace) -> int:
    _instructor_only("autograder.course.samples")
    from autograder.course.samples.catalog import materialize

    submissions_dir = args.out / "submissions"
    if submissions_dir.exists():
        import shutil

        shutil.rmtree(submissions_dir)
    sources = materialize(submissions_dir)
    console.print(f"Grading {len(sources)} bundled sample submissions from {submissions_dir}")
    return _grade_and_report(sources, args.out / "results", _options(args, "hidden"), args.jobs)


def cmd_report(args: argparse.Namespace) -> int:
    _instructor_only("autograder.classreport")
    from autograder.classreport.build import ReportOptions, build_report
    from autograder.classreport.graded import GradedFolderError
    from autograder.classreport.similarity import Settings

    if not 0 < args.similarity_threshold <= 1:
        raise UsageFailure("--similarity-threshold must be in (0, 1]")
    if args.submissions is not None and not args.submissions.is_dir():
        raise UsageFailure(f"--submissions {args.submissions} is not a folder")
    options = ReportOptions(out_dir=args.out, submissions=args.submissions,
                            similarity=not args.no_similarity, jobs=max(1, args.jobs),
                            settings=Settings(threshold=args.similarity_threshold))
    try:
        path = build_report(args.graded, options)
    except GradedFolderError as error:
        raise UsageFailure(str(error)) from None
    console.print(f"Wrote {_escape(str(path))} (and a CSV file per table beside it)")
    return 0


def _grade_and_report(sources: list[Path], out: Path, options: GradeOptions, jobs: int,
                      names: list[str] | None = None, amend: Amend | None = None,
                      only: list[int] | None = None) -> int:
    if only is None:
        clean_output_dir(out)
    with _progress() as progress:
        task = progress.add_task("grading", total=len(sources) if only is None else len(only))
        results = grade_many(sources, out, options, jobs,
                             on_done=lambda r: progress.advance(task), names=names,
                             amend=amend, only=only)
    if results:
        console.print(class_table(results))
        console.print(columns_legend())
    _print_hardest_functions(results)
    errors = [r.name for r in results if r.results["extra_data"].get("grader_error")]
    console.print(f"Isolation: {_escape(_isolation_line(results))}")
    console.print(f"Students read: {options.lang}; failed hidden tests disclose "
                  f"{options.disclose} (--lang, --disclose)")
    console.print(f"Wrote {out}/<submission>/results.json and feedback.md, "
                  f"{out}/grades.csv, {out}/summary.png")
    if errors:
        _say_error(f"dltips: the grader failed on {len(errors)} submission(s): "
                   f"{clean_text(', '.join(errors))} (see their results.json)")
        return 1
    return 0


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=False)


def _isolation_line(results: list[SubmissionResult]) -> str:
    """The level in force, said once: which bwrap, or the full sentence when weaker."""
    notes = {}
    for result in results:
        extra = result.results["extra_data"]
        level = extra.get("isolation")
        detail = extra.get("isolation_program") if level == "bwrap" else extra.get(
            "isolation_note")
        notes[level] = f"{level} ({detail})" if level == "bwrap" and detail else (
            level if level == "bwrap" else f"{level}: {detail}")
    notes.pop(None, None)
    if not notes:
        return "n/a (no worker was started)"
    return " | ".join(line for _, line in sorted(notes.items()))


def _print_hardest_functions(results: list[SubmissionResult], count: int = 5) -> None:
    """The functions the fewest submissions got fully right: where to spend the next lecture."""
    from autograder.grading.report import class_pass_rates

    if len(results) < 2:
        return
    rates = sorted(class_pass_rates(results).items(), key=lambda item: item[1])[:count]
    if rates and rates[0][1] < 1.0:
        console.print("Hardest functions: " + ", ".join(
            f"{name} {100 * rate:.0f}%" for name, rate in rates if rate < 1.0))


def cmd_check(args: argparse.Namespace) -> int:
    from autograder.grading.engine import grade_submission

    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        raise UsageFailure(f"unknown module {unknown[0]!r}; choose from {', '.join(MODULES)}")
    path = args.path or _default_assignments_dir()
    if not path.is_dir():
        raise UsageFailure(f"{path}: no such folder (run from your project folder or "
                           "pass --path)")
    result = grade_submission(path, _options(args, "public", tuple(args.modules)))
    console.print(check_report(result))
    extra = result.results["extra_data"]
    if extra.get("isolation") not in (None, "bwrap"):  # fell back: say so, and why
        console.print(_escape(extra.get("isolation_note", "")))
    # As pytest: 0 only when every check passed, so scripts and classroom CI can use it.
    complete = not result.results["extra_data"].get("grader_error")
    return 0 if complete and result.score == result.max_score > 0 else 1


def _escape(text: str) -> str:
    """Text from a submission, safe for rich: no markup, no control characters."""
    from rich.markup import escape

    from autograder.grading.report import clean_text

    return escape(clean_text(text))


def _default_assignments_dir() -> Path:
    """./assignments, or the current folder when it is the one holding the modules."""
    here = Path.cwd()
    if not (here / "assignments").is_dir() and any((here / f"{m}.py").exists() for m in MODULES):
        return here
    return here / "assignments"


def cmd_release(args: argparse.Namespace) -> int:
    from autograder.delivery import release

    if args.what == "student":
        out = release.build_student_release(args.out, settings=_settings(args))
        console.print(f"Student release written to {out}")
        return 0
    if args.check:
        from autograder.delivery.student_notebooks import stale_notebooks

        stale = release.stale_stubs() + stale_notebooks()
        if stale:
            _say_error(f"dltips: stale stubs: {', '.join(stale)} (run `dltips release stubs`)")
            return 1
        console.print("assignments/ is up to date with solutions/")
        return 0
    for path in release.write_stubs():
        console.print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


def cmd_references(args: argparse.Namespace) -> int:
    _instructor_only("autograder.course.references")
    from autograder.course.references import generate

    return int(generate.main() or 0)


def cmd_gradescope(args: argparse.Namespace) -> int:
    _instructor_only("autograder.course.suites.hidden")
    from autograder.delivery.gradescope import build

    settings = _settings(args)
    console.print(f"Gradescope autograder written to {build(args.out, settings=settings)} "
                  f"(students read {settings.lang}, hidden tests disclose {settings.disclose}; "
                  "upload it; choose the Ubuntu 24.04 base image)")
    return 0


def cmd_nbgrader(args: argparse.Namespace) -> int:
    _instructor_only("autograder.course.suites.hidden")
    from autograder.delivery.nbgrader_course import DEFAULT_ASSIGNMENT, CourseError, init_course

    assignment = args.assignment or DEFAULT_ASSIGNMENT
    try:
        source = init_course(args.course, assignment, force=args.force,
                             settings=_settings(args, Settings()))
    except CourseError as error:
        raise UsageFailure(str(error)) from None
    course = source.parents[1]
    console.print(f"nbgrader course written to {course}: nbgrader_config.py and "
                  f"source/{assignment}/ ({len(list(source.glob('*.ipynb')))} notebooks, "
                  "the stub modules, data/)", soft_wrap=True)
    console.print(f"Next: cd {course} && nbgrader generate_assignment {assignment} --force",
                  soft_wrap=True)


def cmd_examples(args: argparse.Namespace) -> int:
    from autograder.examples import EXAMPLES, run_examples

    unknown = [n for n in args.names if n not in EXAMPLES]
    if unknown:
        raise UsageFailure(f"unknown example {unknown[0]!r}; choose from {', '.join(EXAMPLES)}")
    chosen = [name for name in EXAMPLES if name in args.names] or list(EXAMPLES)
    results = []
    with _progress() as bar:   # a full run takes minutes on a loaded machine
        task = bar.add_task("examples", total=len(chosen))
        for name in chosen:
            bar.update(task, description=f"examples: {name}")
            results += run_examples([name], args.out, quick=args.quick)
            bar.advance(task)
    console.print("Wrote " + ", ".join(str(r.figure) for r in results))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from autograder.examples import predict

    missing = [p for p in args.images if not p.is_file()]
    if missing:
        raise UsageFailure(f"{missing[0]}: no such image file")
    try:
        with _progress() as bar:
            tasks: dict[str, int] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done)

            model = (predict.load_model(args.model) if args.model
                     else predict.mnist_model(args.mnist, progress=progress) if args.mnist
                     else predict.default_model(progress=progress))
    except predict.ModelError as error:
        raise UsageFailure(str(error)) from None
    refused = 0
    for image in args.images:
        try:
            result = predict.predict(model, image)
        except predict.ImageError as error:
            _say_error(f"dltips: error: {error}")
            refused += 1
            continue
        result.figure = predict.figure(result, args.out, explain=args.explain)
        top3 = ", ".join(f"{d}: {100 * p:.1f} %" for d, p in result.top3)
        console.print(f"{_escape(str(image))}: [bold]{result.label}[/]  (top 3: {top3})  "
                      f"figure {_escape(str(result.figure))}", soft_wrap=True)
    return 2 if refused else 0


COMMANDS = {"grade": cmd_grade, "demo": cmd_demo, "report": cmd_report, "check": cmd_check,
            "release": cmd_release, "references": cmd_references, "gradescope": cmd_gradescope,
            "nbgrader": cmd_nbgrader, "examples": cmd_examples, "predict": cmd_predict}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UsageFailure as error:
        _say_error(f"dltips: error: {error}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
