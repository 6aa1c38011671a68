"""One points scale: every function is worth what the hidden suite gives it, everywhere.

The hidden suite's ``@pytest.mark.points`` markers are the only place points are written.
The visible checks (``dltips check``, the notebooks' grade cells) have their own, smaller
markers that say how the checks of one function weigh against each other; at collection
(``suites/public/conftest.py``) each visible check is rescaled so that a function's checks
add up to its hidden points. A student sees "2 points" for ``sigmoid`` in the grade cell's
label, in the visible check's output and in ``dltips check``, and the hidden suite gives 2.

Functions whose tests are shared (one test tagged ``build_model`` and ``train_model``) are
scaled together: a *group* is a connected set of functions that some test of either suite
tags together. The table of groups ships with the public suite (``suites/public/
points.json``, students have no hidden suite); ``dltips release stubs`` writes it from the
markers and ``--check`` (and a project test) fails when it is stale.
"""

from __future__ import annotations

import importlib
import inspect
import json
from functools import cache
from pathlib import Path

from autograder.course.contract import CONTRACT, COURSE_DIR

POINTS_PATH = COURSE_DIR / "suites" / "public" / "points.json"

Group = tuple[str, ...]  # "module.function" names, in contract order


def suite_markers(suite: str, module: str) -> list[tuple[Group, float]]:
    """(functions as ``module.function``, points) of every test of ``suite``'s file for
    ``module``, read from the markers without running anything."""
    tests = importlib.import_module(f"autograder.course.suites.{suite}.test_{module}")
    found = []
    for name, test in vars(tests).items():
        if name.startswith("test_") and inspect.isfunction(test):
            marks = {mark.name: mark.args for mark in getattr(test, "pytestmark", [])}
            functions = tuple(f"{module}.{f}" for f in marks.get("functions", ()))
            found.append((functions, float(marks["points"][0]) if "points" in marks else 0.0))
    return found


def derive_groups() -> dict[Group, float]:
    """Groups of functions and the hidden points of each, from both suites' markers
    (instructors only: it imports the hidden suite)."""
    markers = {suite: [m for module in CONTRACT for m in suite_markers(suite, module)]
               for suite in ("hidden", "public")}
    group_of = {f"{m}.{f}": frozenset({f"{m}.{f}"}) for m in CONTRACT for f in CONTRACT[m]}
    for functions, _ in markers["hidden"] + markers["public"]:
        merged = frozenset().union(*(group_of[f] for f in functions)) if functions else None
        for f in merged or ():
            group_of[f] = merged
    order = list(group_of)
    groups: dict[Group, float] = {}
    for members in dict.fromkeys(group_of.values()):
        groups[tuple(sorted(members, key=order.index))] = 0.0
    for functions, points in markers["hidden"]:
        (group,) = {g for g in groups if functions[0] in g}
        groups[group] += points
    return groups


def table_text(groups: dict[Group, float]) -> str:
    """The shipped table as deterministic JSON text."""
    rows = [json.dumps({"functions": list(group), "points": points})
            for group, points in groups.items()]
    return '{"groups": [\n ' + ",\n ".join(rows) + "\n]}\n"


def write_table(path: Path = POINTS_PATH) -> Path:
    path.write_text(table_text(derive_groups()), encoding="utf-8")
    return path


def table_is_stale(path: Path = POINTS_PATH) -> bool:
    return not path.is_file() or path.read_text(encoding="utf-8") != table_text(
        derive_groups())


@cache
def groups() -> dict[Group, float]:
    """The shipped table: group of ``module.function`` names -> its hidden points."""
    rows = json.loads(POINTS_PATH.read_text(encoding="utf-8"))["groups"]
    return {tuple(row["functions"]): float(row["points"]) for row in rows}


def function_points(*functions: str) -> float:
    """The hidden points of these ``module.function`` names together. A group counts
    whole: ask for all of its functions (a grade cell grades a group in one cell)."""
    total = 0.0
    for group, points in groups().items():
        if set(group) & set(functions):
            if not set(group) <= set(functions):
                raise ValueError(f"{', '.join(group)} share their tests: ask for them together")
            total += points
    return total


def module_points() -> dict[str, float]:
    """module -> its hidden points."""
    totals = dict.fromkeys(CONTRACT, 0.0)
    for group, points in groups().items():
        totals[group[0].split(".")[0]] += points
    return totals


def rescaled(tests: list[tuple[Group, float]]) -> list[float]:
    """The points of visible checks on the hidden scale.

    Inputs: (functions, marker points) of every collected visible check.
    Returns: each check's points, so that the checks of a group (all of its checks must be
    among ``tests``) add up to the group's hidden points, in the proportions of the
    markers."""
    group_of = {f: group for group in groups() for f in group}
    marker_total: dict[Group, float] = {}
    for functions, points in tests:
        group = group_of[functions[0]]
        marker_total[group] = marker_total.get(group, 0.0) + points
    return [groups()[group_of[functions[0]]] * points / marker_total[group_of[functions[0]]]
            if points else 0.0 for functions, points in tests]

