"""Hidden suite for ``normalization``: standardization vs Keras ``Normalization`` and
scikit-learn's ``StandardScaler``, min-max scaling vs ``MinMaxScaler`` (8 points)."""

from __future__ import annotations

import pytest

from autograder.course import mistakes
from autograder.course.references import cases
from autograder.course.suites import named, unpack
from autograder.course.suites.hidden import RTOL, check_keras
from autograder.grading.testing import check_close

pytestmark = pytest.mark.module("normalization")

FIT_CASES = ["norm_random", "norm_constant", "norm_lecture"]
# A constant column's std is 0: formulas that are all correct may leave ~1e-13 there.
ATOL = 1e-10


def _describe(name: str) -> str:
    return {"norm_random": "columns scaled by 1, 1000 and 0.01",
            "norm_constant": "a constant column",
            "norm_constant_new_data": "new data with other values in a constant column",
            "norm_lecture": "the lecture's table (x1, x2)",
            "norm_epsilon": "stds and ranges below a custom epsilon=0.25"}[name]


@pytest.mark.points(2)
@pytest.mark.functions("standardize_fit")
def test_standardize_fit(student, reference, keras_refs):
    """standardize_fit gives the per-column mean and population std, as Normalization.adapt."""
    for name in FIT_CASES:
        X = cases.get(name)["X"]
        got = unpack(student.standardize_fit(X), 2, "standardize_fit")
        fields = ("mean", "std")
        label = f"standardize_fit of data with {_describe(name)}"
        check_close(label, named(fields, got), named(fields, reference.standardize_fit(X)),
                    rtol=RTOL, atol=ATOL, mistakes=mistakes.values(
                        "standardize_fit", lambda m, X=X, f=fields: named(f, m(X))))
        check_keras(f"mean of data with {_describe(name)}", got[0], keras_refs, name,
                    "sklearn_mean")
        check_keras(f"mean of data with {_describe(name)}", got[0], keras_refs, name,
                    "keras_mean")
        check_keras(f"std of data with {_describe(name)}", got[1], keras_refs, name,
                    "sklearn_std")
        check_keras(f"std of data with {_describe(name)}", got[1], keras_refs, name,
                    "keras_std")


@pytest.mark.points(2)
@pytest.mark.functions("standardize")
def test_standardize(student, reference, keras_refs):
    """standardize(X, mean, std) as Keras Normalization: a constant column gives 0 on its own
    data and (x - mean) / epsilon on new data; a custom epsilon is the floor of the
    divisor."""
    for name in [*FIT_CASES, "norm_constant_new_data", "norm_epsilon"]:
        c = cases.get(name)
        X = c.get("X_apply", c["X"])
        kwargs = {"epsilon": c["epsilon"]} if "epsilon" in c else {}
        args = (X, c["mean"], c["std"])
        got = student.standardize(*args, **kwargs)
        label = f"standardize with {_describe(name)}"
        check_close(label, got, reference.standardize(*args, **kwargs), rtol=RTOL, atol=ATOL,
                    mistakes=mistakes.values("standardize",
                                             lambda m, a=args, k=kwargs: m(*a, **k)))
        if f"{name}/keras_standardized" in keras_refs:
            check_keras(label, got, keras_refs, name, "keras_standardized")


@pytest.mark.points(2)
@pytest.mark.functions("min_max_fit")
def test_min_max_fit(student, reference, keras_refs):
    """min_max_fit gives MinMaxScaler's data_min_ and data_max_."""
    for name in FIT_CASES:
        X = cases.get(name)["X"]
        got = unpack(student.min_max_fit(X), 2, "min_max_fit")
        fields = ("x_min", "x_max")
        label = f"min_max_fit of data with {_describe(name)}"
        check_close(label, named(fields, got), named(fields, reference.min_max_fit(X)),
                    rtol=RTOL, atol=ATOL, mistakes=mistakes.values(
                        "min_max_fit", lambda m, X=X, f=fields: named(f, m(X))))
        check_keras(f"x_min of data with {_describe(name)}", got[0], keras_refs, name,
                    "sklearn_min")
        check_keras(f"x_max of data with {_describe(name)}", got[1], keras_refs, name,
                    "sklearn_max")


@pytest.mark.points(2)
@pytest.mark.functions("min_max_scale")
def test_min_max_scale(student, reference, keras_refs):
    """min_max_scale as MinMaxScaler.transform: test data may leave [0, 1] (no clipping); a
    range below epsilon (a constant column; also with a custom epsilon) divides by 1, giving
    0 on its own data and x - x_min on new data."""
    for name in [*FIT_CASES, "norm_constant_new_data", "norm_epsilon"]:
        c = cases.get(name)
        X = c.get("X_apply", c["X"])
        kwargs = {"epsilon": c["epsilon"]} if "epsilon" in c else {}
        args = (X, c["x_min"], c["x_max"])
        got = student.min_max_scale(*args, **kwargs)
        label = f"min_max_scale with {_describe(name)}"
        check_close(label, got, reference.min_max_scale(*args, **kwargs), rtol=RTOL, atol=ATOL,
                    mistakes=mistakes.values("min_max_scale",
                                             lambda m, a=args, k=kwargs: m(*a, **k)))
        if f"{name}/sklearn_minmax_scaled" in keras_refs:
            check_keras(label, got, keras_refs, name, "sklearn_minmax_scaled")
