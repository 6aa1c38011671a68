"""How long the seven teaching notebooks take to execute, measured and printed (not asserted).

    python benchmarks/bench_notebooks.py [--repeat 3]

Both runs use the reference modules in an nbgrader-style assignment folder (the modules
and ``data/``), one fresh python3 kernel per notebook (nbclient, as nbconvert and nbgrader
execute notebooks):

- **plain**: the student notebooks as a student's Jupyter or ``nbconvert --execute`` runs
  them: modules imported directly, visible checks in the grade cells;
- **autograde**: the source notebooks with ``NBGRADER_EXECUTION=autograde``: modules behind
  the sandbox proxy, visible checks and the hidden grading run in the grade cells.

Prints the median seconds per notebook and in total, and the autograde overhead in percent
(the issue's target for deliverable 5: the hidden cells add at most 50 %).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from autograder.course.contract import MODULES  # noqa: E402
from autograder.delivery import student_notebooks  # noqa: E402
from autograder.delivery.shared_runs import STORE_VARIABLE  # noqa: E402


def assignment_folder(root: Path) -> Path:
    """The reference modules and the notebooks' data, laid out as source/<assignment>/."""
    folder = root / "unit"
    (folder / "data").mkdir(parents=True)
    for module in MODULES:
        shutil.copy(ROOT / "solutions" / f"{module}.py", folder)
    for name in student_notebooks.data_files():
        shutil.copy(student_notebooks.data_source(name), folder / "data")
    return folder


def run(path: Path, folder: Path, autograde: bool) -> float:
    """Seconds to execute one notebook in a fresh kernel (start-up included)."""
    notebook = nbformat.read(path, as_version=4)
    os.environ["PYTHONPATH"] = str(ROOT)
    os.environ.pop("MPLBACKEND", None)
    if autograde:
        os.environ["NBGRADER_EXECUTION"] = "autograde"
    else:
        os.environ.pop("NBGRADER_EXECUTION", None)
    start = time.perf_counter()
    NotebookClient(notebook, kernel_name="python3", timeout=600,
                   resources={"metadata": {"path": str(folder)}}).execute()
    seconds = time.perf_counter() - start
    errors = [out for cell in notebook.cells for out in cell.get("outputs", [])
              if out.output_type == "error"]
    if errors:
        raise SystemExit(f"{path.name}: {errors[0].ename}: {errors[0].evalue}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs per notebook and mode")
    args = parser.parse_args()
    sources = student_notebooks.source_notebooks()
    with tempfile.TemporaryDirectory() as scratch:
        folder = assignment_folder(Path(scratch))
        times: dict[str, dict[str, list[float]]] = {"plain": {}, "autograde": {}}
        for repeat in range(args.repeat):
            # Under autograde the notebooks share one grading run per suite (as in one
            # `nbgrader autograde` of a submission); a fresh store per repetition, so no
            # repetition reuses an earlier one's runs.
            store = Path(scratch) / f"shared-runs-{repeat}"
            store.mkdir(mode=0o700)
            os.environ[STORE_VARIABLE] = str(store)
            for source in sources:
                student = ROOT / "assignments" / source.name
                for mode, path in (("plain", student), ("autograde", source)):
                    times[mode].setdefault(source.stem, []).append(
                        run(path, folder, mode == "autograde"))
        medians = {mode: {name: statistics.median(values) for name, values in runs.items()}
                   for mode, runs in times.items()}
    print(f"median of {args.repeat} run(s), one kernel per notebook, load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'notebook':<26}{'plain s':>10}{'autograde s':>13}")
    for source in sources:
        print(f"{source.stem:<26}{medians['plain'][source.stem]:>10.2f}"
              f"{medians['autograde'][source.stem]:>13.2f}")
    plain, graded = sum(medians["plain"].values()), sum(medians["autograde"].values())
    print(f"{'all seven':<26}{plain:>10.2f}{graded:>13.2f}")
    print(f"autograde adds {100 * (graded - plain) / plain:+.0f} % to the plain execution")
    return 0


if __name__ == "__main__":
    sys.exit(main())
