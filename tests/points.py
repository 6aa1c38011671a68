"""Point totals the tests expect, derived from the suites' own markers (never typed in)."""

from __future__ import annotations

import importlib
import inspect

from autograder.course.contract import CONTRACT, MODULE_PROFILES
from autograder.course.suites.hidden import MODULE_POINTS


def suite_points(suite: str) -> dict[str, float]:
    """module -> the points of its tests in ``suite`` ("hidden" or "public")."""
    totals: dict[str, float] = {}
    for module in CONTRACT:
        tests = importlib.import_module(f"autograder.course.suites.{suite}.test_{module}")
        totals[module] = sum(
            float(mark.args[0]) for name, test in vars(tests).items()
            if name.startswith("test_") and inspect.isfunction(test)
            for mark in getattr(test, "pytestmark", []) if mark.name == "points")
    return totals


TOTAL_POINTS = sum(MODULE_POINTS.values())
# The modules graded with numpy alone; the keras-profile ones are slow to grade (TensorFlow),
# so tests about something else leave their files out of a submission.
NUMPY_POINTS = sum(p for m, p in MODULE_POINTS.items() if m not in MODULE_PROFILES)
HEAVY_FILES = tuple(f"{m}.py" for m in MODULE_PROFILES)
