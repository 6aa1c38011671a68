"""Public checks for ``losses`` (run them with ``dltips check losses``)."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.course.suites import as_array
from autograder.course.suites.public import case, hint
from autograder.grading.testing import check_close, forbid_warnings

pytestmark = pytest.mark.module("losses")


@pytest.mark.points(1)
@pytest.mark.functions("sigmoid")
def test_sigmoid(student):
    """sigmoid on a (3, 4) array, at 0, and at +-1e4 without overflow (no warning)."""
    c = case("sigmoid")
    with hint("sigmoid(z) = 1 / (1 + exp(-z)), element-wise; keep the input's shape."):
        check_close("sigmoid(z)", student.sigmoid(c["z"]), c["want_out"])
        check_close("sigmoid(0.0)", student.sigmoid(0.0), 0.5)
    with hint("exp(-z) overflows for z < -709: compute with exp(-|z|), as the docstring says."):
        with forbid_warnings("sigmoid([-1e4, 1e4])"):
            got = student.sigmoid(np.array([-1e4, 1e4]))
        check_close("sigmoid([-1e4, 1e4])", got, np.array([0.0, 1.0]))


@pytest.mark.points(1)
@pytest.mark.functions("softmax")
def test_softmax(student):
    """softmax rows are non-negative and sum to 1, match the expected values, and logits of
    1e4 do not overflow (no warning)."""
    c = case("softmax")
    got = as_array(student.softmax(c["z"]), "softmax(z)", c["z"].shape)
    with hint("each row should sum to 1: divide exp(z) by its sum along `axis` "
              "(keepdims=True)."):
        check_close("the row sums of softmax(z)", got.sum(axis=-1), np.ones(len(got)))
        check_close("softmax(z)", got, c["want_out"])
    with hint("subtract the row maximum before np.exp: exp(1e4) is inf and inf/inf is NaN."):
        with forbid_warnings("softmax([[1e4, 0, -1e4]])"):
            got = student.softmax(np.array([[1e4, 0.0, -1e4]]))
        check_close("softmax([[1e4, 0, -1e4]])", got, np.array([[1.0, 0.0, 0.0]]))


@pytest.mark.points(1)
@pytest.mark.functions("mean_squared_error")
def test_mean_squared_error(student):
    """mean_squared_error on a hand-checked example and on random data."""
    with hint("the MEAN of the squared differences over all elements (no 1/2)."):
        check_close("mean_squared_error([1, 2, 3], [1, 2, 5])",
                    student.mean_squared_error([1.0, 2.0, 3.0], [1.0, 2.0, 5.0]), 4.0 / 3.0)
        c = case("mse")
        check_close("mean_squared_error(y_true, y_pred)",
                    student.mean_squared_error(c["y_true"], c["y_pred"]), c["want_loss"])


@pytest.mark.points(1)
@pytest.mark.functions("binary_crossentropy")
def test_binary_crossentropy(student):
    """binary_crossentropy of probabilities, and a finite value without warnings for
    probabilities 0 and 1."""
    c = case("bce")
    with hint("-mean(y*log(p) + (1-y)*log(1-p)) with p clipped to [epsilon, 1-epsilon]."):
        check_close("binary_crossentropy(y_true, y_pred)",
                    student.binary_crossentropy(c["y_true"], c["y_pred"]), c["want_loss"])
    with hint("clip y_pred to [epsilon, 1 - epsilon] BEFORE taking the log: log(0) is -inf."):
        with forbid_warnings("binary_crossentropy([1, 0], [0, 1])"):
            got = student.binary_crossentropy([1.0, 0.0], [0.0, 1.0])
        check_close("binary_crossentropy([1, 0], [0, 1])", got, -np.log(1e-7), rtol=1e-6)


@pytest.mark.points(1)
@pytest.mark.functions("categorical_crossentropy")
def test_categorical_crossentropy(student):
    """categorical_crossentropy of one-hot targets and softmax probabilities, and of the
    same rows scaled by 2 (renormalised first)."""
    c = case("cce")
    with hint("renormalise the rows of y_pred, clip, -sum(y*log p) per row, then the mean."):
        check_close("categorical_crossentropy(y_true, y_pred)",
                    student.categorical_crossentropy(c["y_true"], c["y_pred"]), c["want_loss"])
        check_close("categorical_crossentropy with rows of y_pred scaled by 2",
                    student.categorical_crossentropy(c["y_true"], 2 * c["y_pred"]),
                    c["want_loss"])


@pytest.mark.points(1)
@pytest.mark.functions("r2_score")
def test_r2_score(student):
    """r2_score of a prediction, and of a perfect prediction of a constant target."""
    c = case("r2")
    with hint("R^2 = 1 - SS_res / SS_tot, as sklearn.metrics.r2_score."):
        check_close("r2_score(y_true, y_pred)", student.r2_score(c["y_true"], c["y_pred"]),
                    c["want_score"])
        check_close("r2_score(y_true, y_true)", student.r2_score(c["y_true"], c["y_true"]), 1.0)
    with hint("a constant y_true has SS_tot == 0: return 1.0 for a perfect prediction, "
              "else 0.0."):
        check_close("r2_score([2, 2, 2], [2, 2, 2])", student.r2_score([2.0] * 3, [2.0] * 3),
                    1.0)


@pytest.mark.points(1)
@pytest.mark.functions("accuracy")
def test_accuracy(student):
    """accuracy of labels against class scores (argmax over axis 1) and against an (N, 1)
    column of sigmoid outputs (class 1 where > 0.5)."""
    c = case("accuracy")
    with hint("turn every 2-D argument into labels with np.argmax(..., axis=1) first."):
        check_close("accuracy(labels, scores)", student.accuracy(c["y_true"], c["y_pred"]),
                    c["want_accuracy"])
        check_close("accuracy(labels, labels)", student.accuracy(c["y_true"], c["y_true"]),
                    1.0)
    with hint("an (N, 1) column is binary: class 1 where the value is > 0.5, else 0 "
              "(argmax of one column is always 0)."):
        check_close("accuracy([1, 0, 1, 0], [[0.9], [0.2], [0.4], [0.5]])",
                    student.accuracy(np.array([1, 0, 1, 0]),
                                     np.array([[0.9], [0.2], [0.4], [0.5]])), 0.75)
