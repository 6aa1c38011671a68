"""Public checks for ``normalization`` (run them with ``dltips check normalization``)."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.course.suites import as_array, named, unpack
from autograder.course.suites.public import case, hint
from autograder.grading.testing import check_close

pytestmark = pytest.mark.module("normalization")


@pytest.mark.points(1)
@pytest.mark.functions("standardize_fit")
def test_standardize_fit(student):
    """Per-column mean and population std of data with a constant column."""
    c = case("norm")
    got = unpack(student.standardize_fit(c["X"]), 2, "standardize_fit")
    with hint("X.mean(axis=0) and the POPULATION std X.std(axis=0) (ddof=0, not 1)."):
        check_close("standardize_fit", named(("mean", "std"), got),
                    {"mean": c["want_mean"], "std": c["want_std"]}, atol=1e-10)


@pytest.mark.points(1)
@pytest.mark.functions("standardize")
def test_standardize(student):
    """Standardized training data has column means 0 and stds 1 (constant column: 0)."""
    c = case("norm")
    X, mean, std = c["X"], c["want_mean"], c["want_std"]
    got = as_array(student.standardize(X, mean, std), "standardize(X, mean, std)", X.shape)
    with hint("(X - mean) / maximum(std, epsilon): a constant column must become 0, not NaN."):
        check_close("column means of the standardized data", got.mean(axis=0), np.zeros(3),
                    atol=1e-9)
        check_close("column stds of the standardized data", got.std(axis=0),
                    np.array([1.0, 1.0, 0.0]),
                    atol=1e-9)
        check_close("standardize(X_new, mean, std)", student.standardize(c["X_new"], mean, std),
                    c["want_standardized"])


@pytest.mark.points(1)
@pytest.mark.functions("min_max_fit")
def test_min_max_fit(student):
    """Per-column minimum and maximum."""
    c = case("norm")
    got = unpack(student.min_max_fit(c["X"]), 2, "min_max_fit")
    with hint("(X.min(axis=0), X.max(axis=0)), in that order."):
        check_close("min_max_fit", named(("x_min", "x_max"), got),
                    {"x_min": c["want_min"], "x_max": c["want_max"]})


@pytest.mark.points(1)
@pytest.mark.functions("min_max_scale")
def test_min_max_scale(student):
    """Scaled training data spans [0, 1] per column; new data may leave [0, 1]; a constant
    column gives 0 on its own data and x - x_min on new data."""
    c = case("norm")
    x_min, x_max = c["want_min"], c["want_max"]
    got = as_array(student.min_max_scale(c["X"], x_min, x_max), "min_max_scale", c["X"].shape)
    with hint("(X - x_min) / (x_max - x_min), dividing by 1 where the range is below epsilon "
              "(a constant column); do not clip new data."):
        check_close("column minima of the scaled data", got.min(axis=0), np.zeros(3))
        check_close("column maxima of the scaled data (constant column: 0)", got.max(axis=0),
                    np.array([1.0, 1.0, 0.0]))
        check_close("min_max_scale(X_new, x_min, x_max)",
                    student.min_max_scale(c["X_new"], x_min, x_max), c["want_scaled"])
