"""Grade submissions: a short pipeline of named steps, one submission at a time.

    stage -> run_suite -> score -> write outputs          (per submission)
    grade_many -> grades.csv, summary.png                 (per class)

``run_suite`` starts ``autograder.runner`` in a child process for each submission; that
runner drives pytest on the trusted side while the submission's code runs in its own
sandboxed worker. One submission's failure, of any kind, is recorded for it alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from autograder import report
from autograder.contract import MODULES
from autograder.profiles import runner_seconds
from autograder.runner import CALL_TIMEOUT, MEMORY_MB, WALL_CAP
from autograder.staging import StagedSubmission, StagingError, stage, submission_name

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class GradeOptions:
    """How to grade: which suite, which sandbox, which limits."""

    suite: str = "hidden"
    isolation: str = "auto"
    call_timeout: float = CALL_TIMEOUT
    wall_cap: float = WALL_CAP
    memory_mb: int = MEMORY_MB
    modules: tuple[str, ...] = ()
    visibility: str = "visible"  # Gradescope visibility of the results and their tests

    @property
    def runner_timeout(self) -> float:
        """The runner's own limit: the student's wall caps (the keras profile has its own)
        plus room for the trusted side."""
        return runner_seconds(self.wall_cap, self.modules, MODULES)


@dataclass
class SubmissionResult:
    """Everything known about one graded submission."""

    name: str
    source: Path
    results: dict            # Gradescope-format results.json content
    out_dir: Path | None = None

    @property
    def score(self) -> float:
        return float(self.results["score"])

    @property
    def max_score(self) -> float:
        return float(sum(t["max_score"] for t in self.results["tests"]))


# ---------------------------------------------------------------------------------------
# One submission
# ---------------------------------------------------------------------------------------


def grade_submission(source: Path, options: GradeOptions, out_dir: Path | None = None,
                     name: str | None = None) -> SubmissionResult:
    """Stage, run the suite, score; write results.json and feedback.md if out_dir is set."""
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
    results = report.gradescope_results(staged, raw, time.monotonic() - started,
                                        options.visibility)
    result = SubmissionResult(name or staged.name, Path(source), results)
    if out_dir is not None:
        result.out_dir = report.write_submission(out_dir / result.name, result.results)
    return result


def run_suite(staged: StagedSubmission, options: GradeOptions, scratch: Path) -> dict:
    """Run the suite in a trusted child process; return its per-test records."""
    results_file = scratch / "raw-results.json"
    command = [sys.executable, "-m", "autograder.runner", "--suite", options.suite,
               "--submission", str(staged.directory), "--results", str(results_file),
               "--isolation", options.isolation, "--call-timeout", str(options.call_timeout),
               "--wall-cap", str(options.wall_cap), "--memory-mb", str(options.memory_mb)]
    for module in options.modules:
        command += ["--module", module]
    try:
        completed = subprocess.run(
            command, cwd=PACKAGE_ROOT, env=_runner_env(), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=options.runner_timeout,
        )
    except subprocess.TimeoutExpired:
        return {"tests": [], "grader_error": f"grading exceeded {options.runner_timeout:.0f} s"}
    if not results_file.exists():
        tail = (completed.stdout + completed.stderr)[-1500:]
        return {"tests": [], "grader_error": f"the grading run failed (exit "
                f"{completed.returncode}):\n{tail}"}
    raw = json.loads(results_file.read_text(encoding="utf-8"))
    if completed.returncode not in (0, 1):
        raw["grader_error"] = f"pytest exited {completed.returncode}: " + (
            completed.stdout + completed.stderr)[-1500:]
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
                      visibility: str = "visible") -> SubmissionResult:
    """A zero with the reason, for a submission the pipeline itself could not handle."""
    staged = StagedSubmission(name, Path(source), Path(source))
    message = f"{type(error).__name__}: {error}"
    results = report.gradescope_results(staged, {"tests": [], "grader_error": message}, 0.0,
                                        visibility)
    result = SubmissionResult(name, Path(source), results)
    if out_dir is not None:
        result.out_dir = report.write_submission(out_dir / name, results)
    return result


def unique_names(sources: Iterable[Path]) -> list[str]:
    """Results folder names, with -2, -3... added where two submissions share a name."""
    seen: dict[str, int] = {}
    names = []
    for source in sources:
        base = submission_name(Path(source))
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return names


def grade_many(
    sources: list[Path],
    out_dir: Path,
    options: GradeOptions,
    jobs: int = 1,
    on_done: Callable[[SubmissionResult], None] | None = None,
) -> list[SubmissionResult]:
    """Grade every submission (``jobs`` at a time); write per-submission and class outputs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = unique_names(sources)

    def one(index: int) -> SubmissionResult:
        try:
            result = grade_submission(sources[index], options, out_dir, names[index])
        except Exception as error:  # noqa: BLE001 - one submission must not stop the class
            result = failed_submission(sources[index], names[index], error, out_dir,
                                       options.visibility)
        if on_done:
            on_done(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(one, range(len(sources))))
    report.write_grades_csv(out_dir / "grades.csv", results)
    report.write_summary_figure(out_dir / "summary.png", results)
    return results


def clean_output_dir(out_dir: Path) -> None:
    """Remove previous per-submission outputs so stale results never mix with new ones."""
    if out_dir.exists():
        for child in out_dir.iterdir():
            if (child / "results.json").exists():
                shutil.rmtree(child)
