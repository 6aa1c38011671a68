"""Grading speed and memory as users meet them: the real ``dltips grade`` command line,
timed from outside, printed (not asserted).

    python benchmarks/bench_grading.py [--repeat 5] [--class-size 20] [--jobs 2]
                                       [--dltips "dltips"] [--skip-complete]

Every figure is one whole ``dltips grade SUBMISSION... --out DIR`` process (interpreter
start, imports, the runner, the sandboxed workers, results.json, feedback.md, grades.csv
and summary.png), started the way a user starts it, with the load average beside it.
The targets are issue 15's, for a quiet 2-core machine:

| what                                                    | target        |
| one complete submission (8 modules, the whole unit)     | <= 6 s        |
| the same with the 7 numpy modules only                  | <= 1.0 s      |
| a class of 20 complete submissions, --jobs 2            | <= 3 s each   |

Also printed: the CPU seconds (user + system, the command and everything it started), which
other jobs on the machine inflate far less than the wall time, and the peak resident
memory of a numpy worker and of the trusted runner.

``--dltips``: the command to time; by default this checkout's ``dltips`` entry point,
``python -m autograder.cli`` with this checkout first on the path (an installed console
script of another checkout would time that checkout). To time the installed console
script itself: ``--dltips "$(command -v dltips)"``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course.contract import MODULE_PROFILES, MODULES  # noqa: E402
from autograder.course.samples import catalog  # noqa: E402
from autograder.sandbox.session import StudentSession  # noqa: E402

NUMPY_MODULES = tuple(m for m in MODULES if m not in MODULE_PROFILES)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (5 min {five:.2f})"


def dltips_command(option: str | None) -> tuple[list[str], dict[str, str]]:
    """The command line prefix that runs ``dltips``, and its environment."""
    env = dict(os.environ, MPLBACKEND="Agg")
    if option:
        return shlex.split(option), env
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return [sys.executable, "-m", "autograder.cli"], env


def timed_grade(command: list[str], env: dict[str, str], sources: list[Path], out: Path,
                jobs: int = 1) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its children) of one dltips grade."""
    if out.exists():
        shutil.rmtree(out)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([*command, "grade", *map(str, sources), "--out", str(out),
                           "--jobs", str(jobs)], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"dltips grade failed ({done.returncode}):\n{done.stderr[-3000:]}")
    if (out / "summary.png").read_bytes()[:4] != b"\x89PNG":
        raise SystemExit("dltips grade wrote no summary.png")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def check_full_marks(out: Path, modules: tuple[str, ...]) -> None:
    """The reference must score everything of ``modules`` (so the timing is honest)."""
    (results,) = [json.loads(p.read_text()) for p in out.glob("*/results.json")]
    graded = [t for t in results["tests"] if t["tags"][0] in modules]
    lost = [t["name"] for t in graded if t["status"] != "passed"]
    if not graded or lost:
        raise SystemExit(f"the reference did not get full marks: {lost[:5]}")


def submission(folder: Path, modules: tuple[str, ...], sample: catalog.Sample | None = None
               ) -> Path:
    """A student folder holding ``modules``: the reference's, or a catalogue mistake's
    module with every other module from the reference (a complete submission)."""
    folder.mkdir(parents=True)
    for module in modules:
        text = (ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8")
        if sample is not None and sample.module == module:
            text = catalog.apply(sample, text)
        (folder / f"{module}.py").write_text(catalog.student_source(text), encoding="utf-8")
    return folder


def a_class(root: Path, size: int) -> list[Path]:
    """``size`` complete submissions: the reference, then the catalogue's one-line mistakes
    in turn (each with every other module from the reference)."""
    mistakes = [s for s in catalog.SAMPLES if s.kind == "mistake"]
    students = []
    for number in range(size):
        sample = None if number == 0 else mistakes[(number - 1) % len(mistakes)]
        name = f"student{number:02d}-{sample.name if sample else 'reference'}"
        students.append(submission(root / name, MODULES, sample))
    return students


def repeat_one(label: str, command: list[str], env: dict[str, str], source: Path, out: Path,
               repeat: int, modules: tuple[str, ...]) -> None:
    timed_grade(command, env, [source], out)  # warm the page cache; not counted
    check_full_marks(out, modules)
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = timed_grade(command, env, [source], out)
        walls.append(wall)
        cpus.append(cpu)
        print(f"  run {len(walls)}: {wall:.2f} s wall, {cpu:.2f} s CPU, {load()}", flush=True)
    print(f"{label}: median {statistics.median(walls):.2f} s, min {min(walls):.2f} s over "
          f"{repeat} runs (CPU median {statistics.median(cpus):.2f} s); {load()}", flush=True)


def worker_peak_kib(reference: Path) -> dict:
    """Peak RSS of a numpy worker after the reference's heaviest calls."""
    import numpy as np

    with StudentSession(reference, isolation="auto") as session:
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
                   "--submission", str(reference), "--results", f"{scratch}/r.json",
                   *(arg for m in NUMPY_MODULES for arg in ("--module", m))]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        return int(done.stderr.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs per single-submission figure")
    parser.add_argument("--class-size", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--dltips", default=None, help="the dltips command to time (default: "
                        "this checkout's, python -m autograder.cli)")
    parser.add_argument("--skip-complete", action="store_true",
                        help="only the numpy-only figure (no TensorFlow)")
    args = parser.parse_args()
    command, env = dltips_command(args.dltips)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; timing: {shlex.join(command)} grade ...; {load()}",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="dltips-bench-") as tmp_name:
        tmp = Path(tmp_name)
        numpy_only = submission(tmp / "numpy-only", NUMPY_MODULES)
        complete = submission(tmp / "complete", MODULES)
        repeat_one("dltips grade, one submission of the 7 numpy modules (target <= 1.0 s)",
                   command, env, numpy_only, tmp / "out-numpy", args.repeat, NUMPY_MODULES)
        if not args.skip_complete:
            repeat_one("dltips grade, one complete submission, 8 modules (target <= 6 s)",
                       command, env, complete, tmp / "out-complete", args.repeat, MODULES)
            students = a_class(tmp / "class", args.class_size)
            wall, cpu = timed_grade(command, env, students, tmp / "out-class", args.jobs)
            print(f"dltips grade, a class of {len(students)} complete submissions, --jobs "
                  f"{args.jobs}: {wall:.1f} s, {wall / len(students):.2f} s per submission "
                  f"(target <= 3 s each; CPU {cpu:.1f} s); {load()}", flush=True)

        stats = worker_peak_kib(complete)
        print(f"numpy worker peak RSS: {stats.get('peak_rss_kib', '?')} KiB; {load()}")
        if Path("/usr/bin/time").exists():
            print(f"trusted runner peak RSS (numpy modules): {runner_peak_kib(complete)} KiB; "
                  f"{load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
