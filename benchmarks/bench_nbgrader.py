"""nbgrader's cost, measured and printed (not asserted): three ways through the same
students' work, side by side in one run.

    python benchmarks/bench_nbgrader.py [--repeat 3] [--breakdown] [--keep DIR]

1. ``nbgrader autograde --student S`` of the whole unit (every notebook, hidden cells
   included, student code in the sandboxed worker);
2. the same student's notebooks executed without grading: the student release (no hidden
   cells) run top to bottom with nbclient in a copy of their folder, as ``jupyter nbconvert
   --execute`` or the student's own Jupyter does, one kernel per notebook;
3. ``dltips grade --nbgrader`` of the class, per student.

1 and 2 alternate student by student, so both see the same load on a shared machine; the
figures are medians over students and repetitions, and the overhead is the median of the
per-student ratios. Targets: the hidden cells (everything autograde adds to the bare
execution, nbgrader's own start-up per call included) add at most 50 %; ``dltips grade`` is
at least 10 times faster than ``nbgrader autograde``. Also printed: nbgrader's fixed cost
per call (an autograde that has nothing to do), which a whole-class call pays once.

The class: the reference, the stubs and two realistic mistakes (tests/nbgrader_class.py);
the hostile student is left out here because its added cells would end a bare kernel. Each
hands in the whole unit: the eight modules (``mnist_classifier`` included, so its Keras
grading is in both figures) and every notebook of the release (``06_mnist`` included). The
load average is printed beside every figure: other jobs on the machine slow all of them.
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

from autograder.course.contract import MODULES  # noqa: E402
from autograder.delivery import nbgrader_course as course_mod  # noqa: E402
from autograder.delivery.shared_runs import STORE_VARIABLE  # noqa: E402

ASSIGNMENT = course_mod.DEFAULT_ASSIGNMENT
LOG_FORMAT = "%(asctime)s.%(msecs)03d [%(name)s | %(levelname)s] %(message)s"
LOG_DATE = "%H:%M:%S"
QUIET_KERNEL = ["--IPKernelApp.log_level=ERROR"]  # no start-up warning on our stderr


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (5 min {five:.2f})"


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


def autograde(course: Path, student: str, store: Path, force: bool = True
              ) -> tuple[float, str]:
    """Seconds for ``nbgrader autograde --student`` and its log. ``store``: a fresh private
    folder for the shared grading runs, so nothing from an earlier run is reused."""
    start = time.perf_counter()
    done = course_mod.run_nbgrader(course, "autograde", ASSIGNMENT, f"--student={student}",
                                   *(["--force"] if force else []),
                                   f"--Application.log_format={LOG_FORMAT}",
                                   f"--Application.log_datefmt={LOG_DATE}",
                                   env={STORE_VARIABLE: str(store)})
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"autograde failed:\n{done.stderr[-3000:]}")
    return elapsed, done.stderr


def bare(course: Path, student: str, folder: Path) -> tuple[float, dict[str, float]]:
    """Seconds to execute the student's release notebooks without grading (direct mode, in
    a copy of their folder), and seconds per notebook."""
    shutil.copytree(course / "submitted" / student / ASSIGNMENT, folder)
    os.environ.pop("NBGRADER_EXECUTION", None)
    os.environ["PYTHONPATH"] = course_mod.nbgrader_env()["PYTHONPATH"]
    per_notebook = {}
    start = time.perf_counter()
    for path in sorted(folder.glob("*.ipynb")):
        began = time.perf_counter()
        NotebookClient(nbformat.read(path, as_version=4), kernel_name="python3",
                       timeout=course_mod.CELL_TIMEOUT, allow_errors=True,
                       extra_arguments=QUIET_KERNEL,
                       resources={"metadata": {"path": str(folder)}}).execute()
        per_notebook[path.stem] = time.perf_counter() - began
    return time.perf_counter() - start, per_notebook


def dltips_grade(course: Path, out: Path) -> float:
    """Seconds for ``dltips grade --nbgrader`` of the whole class."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", "--nbgrader",
                           str(course), "--assignment", ASSIGNMENT, "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"dltips grade failed:\n{done.stderr[-3000:]}")
    return elapsed


def autograde_per_notebook(log: str) -> dict[str, float]:
    """Seconds per notebook, from its 'Autograding' line to the next event of the log."""
    events = []
    for line in log.splitlines():
        match = re.match(r"(\d\d:\d\d:\d\d\.\d+) .*?(Autograding|Sanitizing|Setting "
                         r"destination file permissions)\s*(\S*)", line)
        if match:
            stamp = datetime.strptime(match.group(1), f"{LOG_DATE}.%f")
            events.append((stamp, match.group(2), Path(match.group(3)).stem))
    return {name: (following - stamp).total_seconds()
            for (stamp, kind, name), (following, _, _) in zip(events, events[1:], strict=False)
            if kind == "Autograding"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1, help="passes over the class")
    parser.add_argument("--breakdown", action="store_true",
                        help="also print the median seconds per notebook")
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the course in this (empty) folder and keep it")
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}")
    graded, plain, ratios, dltips, fixed = [], [], [], [], []
    notebooks: dict[str, dict[str, list[float]]] = {"autograde": {}, "bare": {}}
    with tempfile.TemporaryDirectory(prefix="dltips-bench-nbgrader-") as tmp_name:
        tmp = args.keep or Path(tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        course, students = prepare(tmp)
        print(f"class: {len(students)} students ({', '.join(students)}), "
              f"{len(course_mod.source_notebooks())} notebooks and "
              f"{len(MODULES)} modules each, {args.repeat} pass(es)", flush=True)
        for repeat in range(args.repeat):
            for student in students:
                store = tmp / f"shared-runs-{repeat}-{student}"
                store.mkdir(mode=0o700)
                seconds, log = autograde(course, student, store)
                direct, per_notebook = bare(course, student, tmp / f"bare-{repeat}-{student}")
                graded.append(seconds)
                plain.append(direct)
                ratios.append(seconds / direct)
                print(f"  {student}: autograde {seconds:.1f} s, bare notebooks {direct:.1f} s; "
                      f"{load()}", flush=True)
                for name, value in autograde_per_notebook(log).items():
                    notebooks["autograde"].setdefault(name, []).append(value)
                for name, value in per_notebook.items():
                    notebooks["bare"].setdefault(name, []).append(value)
            fixed.append(autograde(course, students[0], tmp / f"shared-runs-{repeat}-"
                                   f"{students[0]}", force=False)[0])
            dltips.append(dltips_grade(course, tmp / f"graded-{repeat}") / len(students))
            print(f"  dltips grade --nbgrader, the class: {dltips[-1]:.2f} s per student; "
                  f"{load()}", flush=True)

    median = statistics.median
    print(f"nbgrader autograde, whole unit : median {median(graded):6.2f} s per student "
          f"(nbgrader's fixed cost per call: {median(fixed):.2f} s); {load()}")
    print(f"notebooks without grading      : median {median(plain):6.2f} s per student; "
          f"{load()}")
    print(f"dltips grade --nbgrader        : median {median(dltips):6.2f} s per student; "
          f"{load()}")
    added = median(ratios) - 1.0
    print(f"hidden cells and autograde add {100 * added:.0f}% to the bare execution "
          f"(median of per-student ratios; target <= 50%): {'met' if added <= 0.5 else 'MISSED'}")
    speedup = median(graded) / median(dltips)
    print(f"dltips grade is {speedup:.1f}x faster than nbgrader autograde "
          f"(target >= 10x): {'met' if speedup >= 10 else 'MISSED'}; {load()}")
    if args.breakdown:
        print("median seconds per notebook and student (autograde / bare):")
        for name in sorted(notebooks["bare"]):
            print(f"  {name:<24} {median(notebooks['autograde'].get(name, [float('nan')])):6.2f}"
                  f" / {median(notebooks['bare'][name]):6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
