"""One points scale: a function's visible checks are worth its hidden points, so the
grade cell's label, the visible check's output, `dltips check` and the grade agree.

The hidden points are read here from the hidden suite's markers (as tests/points.py
does), independently of ``autograder.course.points``."""

from __future__ import annotations

from collections import defaultdict

import pytest
from points import NUMPY_POINTS, TOTAL_POINTS

from autograder.course import points
from autograder.course.contract import CONTRACT, MODULE_PROFILES, REPO_ROOT
from autograder.course.suites.hidden import MODULE_POINTS
from autograder.grading.engine import GradeOptions, grade_submission

NUMPY_MODULES = tuple(m for m in CONTRACT if m not in MODULE_PROFILES)


def _hidden_points_by_function() -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for module in CONTRACT:
        for functions, value in points.suite_markers("hidden", module):
            for function in functions:
                totals[function] += value / len(functions)
    return totals


def test_the_shipped_table_is_fresh_and_totals_the_hidden_suite():
    assert not points.table_is_stale(), "run `dltips release stubs`"
    assert points.module_points() == MODULE_POINTS
    assert sum(points.groups().values()) == TOTAL_POINTS == 100


def test_functions_sharing_a_test_are_one_group():
    group = ("mnist_classifier.build_model", "mnist_classifier.train_model")
    assert group in points.groups()
    by_function = _hidden_points_by_function()
    assert points.groups()[group] == pytest.approx(sum(by_function[f] for f in group))
    with pytest.raises(ValueError, match="share their tests"):
        points.function_points("mnist_classifier.build_model")


def test_rescaled_keeps_the_markers_proportions_within_a_group():
    tests = [(("dropout.dropout_forward",), 1.0), (("dropout.dropout_forward",), 3.0),
             (("dropout.dropout_backward",), 1.0)]
    forward = points.function_points("dropout.dropout_forward")
    assert points.rescaled(tests) == pytest.approx(
        [forward / 4, 3 * forward / 4, points.function_points("dropout.dropout_backward")])


def test_the_visible_checks_of_the_reference_give_each_function_its_hidden_points():
    results = grade_submission(REPO_ROOT / "solutions", GradeOptions(
        suite="public", modules=NUMPY_MODULES)).results
    earned: dict[str, float] = defaultdict(float)
    for test in results["tests"]:
        assert test["status"] == "passed", test["name"]
        functions = test["tags"][1:]  # "module.function"
        for function in functions:
            earned[function] += test["score"] / len(functions)
    hidden = _hidden_points_by_function()
    assert dict(earned) == pytest.approx({f: hidden[f] for f in earned})
    assert results["score"] == pytest.approx(NUMPY_POINTS)
