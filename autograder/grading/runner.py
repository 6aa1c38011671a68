"""Run one grading suite against one staged submission (a trusted child process).

    python -m autograder.grading.runner --suite hidden --submission DIR --results FILE
    python -m autograder.grading.runner --job -      # the same options as JSON on stdin

The engine starts one of these per submission, so pytest state, the worker and any crash
stay with that submission. Student code runs only in the sandboxed worker that the
plugin's ``student`` fixture starts; this process only compares data. The engine passes
its options on stdin (``--job -``), so no path of the grader's appears on a command line
that other users can read in /proc, and hands over its ``Lease`` so that it can clean up
after this process however it ends.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from autograder.course.contract import COURSE_DIR
from autograder.grading.limits import (
    CALL_TIMEOUT,
    MEMORY_MB,
    WALL_CAP,
    runner_memory_mb,
    start_session,
)
from autograder.sandbox.lease import Lease

SUITES_DIR = COURSE_DIR / "suites"
SUITES = ("hidden", "public")

INI = Path(__file__).resolve().parent / "suites.ini"

def suite_dir(suite: str) -> Path:
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; choose one of {', '.join(SUITES)}")
    return SUITES_DIR / suite


def pytest_args(
    suite: str,
    submission: Path,
    results: Path,
    *,
    modules: list[str] | None = None,
    isolation: str = "auto",
    call_timeout: float = CALL_TIMEOUT,
    wall_cap: float = WALL_CAP,
    memory_mb: int = MEMORY_MB,
) -> list[str]:
    """The pytest command line for one suite run: only our suite files, only our plugin."""
    directory = suite_dir(suite)
    targets = ([str(directory / f"test_{m}.py") for m in modules] if modules
               else [str(directory)])
    return [
        *targets,
        "-c", str(INI),            # our ini, never the repository's or the submission's
        "--rootdir", str(directory),
        "-p", "autograder.grading.plugin",
        "-p", "no:cacheprovider",
        "-p", "no:randomly",
        # Its session-end check collects garbage five times (a tenth of a second or more of
        # a run): nothing of a grading run's results depends on unraisable exceptions.
        "-p", "no:unraisableexception",
        "-q", "--no-header", "-rN", "--tb=no", "--assert=plain",
        f"--dltips-submission={submission}",
        f"--dltips-results={results}",
        f"--dltips-isolation={isolation}",
        f"--dltips-call-timeout={call_timeout}",
        f"--dltips-wall-cap={wall_cap}",
        f"--dltips-memory-mb={memory_mb}",
    ]


def limit_own_memory(megabytes: int) -> None:
    """Cap this process's address space: student replies are decoded here, so a reply that
    slips past the protocol's bounds fails as a MemoryError in this run (the call's
    failure) instead of growing the grader until the machine suffers.

    Only the soft limit: the workers this process starts inherit it and set their own
    profile's cap, hard and soft, before any student code (a keras worker needs more
    address space than this runner); a hard limit here would forbid that. The runner is
    trusted code: the cap guards it against hostile data, not against itself."""
    import resource

    limit = int(megabytes) * 2**20
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.grading.runner",
                                     description=__doc__)
    parser.add_argument("--job", help="'-': read the options below as a JSON object on stdin")
    parser.add_argument("--suite", choices=SUITES, default="hidden")
    parser.add_argument("--submission", type=Path)
    parser.add_argument("--results", type=Path)
    parser.add_argument("--module", action="append", dest="modules")
    parser.add_argument("--isolation", default="auto")
    parser.add_argument("--call-timeout", type=float, default=CALL_TIMEOUT)
    parser.add_argument("--wall-cap", type=float, default=WALL_CAP)
    parser.add_argument("--memory-mb", type=int, default=MEMORY_MB)
    parser.add_argument("--runner-memory-mb", type=int, default=None,
                        help="default: what the graded modules need (limits.runner_memory_mb)")
    args = parser.parse_args(argv)
    lease = None
    if args.job == "-":
        job = json.load(sys.stdin)
        lease = Lease.from_json(job.pop("lease")) if job.get("lease") else None
        for key, value in job.items():
            setattr(args, key, Path(value) if key in ("submission", "results") else value)
    if args.submission is None or args.results is None:
        parser.error("--submission and --results are required (or --job -)")
    limit_own_memory(args.runner_memory_mb or runner_memory_mb(tuple(args.modules or ())))
    os.environ.setdefault("MPLBACKEND", "Agg")
    # The suites never import TensorFlow here (Keras models are judged in numpy); should a
    # library pull it in anyway, it starts one thread per pool, not one per core.
    os.environ.update({"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
                       "TF_CPP_MIN_LOG_LEVEL": "3"})
    # Only our plugin: third-party ones (hypothesis, xdist...) cost seconds at start-up and
    # have no business in a grading run.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"

    # Boot the worker first: its interpreter starts while pytest is imported and collects
    # (a heavier profile's worker starts when collection ends: the plugin's
    # _prestart_profile_workers).
    prestarted = start_session(
        args.submission.resolve(), isolation=args.isolation, call_timeout=args.call_timeout,
        wall_cap=args.wall_cap, memory_mb=args.memory_mb, lease=lease)
    import pytest

    from autograder.grading import plugin

    plugin.PRESTARTED = prestarted

    code = pytest.main(pytest_args(
        args.suite, args.submission.resolve(), args.results.resolve(), modules=args.modules,
        isolation=args.isolation, call_timeout=args.call_timeout, wall_cap=args.wall_cap,
        memory_mb=args.memory_mb,
    ))
    # 0 = all passed, 1 = some failed: both are a completed grading run.
    return 0 if int(code) in (0, 1) else int(code)


if __name__ == "__main__":
    sys.exit(main())
