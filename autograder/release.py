"""Build what students get from what instructors keep.

``solutions/<module>.py`` is the single source. Each graded function's body sits between
``# BEGIN SOLUTION`` and ``# END SOLUTION`` lines, optionally opened by a ``# HINT: ...``
comment. A stub keeps everything outside the regions byte for byte and turns each region
into one ``raise NotImplementedError("<function>: <hint>")`` line.

Two products:
- ``write_stubs`` refreshes ``assignments/`` in the repository (committed, checked fresh by
  a test);
- ``build_student_release`` lays out a self-contained student tree: stubs, the engine, the
  visible suites, nothing private (no solutions, hidden suites or cached references).
"""

from __future__ import annotations

import functools
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder.contract import MODULES, REPO_ROOT

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
HINT = "# HINT:"
STUB_HEADER = (
    "# Student exercise: replace every `raise NotImplementedError(...)` with your code.\n"
    "# Generated from the reference solutions by `dltips release stubs`; the function names,\n"
    "# parameters and docstrings are the contract the grader checks.\n"
)
_DEF = re.compile(r"^\s*def\s+(\w+)\s*\(")


class ReleaseError(ValueError):
    """A solution file breaks the region rules (unbalanced or nested markers)."""


@dataclass(frozen=True)
class Region:
    """One solution region: the function it belongs to and its one-line hint."""

    function: str
    hint: str


def make_stub(source: str, filename: str = "<solution>") -> str:
    """Return the student stub of one solution module's source text."""
    return _split(source, filename)[0]


def regions(source: str, filename: str = "<solution>") -> list[Region]:
    """The solution regions of one module's source, in file order."""
    return _split(source, filename)[1]


@functools.cache
def solution_hints(module: str, root: Path = REPO_ROOT) -> dict[str, str]:
    """function -> its one-line hint; empty where the solutions are absent (student tree)."""
    path = solution_path(module, root)
    if not path.exists():
        return {}
    return {r.function: r.hint for r in regions(path.read_text(encoding="utf-8"), str(path))
            if r.hint}


def _split(source: str, filename: str) -> tuple[str, list[Region]]:
    """One pass over a solution module: its stub text and its regions."""
    out: list[str] = [STUB_HEADER]
    found: list[Region] = []
    function = None
    lines = iter(enumerate(source.splitlines(keepends=True), start=1))
    for number, line in lines:
        if match := _DEF.match(line):
            function = match.group(1)
        if line.strip() == END:
            raise ReleaseError(f"{filename}:{number}: {END} without {BEGIN}")
        if line.strip() != BEGIN:
            out.append(line)
            continue
        if function is None:
            raise ReleaseError(f"{filename}:{number}: {BEGIN} outside a function")
        indent = line[: len(line) - len(line.lstrip())]
        region = _consume_region(lines, function, filename, number)
        found.append(region)
        message = f"{region.function}: {region.hint}" if region.hint else region.function
        out.append(f"{indent}raise NotImplementedError({message!r})\n")
    return "".join(out), found


def _consume_region(lines, function: str, filename: str, start: int) -> Region:
    """Skip the lines of one region, returning its hint; the END line is consumed too."""
    hint = ""
    for number, line in lines:
        stripped = line.strip()
        if stripped == END:
            return Region(function, hint)
        if stripped == BEGIN:
            raise ReleaseError(f"{filename}:{number}: nested {BEGIN}")
        if stripped.startswith(HINT) and not hint:
            hint = stripped[len(HINT):].strip()
    raise ReleaseError(f"{filename}:{start}: {BEGIN} is never closed")


def solution_path(module: str, root: Path = REPO_ROOT) -> Path:
    return root / "solutions" / f"{module}.py"


def stub_text(module: str, root: Path = REPO_ROOT) -> str:
    path = solution_path(module, root)
    return make_stub(path.read_text(encoding="utf-8"), str(path))


def write_stubs(root: Path = REPO_ROOT) -> list[Path]:
    """Regenerate ``assignments/<module>.py`` for every module; returns the files written."""
    target = root / "assignments"
    target.mkdir(exist_ok=True)
    (target / "__init__.py").write_text(
        '"""Your exercise modules: fill in each function, then run `dltips check`."""\n',
        encoding="utf-8",
    )
    written = []
    for module in MODULES:
        path = target / f"{module}.py"
        path.write_text(stub_text(module, root), encoding="utf-8")
        written.append(path)
    return written


def stale_stubs(root: Path = REPO_ROOT) -> list[str]:
    """Modules whose committed stub differs from what the solutions generate now."""
    stale = []
    for module in MODULES:
        path = root / "assignments" / f"{module}.py"
        if not path.exists() or path.read_text(encoding="utf-8") != stub_text(module, root):
            stale.append(module)
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
4. Submit the files in `assignments/` as your instructor says (nbgrader or Gradescope).

The hidden tests check only what the docstrings state, on more inputs and edge cases than
the visible checks, so a function that follows its docstring gets full marks.

Also: `dltips examples --out figures/` trains the lecture's examples and draws their figures
(with your own modules), and `dltips predict my_digit.png` recognises a digit you wrote.
"""
_PRIVATE_ENGINE_PARTS = ("suites/hidden", "suites/public/generate.py", "references", "samples",
                         "mistakes.py")


def build_student_release(out: Path, root: Path = REPO_ROOT) -> Path:
    """Lay out the student tree in ``out`` (replaced if it exists) and return it.

    It holds the stubs, the grading engine with its visible suites, and a pyproject that
    installs ``dltips`` without the reference solutions.
    """
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for module in MODULES:
        (out / "assignments").mkdir(exist_ok=True)
        (out / "assignments" / f"{module}.py").write_text(stub_text(module, root), "utf-8")
    (out / "assignments" / "__init__.py").write_text("", encoding="utf-8")
    shutil.copytree(root / "autograder", out / "autograder", ignore=_ignore_private(root))
    # The lecture examples' datasets (dltips examples reads them from here).
    shutil.copytree(root / "source_data", out / "source_data",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (out / "README.md").write_text(STUDENT_README, encoding="utf-8")
    (out / "pyproject.toml").write_text(_student_pyproject(root), encoding="utf-8")
    return out


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
