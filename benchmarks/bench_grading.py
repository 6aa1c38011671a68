"""Grading speed and memory, measured and printed (not asserted).

    python benchmarks/bench_grading.py [--repeat 5] [--class-size 20] [--jobs 2]

Prints:
- wall seconds to grade one complete submission as ``dltips grade`` does (all seven
  modules, hidden suites, results.json, feedback.md, grades.csv and summary.png), each run
  in a fresh interpreter so matplotlib's import is paid every time: the median and min of
  ``--repeat`` runs (target: <= 1.0 s on 2 cores), and the grading alone for comparison;
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

from autograder.course.samples import catalog  # noqa: E402
from autograder.grading.engine import GradeOptions, grade_many, grade_submission  # noqa: E402
from autograder.sandbox.session import StudentSession  # noqa: E402

# One `dltips grade` of one submission in a fresh interpreter: the time of grade_many (the
# command's work after its imports), and proof that the figure was written.
ONE_GRADE_RUN = """
import sys, time, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from autograder.grading.engine import GradeOptions, grade_many
with tempfile.TemporaryDirectory() as out:
    start = time.perf_counter()
    (result,) = grade_many([Path(sys.argv[2])], Path(out), GradeOptions(isolation=sys.argv[3]))
    elapsed = time.perf_counter() - start
    assert result.score == result.max_score, "the reference must get full marks"
    assert (Path(out) / "summary.png").read_bytes()[:4] == b"\\x89PNG", "no figure written"
    print(elapsed)
"""


def one_submission(reference: Path, repeat: int, isolation: str) -> list[float]:
    """grade_many([reference]) with every output, summary.png included, in fresh processes."""
    times = []
    for _ in range(repeat + 1):  # the first run only warms the page cache
        done = subprocess.run([sys.executable, "-c", ONE_GRADE_RUN, str(ROOT), str(reference),
                               isolation], capture_output=True, text=True, check=True)
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return times[1:]


def grading_only(reference: Path, repeat: int, isolation: str) -> list[float]:
    """grade_submission alone (no class outputs), in this process."""
    options = GradeOptions(isolation=isolation)
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
        grade_many(sources, Path(out), GradeOptions(isolation=isolation), jobs=jobs)
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
        command = ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "autograder.grading.runner",
                   "--submission", str(reference), "--results", f"{scratch}/r.json"]
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
        print(f"one complete submission (dltips grade: hidden suites, results, grades.csv, "
              f"summary.png; fresh interpreter): median {statistics.median(times):.2f} s, "
              f"min {min(times):.2f} s over {len(times)} runs (target <= 1.0 s)")
        times = grading_only(reference, args.repeat, args.isolation)
        print(f"  of which grading alone (grade_submission): median "
              f"{statistics.median(times):.2f} s, min {min(times):.2f} s")

        chosen = (sources * (args.class_size // len(sources) + 1))[: args.class_size]
        total = class_run(chosen, args.jobs, args.isolation)
        print(f"{len(chosen)} submissions with --jobs {args.jobs}: {total:.1f} s, "
              f"{total / len(chosen):.2f} s per submission")

        stats = worker_peak_kib(reference, args.isolation)
        print(f"worker peak RSS: {stats.get('peak_rss_kib', '?')} KiB ({json.dumps(stats)})")
        if Path("/usr/bin/time").exists():
            print(f"trusted runner peak RSS: {runner_peak_kib(reference)} KiB")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (other jobs slow every figure)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
