"""Hidden suite for ``regularization``: L1/L2 penalties vs ``keras.regularizers``, their
gradient, and the regularized MSE vs Keras ``Dense(1, kernel_regularizer=L1L2(...))``
(10 points)."""

from __future__ import annotations

import pytest

from autograder.course import mistakes
from autograder.course.references import cases
from autograder.course.suites import named, unpack
from autograder.course.suites.hidden import RTOL, check_keras
from autograder.grading.testing import check_close

pytestmark = pytest.mark.module("regularization")

ATOL = 1e-12
GRADS = ("loss", "dw", "db")
PENALTY_CASES = {"penalty_single": "one (4, 3) array",
                 "penalty_list": "a list of arrays of shapes (3, 2), (2,), (2, 2, 2)"}


def _penalty_check(student, reference, keras_refs, function: str, strengths: tuple[str, ...],
                   field: str) -> None:
    """``function`` with explicit strengths (vs Keras) and with its defaults (vs reference)."""
    for name, what in PENALTY_CASES.items():
        c = cases.get(name)
        weights, kwargs = c["weights"], {k: c[k] for k in strengths}
        got = getattr(student, function)(weights, **kwargs)
        label = f"{function} of {what} with {kwargs}"
        check_close(label, got, getattr(reference, function)(weights, **kwargs), rtol=RTOL,
                    atol=ATOL, mistakes=mistakes.values(
                        function, lambda m, w=weights, k=kwargs: m(w, **k)))
        check_keras(label, got, keras_refs, name, field)
        default = getattr(student, function)(weights)
        check_close(f"{function} of {what} with the default strength(s)", default,
                    getattr(reference, function)(weights), rtol=RTOL, atol=ATOL,
                    mistakes=mistakes.values(function, lambda m, w=weights: m(w)))


@pytest.mark.points(2)
@pytest.mark.functions("l1_penalty")
def test_l1_penalty(student, reference, keras_refs):
    """l1_penalty = l1 * sum|w| over an array or a list of arrays, as keras.regularizers.L1."""
    _penalty_check(student, reference, keras_refs, "l1_penalty", ("l1",), "l1")


@pytest.mark.points(2)
@pytest.mark.functions("l2_penalty")
def test_l2_penalty(student, reference, keras_refs):
    """l2_penalty = l2 * sum w**2 (no 1/2), as keras.regularizers.L2."""
    _penalty_check(student, reference, keras_refs, "l2_penalty", ("l2",), "l2")


@pytest.mark.points(2)
@pytest.mark.functions("l1_l2_penalty")
def test_l1_l2_penalty(student, reference, keras_refs):
    """l1_l2_penalty as keras.regularizers.L1L2; with its defaults (0, 0) it is 0."""
    _penalty_check(student, reference, keras_refs, "l1_l2_penalty", ("l1", "l2"), "l1_l2")


@pytest.mark.points(2)
@pytest.mark.functions("l1_l2_penalty_grad")
def test_l1_l2_penalty_grad(student, reference, keras_refs):
    """l1_l2_penalty_grad = l1*sign(w) + 2*l2*w with sign(0) = 0, as TensorFlow's gradient."""
    for name in cases.names("penalty_grad"):
        c = cases.get(name)
        args = (c["w"], c["l1"], c["l2"])
        got = student.l1_l2_penalty_grad(*args)
        label = f"l1_l2_penalty_grad with l1={c['l1']}, l2={c['l2']} (w has exact zeros)"
        check_close(label, got, reference.l1_l2_penalty_grad(*args), rtol=RTOL, atol=ATOL,
                    mistakes=mistakes.values("l1_l2_penalty_grad", lambda m, a=args: m(*a)))
        check_keras(label, got, keras_refs, name, "grad")


@pytest.mark.points(2)
@pytest.mark.functions("regularized_mse_loss_and_grads")
def test_regularized_mse_loss_and_grads(student, reference, keras_refs):
    """(loss, dw, db) equal Keras Dense(1, kernel_regularizer=L1L2(l1, l2)) with loss="mse",
    for L1 and L2 together, alone, and neither."""
    for name in cases.names("regmse"):
        c = cases.get(name)
        args = (c["X"], c["y"], c["w"], c["b"], c["l1"], c["l2"])
        got = unpack(student.regularized_mse_loss_and_grads(*args), 3,
                     "regularized_mse_loss_and_grads")
        label = f"regularized_mse_loss_and_grads with l1={c['l1']}, l2={c['l2']}"
        check_close(label, named(GRADS, got),
                    named(GRADS, reference.regularized_mse_loss_and_grads(*args)), rtol=RTOL,
                    atol=1e-10, mistakes=mistakes.values("regularized_mse_loss_and_grads",
                                                         lambda m, a=args: named(GRADS, m(*a))))
        for value, field in zip(got, ("loss", "dw", "db"), strict=True):
            check_keras(f"{field} with l1={c['l1']}, l2={c['l2']}", value, keras_refs, name,
                        field)
