"""The limits student code runs under, and the one place a grading session is started
with them (shared by the CLI, the engine, the runner and the plugin)."""

from __future__ import annotations

from pathlib import Path

from autograder.course.contract import MODULE_PROFILES, MODULES
from autograder.sandbox.lease import Lease
from autograder.sandbox.profiles import DEFAULT, PROFILES, WorkerProfile, missing_distributions
from autograder.sandbox.session import StudentSession  # numpy only: no pytest at this point

CALL_TIMEOUT = 10.0  # seconds per call: generous for an honest pure-Python loop
WALL_CAP = 120.0     # seconds of student code (and worker start-ups) per submission
MEMORY_MB = 1536     # address-space cap of one worker
# Address-space cap of the trusted runner itself: pytest, numpy, the suite, and the largest
# reply the protocol lets a worker send (arrays up to 256 MiB, held twice while decoded).
RUNNER_MEMORY_MB = 2048
# Seconds the trusted side (pytest, comparisons, reports of one submission) may add to the
# student's wall cap before the engine stops the runner and cleans up after it.
TRUSTED_MARGIN = 60.0


def profile_for(module: str) -> WorkerProfile:
    """The worker profile of a contract module (the default one unless the contract says
    so; see ``autograder.sandbox.profiles``)."""
    return PROFILES[MODULE_PROFILES.get(module, DEFAULT.name)]


def heavy_profiles(modules: tuple[str, ...] | list[str]) -> list[WorkerProfile]:
    """The non-default profiles a run of ``modules`` (all when empty) starts workers of."""
    graded = modules or MODULES
    found = {profile_for(m).name: profile_for(m) for m in graded}
    found.pop(DEFAULT.name, None)
    return list(found.values())


def extra_wall_cap(modules: tuple[str, ...] | list[str]) -> float:
    """Seconds of student code the non-default profiles add to one submission's run."""
    return sum(p.wall_cap or 0.0 for p in heavy_profiles(modules))


def runner_seconds(wall_cap: float, modules: tuple[str, ...] | list[str]) -> float:
    """How long one trusted grading run may take: the student's time caps, plus
    TRUSTED_MARGIN for pytest and the comparisons, plus as much again per heavy profile
    (the suite of that profile's module judges heavier results: the mnist suite
    reads scikit-learn's digits and evaluates returned networks in numpy)."""
    heavy = heavy_profiles(modules)
    return wall_cap + TRUSTED_MARGIN + extra_wall_cap(modules) + TRUSTED_MARGIN * len(heavy)


def runner_memory_mb(modules: tuple[str, ...] | list[str]) -> int:
    """The trusted runner's address-space cap for a run of ``modules``."""
    return RUNNER_MEMORY_MB + sum(p.runner_extra_mb for p in heavy_profiles(modules))


def start_session(submission: str | Path, *, isolation: str = "auto",
                  call_timeout: float = CALL_TIMEOUT, wall_cap: float = WALL_CAP,
                  memory_mb: int = MEMORY_MB, lease: Lease | None = None) -> StudentSession:
    """Create the session and spawn its worker, which boots while pytest starts up.

    No student code runs yet: the worker imports a student module only when a test calls it.
    ``lease``: the engine's (see ``autograder.sandbox.lease``), so that it can clean up
    after this process however it ends.
    """
    student_session = StudentSession(submission, isolation=isolation,
                                     call_timeout=call_timeout, wall_cap=wall_cap,
                                     memory_limit=memory_mb * 2**20, lease=lease)
    student_session.prestart()
    return student_session


def profile_session(submission: str | Path, profile: WorkerProfile, *,
                    isolation: str = "auto", call_timeout: float = CALL_TIMEOUT,
                    wall_cap: float = WALL_CAP, memory_mb: int = MEMORY_MB,
                    lease: Lease | None = None,
                    files: dict[str, bytes] | None = None) -> StudentSession:
    """The session of a non-default profile with the profile's limits (the options' values
    where the profile sets none). No worker yet: ``prestart()`` spawns one, else the first
    request that needs one does (none for a missing module).

    ``files``: grader data written into the copy before its worker starts. Raises
    RuntimeError when the profile's packages are not installed (the grader's fault,
    never the student's).
    """
    missing = missing_distributions(profile)
    if missing:
        raise RuntimeError(f"the grading environment lacks {', '.join(missing)}, which "
                           f"the {profile.name!r} worker profile needs; install them")
    session = StudentSession(
        submission, isolation=isolation, call_timeout=profile.call_timeout or call_timeout,
        wall_cap=profile.wall_cap or wall_cap,
        memory_limit=(profile.memory_mb or memory_mb) * 2**20, profile=profile,
        extra_files=files, lease=lease)
    return session

