"""The single source: ``solutions/<module>.py`` and the regions that become the stubs.

Each graded function's body sits between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` lines,
optionally opened by a ``# HINT: ...`` comment. A stub keeps everything outside the regions
byte for byte and turns each region into one ``raise NotImplementedError("<function>:
<hint>")`` line. The hints also feed the grading feedback.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.course.contract import REPO_ROOT

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
