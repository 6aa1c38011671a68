"""Grade submissions: a short pipeline of named steps, one submission at a time.

    stage -> run_suite -> score -> write outputs          (per submission)
    grade_many -> grades.csv, summary.png                 (per class)

``run_suite`` starts ``autograder.grading.runner`` in a child process for each submission; that
runner drives pytest on the trusted side while the submission's code runs in its own
sandboxed worker. One submission's failure, of any kind, is recorded for it alone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from autograder.course.contract import CONTRACT, MODULES
from autograder.grading import report
from autograder.grading.limits import (
    CALL_TIMEOUT,
    MEMORY_MB,
    WALL_CAP,
    runner_memory_mb,
    runner_seconds,
)
from autograder.grading.messages import DEFAULT_LANG
from autograder.grading.output_names import folder_names, safe_name
from autograder.grading.policy import DEFAULT_DISCLOSURE, FULL_DISCLOSURE, Settings
from autograder.grading.results import SubmissionResult, progress_path
from autograder.grading.staging import StagedSubmission, StagingError, stage, submission_name
from autograder.grading.summary_figure import SummaryFigure
from autograder.sandbox.lease import Lease
from autograder.sandbox.levels import Isolation, IsolationUnavailable, resolve_isolation
from autograder.sandbox.scratch import remove_tree

__all__ = ["GradeOptions", "IsolationUnavailable", "check_isolation", "grade_many",
           "grade_submission"]

PACKAGE_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class GradeOptions:
    """How to grade: which suite, which sandbox, which limits.

    ``isolation`` defaults to ``"strict"``: the strongest level (bwrap) or
    IsolationUnavailable before any student code runs (fail closed). Pass a level by name
    (``"user"``, ``"none"``) to accept a weaker one, or ``"auto"`` to take the strongest
    available with a note (a student's own code, the bundled samples, a Gradescope
    container). Every way into the engine (the CLI, Gradescope, nbgrader) goes through
    ``check_isolation``.
    """

    suite: str = "hidden"
    isolation: str = "strict"
    call_timeout: float = CALL_TIMEOUT
    wall_cap: float = WALL_CAP
    memory_mb: int = MEMORY_MB
    modules: tuple[str, ...] = ()
    visibility: str = "visible"  # Gradescope visibility of the results and their tests
    # What students read (autograder.grading.policy): how much a failed hidden test
    # discloses, and in which language. The public suite always discloses everything.
    disclose: str = DEFAULT_DISCLOSURE
    lang: str = DEFAULT_LANG
    # The runner's own address-space cap; None: RUNNER_MEMORY_MB plus what the graded
    # modules' worker profiles need on the trusted side (limits.runner_memory_mb).
    runner_memory_mb: int | None = None
    # The runner's own time limit; None: the student's wall caps plus room for the trusted
    # side (limits.runner_seconds). Past it the runner is killed and the engine cleans up.
    runner_time_limit: float | None = None

    def __post_init__(self) -> None:
        Settings(lang=self.lang, disclose=self.disclose)  # SettingsError if unknown

    @property
    def disclosure(self) -> str:
        """The level in force: the visible checks are the student's own to read in full."""
        return FULL_DISCLOSURE if self.suite == "public" else self.disclose

    @property
    def runner_timeout(self) -> float:
        """Seconds the runner may take before it is killed."""
        if self.runner_time_limit is not None:
            return float(self.runner_time_limit)
        return runner_seconds(self.wall_cap, self.modules)

    @property
    def runner_memory(self) -> int:
        """MiB of address space the runner may map."""
        if self.runner_memory_mb is not None:
            return self.runner_memory_mb
        return runner_memory_mb(self.modules)


def check_isolation(options: GradeOptions) -> Isolation:
    """The isolation level ``options`` will grade at; raises IsolationUnavailable (one
    sentence: why, and what to do) when it cannot be had. Probed once per process."""
    return resolve_isolation(options.isolation)


# ---------------------------------------------------------------------------------------
# One submission
# ---------------------------------------------------------------------------------------


def grade_submission(source: Path, options: GradeOptions, out_dir: Path | None = None,
                     name: str | None = None, label: str | None = None,
                     amend: Callable[[dict], None] | None = None) -> SubmissionResult:
    """Stage, run the suite, score; write results.json and feedback.md if out_dir is set.

    ``name``: the results folder (made safe); ``label``: who the submission is, for its
    ``Submission:`` line (default: the name, else the submission's own file name);
    ``amend(results)`` may add to the results before they are written.

    Raises IsolationUnavailable (before touching the submission) when ``options.isolation``
    cannot be had here.
    """
    check_isolation(options)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dltips-") as scratch:
        try:
            staged = stage(source, Path(scratch) / "submission")
        except StagingError as error:
            # The submission's fault (e.g. a corrupt zip), not the grader's: grade it as
            # empty, so every test is reported, as missing, next to the reason.
            empty = Path(scratch) / "submission"
            empty.mkdir(exist_ok=True)
            staged = StagedSubmission(submission_name(source), source, empty,
                                      notes=[f"{error}; graded as an empty submission"])
        raw = run_suite(staged, options, Path(scratch))
    if label or name:
        staged = replace(staged, name=label or name)
    results = report.gradescope_results(staged, raw, time.monotonic() - started,
                                        options.visibility, options.disclosure, options.lang)
    if amend is not None:
        amend(results)
    result = SubmissionResult(safe_name(name or submission_name(Path(source))), Path(source),
                              results)
    if out_dir is not None:
        result.out_dir = report.write_submission(out_dir / result.name, result.results)
    return result


def run_suite(staged: StagedSubmission, options: GradeOptions, scratch: Path) -> dict:
    """Run the suite in a trusted child process; return its per-test records.

    The engine, not the child, owns what student code could leave behind: it takes a
    ``Lease`` (directory, marker, uid) before the child starts and releases it after the
    child has ended, however it ended. A child past ``runner_timeout`` is killed with its
    process group; the tests it finished keep their results (read from its progress log)
    and the rest fail as not run.
    """
    results_file = scratch / "raw-results.json"
    job = {"suite": options.suite, "submission": str(staged.directory),
           "results": str(results_file), "modules": list(options.modules) or None,
           "isolation": options.isolation, "call_timeout": options.call_timeout,
           "wall_cap": options.wall_cap, "memory_mb": options.memory_mb,
           "runner_memory_mb": options.runner_memory}
    lease = Lease.create()
    try:
        job["lease"] = lease.to_json()
        returncode, output, stopped = _run_runner(job, options.runner_timeout)
    finally:
        lease.release()
    if stopped:
        return _partial_results(results_file, options.runner_timeout)
    if not results_file.exists():
        return {"tests": [], "grader_error": f"the grading run failed (exit {returncode}):\n"
                f"{output[-1500:]}"}
    raw = json.loads(results_file.read_text(encoding="utf-8"))
    if returncode not in (0, 1):
        raw["grader_error"] = f"pytest exited {returncode}: " + output[-1500:]
    return raw


def _run_runner(job: dict, timeout: float) -> tuple[int, str, bool]:
    """(exit status, output, whether it was stopped at ``timeout``) of one runner.

    Its options go on stdin, so its command line names nothing of the grader's; it leads
    its own process group, so a timeout kills it and anything it started.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "autograder.grading.runner", "--job", "-"], cwd=PACKAGE_ROOT,
        env=_runner_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(json.dumps(job), timeout=timeout)
        return process.returncode, output, False
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        output, _ = process.communicate()
        return process.returncode, output or "", True
    except BaseException:
        _kill_group(process.pid)
        process.wait()
        raise


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _partial_results(results_file: Path, timeout: float) -> dict:
    """The records of a run stopped at its time limit: those it finished, as they were;
    the rest failed as not run (kind wall_cap), with the reason."""
    planned, done, extra = [], {}, {}
    path = progress_path(results_file)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # the line being written when the run was killed
        if "planned" in entry:
            planned = entry["planned"]
        elif "record" in entry:
            done[entry["record"]["nodeid"]] = entry["record"]
        else:
            extra.update(entry)
    reason = (f"not graded: grading this submission was stopped at its time limit "
              f"({timeout:g} s)")
    tests = [done.get(p["nodeid"]) or {**p, "passed": False, "kind": "wall_cap",
                                        "message": reason, "duration": 0.0}
             for p in planned]
    raw = {"tests": tests, "stopped": reason, **extra}
    if not planned:
        raw["grader_error"] = f"the grading run was stopped at its time limit ({timeout:g} s) " \
                              "before its tests were collected"
    return raw


def _runner_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("MPLBACKEND", "Agg")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # The runner imports this checkout's autograder, whatever the caller's cwd is.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT),
                                                      env.get("PYTHONPATH", "")]))
    return env


# ---------------------------------------------------------------------------------------
# A class
# ---------------------------------------------------------------------------------------


def failed_submission(source: Path, name: str, error: BaseException, out_dir: Path | None,
                      options: GradeOptions | None = None) -> SubmissionResult:
    """A zero with the reason, for a submission the pipeline itself could not handle."""
    options = options or GradeOptions()
    staged = StagedSubmission(name, Path(source), Path(source))
    message = f"{type(error).__name__}: {error}"
    results = report.gradescope_results(staged, {"tests": [], "grader_error": message}, 0.0,
                                        options.visibility, options.disclosure, options.lang)
    result = SubmissionResult(name, Path(source), results)
    if out_dir is not None:
        result.out_dir = report.write_submission(out_dir / name, results)
    return result


def unique_names(sources: Iterable[Path]) -> list[str]:
    """Results folder names for ``sources``, by the rule of ``output_names``: safe, unique
    case-insensitively, never a class output's name."""
    return folder_names(submission_name(Path(source)) for source in sources)


Amend = Callable[[int, dict], None]


def grade_many(
    sources: list[Path],
    out_dir: Path,
    options: GradeOptions,
    jobs: int = 1,
    on_done: Callable[[SubmissionResult], None] | None = None,
    names: list[str] | None = None,
    amend: Amend | None = None,
    only: Collection[int] | None = None,
) -> list[SubmissionResult]:
    """Grade every submission (``jobs`` at a time); write per-submission and class outputs.

    ``names`` (one per source) says who each submission is: the ``Submission:`` line of its
    results, and its folder and row, made safe and unique by the rule of ``output_names``
    (nbgrader's ``submitted/<student>/<assignment>`` folders all share the assignment's
    name, so there the student ids are passed). By default the submissions' own names.
    ``amend(index, results)`` may add to a submission's results before they are written
    (e.g. its lateness). ``only``: grade just these indices again and take the others'
    results from their folders in ``out_dir`` (left untouched; one never graded is left
    out of the class outputs), so the class outputs still cover everyone.

    Raises IsolationUnavailable before grading anything when ``options.isolation`` cannot
    be had here (fail closed: no submission is graded at a weaker level by surprise).
    """
    check_isolation(options)
    out_dir.mkdir(parents=True, exist_ok=True)
    if names is not None and len(names) != len(sources):
        raise ValueError("names must give one name per submission")
    labels = list(names) if names is not None else [None] * len(sources)
    names = folder_names(names) if names is not None else unique_names(sources)
    graded = range(len(sources)) if only is None else sorted(set(only))
    # matplotlib's import and the figure's layout overlap the grading (its numbers come last).
    figure = SummaryFigure(_graded_functions(options), len(sources)).start()

    def one(index: int) -> SubmissionResult:
        try:
            result = grade_submission(sources[index], options, out_dir, names[index],
                                      label=labels[index],
                                      amend=amend and (lambda r: amend(index, r)))
        except Exception as error:  # noqa: BLE001 - one submission must not stop the class
            try:
                result = failed_submission(sources[index], names[index], error, out_dir,
                                           options)
            except Exception:  # noqa: BLE001 - not even its zero could be written
                result = failed_submission(sources[index], names[index], error, None,
                                           options)
        if on_done:
            on_done(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        fresh = dict(zip(graded, pool.map(one, graded), strict=True))
    results = [fresh[i] if i in fresh else previous_result(out_dir / names[i], sources[i])
               for i in range(len(sources))]
    results = [result for result in results if result is not None]
    report.write_class_outputs(out_dir, results, figure)
    return results


def previous_result(folder: Path, source: Path) -> SubmissionResult | None:
    """The result an earlier run wrote in ``folder`` (None when there is none)."""
    try:
        results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(results, dict) and isinstance(results.get("tests"), list)
            and isinstance(results.get("extra_data"), dict)):
        return None
    return SubmissionResult(folder.name, Path(source), results, out_dir=folder)


def _graded_functions(options: GradeOptions) -> list[str]:
    """The ``module.function`` tags a class run will report, in contract order."""
    modules = options.modules or MODULES
    return [f"{m}.{f}" for m in MODULES if m in modules for f in CONTRACT[m]]


def clean_output_dir(out_dir: Path) -> None:
    """Remove previous per-submission outputs so stale results never mix with new ones."""
    if out_dir.is_dir():
        for child in out_dir.iterdir():
            if child.is_dir() and not child.is_symlink() and (child / "results.json").exists():
                remove_tree(child)
