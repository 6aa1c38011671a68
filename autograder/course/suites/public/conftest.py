"""The visible checks count on the hidden suite's scale (``autograder.course.points``):
each check's ``points`` marker is replaced, at collection, by its share of its functions'
hidden points, so ``dltips check`` and the notebooks' grade cells show the points that
count."""

from __future__ import annotations

import pytest

from autograder.course.points import rescaled


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = []
    for item in items:
        module = item.get_closest_marker("module")
        functions = item.get_closest_marker("functions")
        points = item.get_closest_marker("points")
        tests.append((tuple(f"{module.args[0]}.{f}" for f in functions.args),
                      float(points.args[0])))
    for item, points in zip(items, rescaled(tests), strict=True):
        item.add_marker(pytest.mark.points(points), append=False)
