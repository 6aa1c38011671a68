"""Build what students get from what instructors keep (the single source and its stub
rules: ``autograder.course.solution_source``).

Two products:
- ``write_stubs`` refreshes ``assignments/`` in the repository (committed, checked fresh by
  a test);
- ``build_student_release`` lays out a self-contained student tree: stubs, the engine, the
  visible suites, nothing private (no solutions, hidden suites or cached references).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.course.contract import MODULES, REPO_ROOT
from autograder.course.solution_source import stub_text
from autograder.grading.policy import SETTINGS_FILE, Settings, write_settings

# assignments/__init__.py, in the repository and in the student release alike.
ASSIGNMENTS_INIT = '''\
"""Your exercise modules: fill in each function, then run `dltips check`.

One module may reuse another's functions. Import them by the bare module name, e.g. at
the top of regularization.py::

    from gradient_descent import mse_loss_and_grads

That one form works everywhere your code runs: `dltips check`, the grader (`dltips
grade`, Gradescope), the course notebooks (which run next to these files) and plain
Python, where importing this package (``from assignments import regularization``) runs
the lines below. ``from assignments.gradient_descent import ...`` and relative imports
(``from .gradient_descent import ...``) do NOT work in the grader or the notebooks, which
load each file on its own. Submit every module you import from.
"""

import sys
from pathlib import Path

# Appended, never prepended: a file here can never hide an installed package.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.append(_HERE)
'''


def write_stubs(root: Path = REPO_ROOT) -> list[Path]:
    """Regenerate ``assignments/<module>.py`` for every module, the student notebooks
    beside them (``autograder.delivery.student_notebooks``) and the visible checks' points
    table (``autograder.course.points``); returns the files written."""
    from autograder.course import points
    from autograder.delivery.student_notebooks import write_student_notebooks

    target = root / "assignments"
    target.mkdir(exist_ok=True)
    (target / "__init__.py").write_text(ASSIGNMENTS_INIT, encoding="utf-8")
    written = []
    for module in MODULES:
        path = target / f"{module}.py"
        path.write_text(stub_text(module, root), encoding="utf-8")
        written.append(path)
    return written + write_student_notebooks(root) + [points.write_table()]


def stale_stubs(root: Path = REPO_ROOT) -> list[str]:
    """Modules whose committed stub differs from what the solutions generate now (and
    ``points.json`` when the visible checks' points table differs from the suites')."""
    from autograder.course import points

    stale = ["points.json"] if points.table_is_stale() else []
    for module in MODULES:
        path = root / "assignments" / f"{module}.py"
        if not path.exists() or path.read_text(encoding="utf-8") != stub_text(module, root):
            stale.append(module)
    init = root / "assignments" / "__init__.py"
    if not init.exists() or init.read_text(encoding="utf-8") != ASSIGNMENTS_INIT:
        stale.append("__init__")
    return stale


STUDENT_README = """\
# dltips: Keras Application & Tips (1), your exercises

Seven small numpy modules in `assignments/`, each matching what Keras 3 computes:
losses, gradient_descent, normalization, regularization, dropout, optimizers, batchnorm;
and `mnist_classifier`, the lecture's MNIST digit classifier in Keras 3.

1. Install once (Python 3.11+): `python3 -m pip install -e .`
2. Open a module in `assignments/`, read each function's docstring (it is the contract the
   grader checks: names, parameters, shapes, formulas, edge cases) and replace its
   `raise NotImplementedError(...)` line with your code.
3. Run the visible checks: `dltips check` (all modules) or `dltips check optimizers`.
   Each row shows the points, what failed, by how much, and a hint.
4. Follow the lecture in the {count} Korean teaching notebooks beside the modules
   (`jupyter lab assignments/`; without Jupyter, install it once with
   `python3 -m pip install jupyterlab`), in this order:
{notebook_list}
   Their examples and figures run your own functions, their grade cells run the same
   visible checks, and their written-answer cells take your answers. After editing a
   module, re-run the notebook from its first code cell.
5. Submit the files in `assignments/` as your instructor says (nbgrader or Gradescope).

Points: one scale everywhere. A function is worth the same points in `dltips check`, in a
notebook's grade cell and in the final grade:

{points_table}

The hidden tests check only what the docstrings state, on more inputs and edge cases than
the visible checks, so a function that follows its docstring gets full marks.

Also: `dltips examples --out figures/` trains the lecture's examples and draws their figures
(with your own modules), and `dltips predict my_digit.png` recognises a digit you wrote.
"""


def student_readme(root: Path = REPO_ROOT) -> str:
    """The student release's README: the notebooks and the points as they are now."""
    import nbformat

    from autograder.course.points import module_points
    from autograder.delivery.student_notebooks import source_notebooks

    notebooks = source_notebooks(root)
    written = [cell.metadata["nbgrader"]["points"] for source in notebooks
               for cell in nbformat.read(source, as_version=4).cells
               if cell.metadata.get("nbgrader", {}).get("solution")
               and cell.cell_type == "markdown"]
    automatic = module_points()
    rows = ["| module | points |", "|---|---:|",
            *(f"| `{module}` | {value:g} |" for module, value in automatic.items()),
            f"| written answers in the notebooks (graded by hand) | {len(written)} x "
            f"{max(written, default=0):g} |",
            f"| **total** | **{sum(automatic.values()):g} + {sum(written):g}** |"]
    return STUDENT_README.format(
        count=len(notebooks),
        notebook_list="\n".join(f"   - `{source.name}`" for source in notebooks),
        points_table="\n".join(rows))


# Instructor-only parts of the engine, left out of the student tree; each command that
# needs one refuses there (``autograder.cli._instructor_only``). ``classreport`` is the
# class report (``dltips report``): it reads a whole class's graded folder.
_PRIVATE_ENGINE_PARTS = ("course/suites/hidden", "course/suites/public/generate.py",
                         "course/references", "course/samples", "course/mistakes",
                         "classreport")


def build_student_release(out: Path, root: Path = REPO_ROOT,
                          settings: Settings | None = None) -> Path:
    """Lay out the student tree in ``out`` (replaced if it exists) and return it.

    It holds the stubs, the grading engine with its visible suites, and a pyproject that
    installs ``dltips`` without the reference solutions. ``settings`` (the language of
    ``dltips check`` and the notebooks' lines) is saved in its package
    (``autograder/settings.json``).
    """
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for module in MODULES:
        (out / "assignments").mkdir(exist_ok=True)
        (out / "assignments" / f"{module}.py").write_text(stub_text(module, root), "utf-8")
    (out / "assignments" / "__init__.py").write_text(ASSIGNMENTS_INIT, encoding="utf-8")
    _copy_notebooks_and_data(out / "assignments", root)
    shutil.copytree(root / "autograder", out / "autograder", ignore=_ignore_private(root))
    write_settings(out / "autograder" / SETTINGS_FILE.name, settings or Settings())
    # The lecture examples' datasets (dltips examples reads them from here).
    shutil.copytree(root / "source_data", out / "source_data",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (out / "README.md").write_text(student_readme(root), encoding="utf-8")
    (out / "pyproject.toml").write_text(_student_pyproject(root), encoding="utf-8")
    return out


def _copy_notebooks_and_data(target: Path, root: Path) -> None:
    """The student notebooks and, in ``data/``, the files they read (see
    ``autograder.delivery.notebook``: it looks in the notebook folder's ``data/``)."""
    from autograder.delivery import student_notebooks

    for source in student_notebooks.source_notebooks(root):
        text = student_notebooks.student_notebook_text(source)
        (target / source.name).write_text(text, encoding="utf-8")
    (target / "data").mkdir(exist_ok=True)
    for name in student_notebooks.data_files(root):
        shutil.copyfile(student_notebooks.data_source(name, root), target / "data" / name)


def _ignore_private(root: Path):
    engine = (root / "autograder").resolve()
    private = {(engine / part).resolve() for part in _PRIVATE_ENGINE_PARTS}

    def ignore(directory: str, names: list[str]) -> set[str]:
        here = Path(directory).resolve()
        return {n for n in names if here / n in private or n == "__pycache__"}

    return ignore


def _student_pyproject(root: Path) -> str:
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    return text.replace('include = ["autograder*", "solutions*", "assignments*"]',
                        'include = ["autograder*", "assignments*"]')
