"""Grading speed and memory, measured and printed (not asserted).

    python benchmarks/bench_grading.py [--repeat 5] [--class-size 20] [--jobs 2]

Prints:
- wall seconds to grade one complete submission (all seven modules, hidden suites), the
  median and min of ``--repeat`` runs after one warm-up (target: <= 1.5 s on 2 cores);
- seconds per submission for ``--class-size`` sample submissions graded with ``--jobs``;
- the peak resident memory of a worker after running the reference's hidden suite calls,
  and of the trusted runner process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.contract import MODULE_PROFILES, MODULES  # noqa: E402
from autograder.engine import GradeOptions, grade_many, grade_submission  # noqa: E402
from autograder.samples import catalog  # noqa: E402
from autograder.session import StudentSession  # noqa: E402

# The seven numpy modules; mnist_classifier (TensorFlow, its own worker) is timed by
# bench_mnist.py --grading.
NUMPY_MODULES = tuple(m for m in MODULES if m not in MODULE_PROFILES)


def one_submission(reference: Path, repeat: int, isolation: str) -> list[float]:
    options = GradeOptions(isolation=isolation, modules=NUMPY_MODULES)
    grade_submission(reference, options)  # warm the page cache
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = grade_submission(reference, options)
        times.append(time.perf_counter() - start)
        assert result.score == result.max_score, "the reference must get full marks"
    return times


def class_run(sources: list[Path], jobs: int, isolation: str) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        grade_many(sources, Path(out), GradeOptions(isolation=isolation,
                                                    modules=NUMPY_MODULES), jobs=jobs)
        return time.perf_counter() - start


def worker_peak_kib(reference: Path, isolation: str) -> dict:
    """Peak RSS of a worker after a realistic amount of work (the reference's heaviest calls)."""
    import numpy as np

    with StudentSession(reference, isolation=isolation) as session:
        rng = np.random.default_rng(0)
        x = rng.normal(size=(64, 8, 8, 16))
        ones, zeros = np.ones(16), np.zeros(16)
        out = session.call("batchnorm", "batchnorm_forward", x, ones, zeros, zeros, ones, True)
        session.call("batchnorm", "batchnorm_backward", x, out[3])
        session.call("losses", "softmax", rng.normal(size=(1000, 10)))
        return session.worker_stats()


def runner_peak_kib(reference: Path) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        command = ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "autograder.runner",
                   "--submission", str(reference), "--results", f"{scratch}/r.json",
                   *(arg for m in NUMPY_MODULES for arg in ("--module", m))]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        return int(done.stderr.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--class-size", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--isolation", default="auto")
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        sources = catalog.materialize(Path(tmp) / "samples")
        reference = next(p for p in sources if p.name == "reference")

        times = one_submission(reference, args.repeat, args.isolation)
        print(f"one complete submission (hidden suites): median {statistics.median(times):.2f} s,"
              f" min {min(times):.2f} s over {len(times)} runs (target <= 1.5 s)")

        chosen = (sources * (args.class_size // len(sources) + 1))[: args.class_size]
        total = class_run(chosen, args.jobs, args.isolation)
        print(f"{len(chosen)} submissions with --jobs {args.jobs}: {total:.1f} s, "
              f"{total / len(chosen):.2f} s per submission")

        stats = worker_peak_kib(reference, args.isolation)
        print(f"worker peak RSS: {stats.get('peak_rss_kib', '?')} KiB ({json.dumps(stats)})")
        if Path("/usr/bin/time").exists():
            print(f"trusted runner peak RSS: {runner_peak_kib(reference)} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
