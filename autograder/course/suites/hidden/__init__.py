"""Hidden grading suites: one file per student module, never shipped to students.

Each test compares the submission with the reference solution (``reference`` fixture) on
grader-made inputs from ``autograder.course.references.cases``, and with the cached Keras or
scikit-learn outputs (``keras_refs``) at the tolerances of
``autograder.course.references.generate.tolerance``. Points per module are pinned by
``tests/test_suites_static.py`` (``MODULE_POINTS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autograder.course.references.generate import tolerance
from autograder.grading.testing import check_close

MODULE_POINTS = {
    "losses": 14.0,
    "gradient_descent": 10.0,
    "normalization": 8.0,
    "regularization": 10.0,
    "dropout": 8.0,
    "optimizers": 20.0,
    "batchnorm": 10.0,
}

# Against the float64 reference: a correct float64 implementation differs by rounding only.
RTOL = 1e-6
ATOL = 1e-12


def check_keras(label: str, actual: Any, keras_refs: Mapping[str, Any], case: str,
                field: str) -> None:
    """Compare with the cached Keras / scikit-learn value ``case/field``."""
    expected = keras_refs[f"{case}/{field}"]
    rtol, atol = tolerance(case, field, expected)
    source = "scikit-learn" if rtol < 1e-6 else "Keras"
    check_close(f"{label} vs {source}", actual, expected, rtol=rtol, atol=atol)
