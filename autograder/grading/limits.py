"""The limits student code runs under, and the one place a grading session is started
with them (shared by the CLI, the engine, the runner and the plugin)."""

from __future__ import annotations

from pathlib import Path

from autograder.sandbox.lease import Lease
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
