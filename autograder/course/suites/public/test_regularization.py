"""Public checks for ``regularization`` (run them with ``dltips check regularization``)."""

from __future__ import annotations

import pytest

from autograder.course.suites import named, unpack
from autograder.course.suites.public import case, hint
from autograder.grading.testing import check_close

pytestmark = pytest.mark.module("regularization")


@pytest.mark.points(1)
@pytest.mark.functions("l1_penalty")
def test_l1_penalty(student):
    """l1_penalty of one array and of a list of arrays."""
    w = case("penalty")["w"]
    with hint("l1 * the SUM of |w| over every element of every array."):
        check_close("l1_penalty(w, 0.1)", student.l1_penalty(w, 0.1),
                    case("penalty")["want_l1"])
        check_close("l1_penalty([w, w], 0.1)", student.l1_penalty([w, w], 0.1),
                    2 * case("penalty")["want_l1"])


@pytest.mark.points(1)
@pytest.mark.functions("l2_penalty")
def test_l2_penalty(student):
    """l2_penalty of one array (Keras has no 1/2)."""
    c = case("penalty")
    with hint("l2 * sum(w**2), with no factor 1/2."):
        check_close("l2_penalty(w, 0.1)", student.l2_penalty(c["w"], 0.1), c["want_l2"])


@pytest.mark.points(1)
@pytest.mark.functions("l1_l2_penalty")
def test_l1_l2_penalty(student):
    """l1_l2_penalty with strengths, and 0 with its defaults."""
    c = case("penalty")
    with hint("l1*sum|w| + l2*sum(w**2); the defaults are l1 = l2 = 0.0 (Keras 3)."):
        check_close("l1_l2_penalty(w, 0.1, 0.2)", student.l1_l2_penalty(c["w"], 0.1, 0.2),
                    c["want_l1_l2"])
        check_close("l1_l2_penalty(w)", student.l1_l2_penalty(c["w"]), 0.0)


@pytest.mark.points(1)
@pytest.mark.functions("l1_l2_penalty_grad")
def test_l1_l2_penalty_grad(student):
    """The penalty's gradient, with sign(0) = 0."""
    c = case("penalty")
    with hint("l1*sign(w) + 2*l2*w; np.sign(0) is already 0."):
        check_close("l1_l2_penalty_grad(w, 0.1, 0.2)",
                    student.l1_l2_penalty_grad(c["w"], 0.1, 0.2), c["want_grad"])


@pytest.mark.points(1)
@pytest.mark.functions("regularized_mse_loss_and_grads")
def test_regularized_mse_loss_and_grads(student):
    """(loss, dw, db) of the MSE plus the penalty on w."""
    c = case("regmse")
    got = unpack(student.regularized_mse_loss_and_grads(
        c["X"], c["y"], c["w"], c["b"], c["l1"], c["l2"]), 3, "regularized_mse_loss_and_grads")
    with hint("add the penalty to the loss and its gradient to dw only; b is not "
              "regularized and the penalty is not divided by N."):
        check_close("regularized_mse_loss_and_grads", named(("loss", "dw", "db"), got),
                    {"loss": c["want_loss"], "dw": c["want_dw"], "db": c["want_db"]})
