"""Public checks for ``gradient_descent`` (run them with ``dltips check gradient_descent``)."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.course.suites import as_array, named, unpack
from autograder.course.suites.public import case, hint
from autograder.grading.testing import check_close, check_equal

pytestmark = pytest.mark.module("gradient_descent")


@pytest.mark.points(1)
@pytest.mark.functions("predict")
def test_predict(student):
    """predict(X, w, b) on a (10, 2) X."""
    c = case("linear")
    with hint("X @ w + b: one matrix-vector product, shape (N,)."):
        check_close("predict(X, w, b)", student.predict(c["X"], c["w"], c["b"]),
                    c["want_predict"])


@pytest.mark.points(1)
@pytest.mark.functions("mse_loss_and_grads")
def test_mse_loss_and_grads(student):
    """(loss, dw, db) of the MSE at a given (w, b)."""
    c = case("linear")
    got = unpack(student.mse_loss_and_grads(c["X"], c["y"], c["w"], c["b"]), 3,
                 "mse_loss_and_grads")
    with hint("r = X @ w + b - y; loss = mean(r**2); dw = 2/N X.T @ r; db = 2/N sum(r)."):
        check_close("mse_loss_and_grads", named(("loss", "dw", "db"), got),
                    {"loss": c["want_loss"], "dw": c["want_dw"], "db": c["want_db"]})


@pytest.mark.points(1)
@pytest.mark.functions("gradient_descent")
def test_gradient_descent(student):
    """20 epochs of full-batch gradient descent at learning_rate 0.1."""
    c = case("gd")
    w, b, history = unpack(student.gradient_descent(c["X"], c["y"], c["learning_rate"],
                                                    c["epochs"]), 3, "gradient_descent")
    history = as_array(history, "history")
    with hint("history needs one loss per epoch, recorded BEFORE that epoch's update."):
        check_equal("len(history)", len(history), c["epochs"])
        check_close("history[0] (the loss at w = 0, b = 0)", history[0],
                    float(np.mean(c["y"] ** 2)))
        check_close("gradient_descent", {"w": w, "b": b, "history": history},
                    {"w": c["want_w"], "b": c["want_b"], "history": c["want_history"]})


@pytest.mark.points(1)
@pytest.mark.functions("least_squares")
def test_least_squares(student):
    """least_squares recovers an exact linear relation, and fits noisy data."""
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [1.0, 3.0]])
    with hint("append a column of ones for the bias and use np.linalg.lstsq."):
        check_close("least_squares of y = 2*x1 - x2 + 3", student.least_squares(
            X, X @ [2.0, -1.0] + 3.0), (np.array([2.0, -1.0]), 3.0), atol=1e-9)
        c = case("lsq")
        check_close("least_squares(X, y)", student.least_squares(c["X"], c["y"]),
                    (c["want_w"], c["want_b"]), atol=1e-9)


@pytest.mark.points(1)
@pytest.mark.functions("diagnose_learning_rate")
def test_diagnose_learning_rate(student):
    """The three diagnoses on obvious histories."""
    examples = [([4.0, 2.0, 1.0, 0.5001], "converged"), ([4.0, 3.9, 3.8], "too_slow"),
                ([4.0, 9.0, 30.0], "diverged"), ([4.0, 3.0, float("nan")], "diverged")]
    with hint("check the rules in order: non-finite or last > first is 'diverged' first."):
        for history, want in examples:
            check_equal(f"diagnose_learning_rate({history}, optimum=0.5)",
                        student.diagnose_learning_rate(np.array(history), 0.5), want)
