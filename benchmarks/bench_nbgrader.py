"""nbgrader's cost, measured and printed (not asserted): three ways to get through the same
students' work, side by side in one run.

    python benchmarks/bench_nbgrader.py [--students reference,stubs,...] [--keep DIR]

1. ``nbgrader autograde`` of the whole unit (every notebook, hidden cells included, student
   code in the sandboxed worker), one call for the class;
2. the same notebooks executed without grading: the student release (no hidden cells) run
   top to bottom with nbclient, as ``jupyter nbconvert --execute`` or a student's Jupyter
   does, one kernel per notebook;
3. ``dltips grade --nbgrader`` on the same ``submitted/`` tree.

Prints the three figures per student and the two ratios against their targets: the hidden
cells (all of autograde beyond the bare execution) add at most 50 %; ``dltips grade`` is at
least 10 times faster than ``nbgrader autograde``. Wall time on a shared machine moves by
tens of percent between runs: compare figures from one run, and repeat. With
``--breakdown``, also the seconds per notebook of each (autograde's from its log's times).

The class: the reference, the stubs and two realistic mistakes (tests/nbgrader_class.py);
the hostile student is left out here because its added cells would end a bare kernel.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbgrader_class import HOSTILE, build_class  # noqa: E402

from autograder.delivery import nbgrader_course as course_mod  # noqa: E402
from autograder.delivery.shared_runs import STORE_VARIABLE  # noqa: E402

ASSIGNMENT = course_mod.DEFAULT_ASSIGNMENT
LOG_FORMAT = "%(asctime)s.%(msecs)03d [%(name)s | %(levelname)s] %(message)s"
LOG_DATE = "%H:%M:%S"
QUIET_KERNEL = ["--IPKernelApp.log_level=ERROR"]  # no start-up warning on our stderr


def prepare(tmp: Path) -> tuple[Path, list[str]]:
    """A course with the class submitted (the hostile student removed)."""
    course = tmp / "course"
    course_mod.init_course(course, ASSIGNMENT)
    done = course_mod.run_nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    if done.returncode:
        raise SystemExit(f"generate_assignment failed:\n{done.stderr[-3000:]}")
    (tmp / "markers").mkdir()
    build_class(course, ASSIGNMENT, tmp / "markers")
    shutil.rmtree(course / "submitted" / HOSTILE)
    students = sorted(p.name for p in (course / "submitted").iterdir())
    return course, students


def time_autograde(course: Path, store: Path) -> tuple[float, str]:
    """Seconds for one ``nbgrader autograde`` of the class, and its log. ``store``: an empty
    private folder for the shared grading runs (nothing from an earlier run is reused)."""
    start = time.perf_counter()
    done = course_mod.run_nbgrader(course, "autograde", ASSIGNMENT, "--force",
                                   f"--Application.log_format={LOG_FORMAT}",
                                   f"--Application.log_datefmt={LOG_DATE}",
                                   env={STORE_VARIABLE: str(store)})
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"autograde failed:\n{done.stderr[-3000:]}")
    return elapsed, done.stderr


def time_bare(course: Path, students: list[str], scratch: Path) -> tuple[float, dict]:
    """Seconds to execute every student's release notebooks without grading (direct mode,
    each in a copy of the student's folder), and seconds per notebook name (summed)."""
    per_notebook: dict[str, float] = {}
    env_before = os.environ.pop("NBGRADER_EXECUTION", None)
    os.environ["PYTHONPATH"] = course_mod.nbgrader_env()["PYTHONPATH"]
    start = time.perf_counter()
    for student in students:
        folder = scratch / student
        shutil.copytree(course / "submitted" / student / ASSIGNMENT, folder)
        for path in sorted(folder.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            began = time.perf_counter()
            NotebookClient(nb, kernel_name="python3", timeout=course_mod.CELL_TIMEOUT,
                           allow_errors=True, extra_arguments=QUIET_KERNEL,
                           resources={"metadata": {"path": str(folder)}}).execute()
            per_notebook[path.stem] = per_notebook.get(path.stem, 0.0) + (
                time.perf_counter() - began)
    elapsed = time.perf_counter() - start
    if env_before is not None:
        os.environ["NBGRADER_EXECUTION"] = env_before
    return elapsed, per_notebook


def time_dltips(course: Path, out: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", "--nbgrader",
                           str(course), "--assignment", ASSIGNMENT, "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"dltips grade failed:\n{done.stderr[-3000:]}")
    return elapsed


def autograde_per_notebook(log: str) -> dict[str, float]:
    """Seconds per notebook name (summed over students), from 'Autograding <nb>' to the
    next notebook's sanitizing or the end of that student's writes."""
    events = []
    for line in log.splitlines():
        match = re.match(r"(\d\d:\d\d:\d\d\.\d+) .*?(Autograding|Sanitizing|Setting "
                         r"destination file permissions)\s*(\S*)", line)
        if match:
            stamp = datetime.strptime(match.group(1), f"{LOG_DATE}.%f")
            events.append((stamp, match.group(2), Path(match.group(3)).stem))
    totals: dict[str, float] = {}
    for (stamp, kind, name), (following, _, _) in zip(events, events[1:], strict=False):
        if kind == "Autograding":
            totals[name] = totals.get(name, 0.0) + (following - stamp).total_seconds()
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--breakdown", action="store_true",
                        help="also print the seconds per notebook")
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the course in this (empty) folder and keep it")
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="dltips-bench-nbgrader-") as tmp_name:
        tmp = args.keep or Path(tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        course, students = prepare(tmp)
        count = len(students)
        notebooks = len(course_mod.source_notebooks())
        print(f"class: {count} students ({', '.join(students)}), {notebooks} notebooks each")

        (tmp / "shared-runs").mkdir(mode=0o700)
        autograde, log = time_autograde(course, tmp / "shared-runs")
        bare, bare_notebooks = time_bare(course, students, tmp / "bare")
        dltips = time_dltips(course, tmp / "graded")
        load = os.getloadavg()[0]

    print(f"nbgrader autograde (whole unit)      : {autograde:7.1f} s, "
          f"{autograde / count:6.2f} s per student")
    print(f"notebooks executed without grading  : {bare:7.1f} s, "
          f"{bare / count:6.2f} s per student")
    print(f"dltips grade --nbgrader             : {dltips:7.1f} s, "
          f"{dltips / count:6.2f} s per student")
    added = autograde / bare - 1.0
    print(f"hidden cells and autograde add {100 * added:.0f}% to the bare execution "
          f"(target <= 50%): {'met' if added <= 0.5 else 'MISSED'}")
    speedup = autograde / dltips
    print(f"dltips grade is {speedup:.1f}x faster than nbgrader autograde "
          f"(target >= 10x): {'met' if speedup >= 10 else 'MISSED'}")
    print(f"load average at the end: {load:.2f}")
    if args.breakdown:
        graded = autograde_per_notebook(log)
        print("seconds per notebook, summed over the class (autograde / bare):")
        for name in sorted(bare_notebooks):
            print(f"  {name:<22} {graded.get(name, float('nan')):6.1f} / "
                  f"{bare_notebooks[name]:6.1f}")
        print(f"  median bare notebook: {statistics.median(bare_notebooks.values()) / count:.2f}"
              " s per student")
    return 0


if __name__ == "__main__":
    sys.exit(main())
