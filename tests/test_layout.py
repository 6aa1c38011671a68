"""The package's rooms and who may import whom (see each subpackage's docstring).

The rules are read from the source with ``ast``, imports inside functions included, so a
lazy import cannot slip past them; a subprocess then proves the sandbox loads nothing of the
trusted side when it is imported for real.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "autograder"
ROOMS = ("sandbox", "grading", "course", "delivery", "examples", "classreport")

# room -> the autograder modules it may import (prefix match); anything else is a violation.
ALLOWED = {
    "sandbox.worker": (),
    "sandbox": ("autograder.sandbox",),
    "course": ("autograder.course", "autograder.grading.testing"),
    "grading": ("autograder.grading", "autograder.sandbox", "autograder.course"),
    "delivery": ("autograder.delivery", "autograder.grading", "autograder.course",
                 "autograder.sandbox"),
    "examples": ("autograder.examples", "autograder.course.contract"),
    "classreport": ("autograder.classreport", "autograder.grading", "autograder.course"),
    "cli": ("autograder",),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room_of(name: str) -> str:
    parts = name.split(".")
    if parts[1:3] == ["sandbox", "worker"]:
        return "sandbox.worker"
    return parts[1] if len(parts) > 1 and parts[1] in ROOMS else "cli"


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imported_modules(path: Path) -> set[str]:
    """Every ``autograder...`` module a file imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # ``from autograder.grading import report`` imports autograder.grading.report
            found.update(f"{node.module}.{alias.name}" for alias in node.names
                         if is_module(f"{node.module}.{alias.name}"))
    return {name for name in found if name == "autograder" or name.startswith("autograder.")}


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
GRAPH = {module_name(p): imported_modules(p) for p in SOURCES}


def test_every_module_lives_in_a_room_or_is_the_front_door():
    loose = [name for name in GRAPH if room_of(name) == "cli"
             and name not in ("autograder", "autograder.cli")]
    assert loose == []


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_imports_follow_the_room_rules(name):
    bad = violations(name, GRAPH[name])
    assert bad == [], f"{name} ({room_of(name)}) may not import {bad}"


def violations(name: str, imported: set[str]) -> list[str]:
    """The imports of module ``name`` that its room's rules forbid."""
    allowed = ALLOWED[room_of(name)]
    return sorted(i for i in imported
                  if i != "autograder" and not any(i == a or i.startswith(a + ".")
                                                    for a in allowed))


def test_no_import_cycles():
    known = set(GRAPH)
    edges = {m: {i for i in deps if i in known and i != m} for m, deps in GRAPH.items()}
    # A package imports its own submodules only to re-export: not an edge back to it.
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_the_rules_bite(tmp_path):
    """Planted violations, one of them a lazy import inside a function, are found by the
    same functions the rules use; an allowed import is not."""
    planted = tmp_path / "planted.py"
    planted.write_text("from autograder.course.contract import MODULES\n"
                       "def later():\n    from autograder.grading import engine\n")
    imported = imported_modules(planted)
    assert "autograder.grading.engine" in imported
    assert violations("autograder.sandbox.planted", imported) == [
        "autograder.course.contract", "autograder.grading", "autograder.grading.engine"]
    assert violations("autograder.sandbox.worker.planted", {"autograder.sandbox.paths"}) == [
        "autograder.sandbox.paths"]
    assert violations("autograder.grading.planted", imported) == []


def test_importing_the_sandbox_loads_nothing_of_the_trusted_side():
    code = ("import sys, autograder.sandbox.session, autograder.sandbox.levels\n"
            "print('\\n'.join(m for m in sys.modules if m.startswith('autograder.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=PACKAGE.parent, check=True)
    loaded = done.stdout.split()
    assert "autograder.sandbox.session" in loaded
    assert [m for m in loaded if not m.startswith("autograder.sandbox")] == []


def test_nothing_trusted_imports_the_examples():
    """Section 6's demos import TensorFlow: no grading path may reach them."""
    users = sorted(name for name, deps in GRAPH.items()
                   if room_of(name) not in ("examples", "cli")
                   and any(d.startswith("autograder.examples") for d in deps))
    assert users == []


def test_every_room_says_what_it_owns_and_its_import_rules():
    for room in ROOMS:
        doc = ast.get_docstring(ast.parse((PACKAGE / room / "__init__.py").read_text()))
        assert doc and "import" in doc.lower(), room
