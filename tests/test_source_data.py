"""The bundled datasets: the lecture's table as printed, the generated files fresh."""

from __future__ import annotations

import csv
import importlib.util

import numpy as np

from autograder.course.contract import REPO_ROOT

SOURCE = REPO_ROOT / "source_data"
_spec = importlib.util.spec_from_file_location("source_data_generate", SOURCE / "generate.py")
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)


def test_lecture_table_is_the_lecture_table():
    with (SOURCE / "lecture_table.csv").open() as handle:
        rows = list(csv.reader(handle))
    assert rows == [["x1", "x2", "y"], ["1", "9000", "A"], ["2", "-5000", "A"],
                    ["4", "-2000", "B"], ["6", "8000", "B"], ["9", "9000", "C"]]


def test_generated_files_are_fresh_and_reproducible():
    assert generate.main(["--check"]) == 0
    assert generate.datasets() == generate.datasets()


def test_linear_regression_data_recovers_its_coefficients():
    from sklearn.linear_model import LinearRegression

    X, y = generate.load("linear_regression_3f")
    assert X.shape == (100, 3)
    model = LinearRegression().fit(X, y)
    np.testing.assert_allclose(model.coef_, [2.0, -3.0, 0.5], atol=0.05)
    assert abs(model.intercept_ - 4.0) < 0.05


def test_badly_scaled_data_is_badly_scaled():
    X, _ = generate.load("badly_scaled_2f")
    scale_ratio = X[:, 1].std() / X[:, 0].std()
    assert scale_ratio > 100
