"""Hidden suite for ``gradient_descent``: the linear model, its MSE gradients, full-batch
gradient descent vs Keras ``Dense(1)`` + ``SGD``, least squares vs scikit-learn, and the
learning-rate diagnosis (10 points)."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.course import mistakes
from autograder.course.references import cases
from autograder.course.references.generate import tolerance
from autograder.course.suites import as_array, named, unpack
from autograder.course.suites.hidden import ATOL, RTOL, check_keras
from autograder.grading.testing import check_close, check_equal, forbid_warnings

pytestmark = pytest.mark.module("gradient_descent")

# Keras computes predictions and losses in float32: values near 0 need an absolute floor.
PREDICT_ATOL = 1e-5
GRADS = ("loss", "dw", "db")
RUN = ("w", "b", "history")


@pytest.mark.points(1)
@pytest.mark.functions("predict")
def test_predict(student, reference, keras_refs):
    """predict(X, w, b) = X @ w + b for X of shapes (6, 3), (10, 1), (4, 5), as Dense(1)."""
    for name in cases.names("predict"):
        c = cases.get(name)
        got = student.predict(c["X"], c["w"], c["b"])
        label = f"predict with X of shape {c['X'].shape}"
        check_close(label, got, reference.predict(c["X"], c["w"], c["b"]), rtol=RTOL, atol=1e-10)
        check_close(f"{label} vs Keras Dense(1)", got, keras_refs[f"{name}/out"], rtol=1e-5,
                    atol=PREDICT_ATOL)


@pytest.mark.points(2)
@pytest.mark.functions("mse_loss_and_grads")
def test_mse_loss_and_grads(student, reference, keras_refs):
    """(loss, dw, db) of the MSE match the reference and Keras's GradientTape."""
    for name in cases.names("mse_grads"):
        c = cases.get(name)
        args = (c["X"], c["y"], c["w"], c["b"])
        got = unpack(student.mse_loss_and_grads(*args), 3, "mse_loss_and_grads")
        label = f"mse_loss_and_grads for X of shape {c['X'].shape}"
        check_close(label, named(GRADS, got), named(GRADS, reference.mse_loss_and_grads(*args)),
                    rtol=RTOL, atol=1e-10, mistakes=mistakes.values(
                        "mse_loss_and_grads", lambda m, a=args: named(GRADS, m(*a))))
        for value, field in zip(got, ("loss", "dw", "db"), strict=True):
            check_keras(f"{field} for X of shape {c['X'].shape}", value, keras_refs, name, field)


def _gd_args(c: dict) -> tuple[tuple, dict]:
    kwargs = {k: c[k] for k in ("w0", "b0") if k in c}
    return (c["X"], c["y"], c["learning_rate"], c["epochs"]), kwargs


def _check_gd_case(student, reference, keras_refs, name: str) -> tuple:
    """The run vs the float64 reference (tight) and vs Keras (at the case's tolerance)."""
    c = cases.get(name)
    args, kwargs = _gd_args(c)
    got = unpack(student.gradient_descent(*args, **kwargs), 3, "gradient_descent")
    label = (f"gradient_descent, {c['epochs']} epochs at learning_rate "
             f"{c['learning_rate']}" + (" from the given w0, b0" if kwargs else ""))
    check_close(label, named(RUN, got), named(RUN, reference.gradient_descent(*args, **kwargs)),
                rtol=RTOL, atol=1e-10, mistakes=mistakes.values(
                    "gradient_descent", lambda m: named(RUN, m(*args, **kwargs))))
    for value, field in zip(got, ("w", "b", "history"), strict=True):
        check_keras(f"{field} of case {name}", value, keras_refs, name, field)
    return got


@pytest.mark.points(1.5)
@pytest.mark.functions("gradient_descent")
def test_gradient_descent_matches_keras_fit(student, reference, keras_refs):
    """gradient_descent equals Keras fit (batch_size=N, shuffle=False): w, b, loss history,
    from zeros (w0=None) and from a given w0, b0."""
    for name in ("gd_converge", "gd_start"):
        _check_gd_case(student, reference, keras_refs, name)


@pytest.mark.points(1)
@pytest.mark.functions("gradient_descent")
def test_gradient_descent_slow_and_diverging(student, reference, keras_refs):
    """gradient_descent with a too small learning rate, and with a too large one: the loss
    grows every epoch, by Keras's factors, to Keras's magnitudes."""
    _check_gd_case(student, reference, keras_refs, "gd_slow")
    c = cases.get("gd_diverge")
    history = as_array(_check_gd_case(student, reference, keras_refs, "gd_diverge")[2],
                       "history", (c["epochs"],))
    check_equal(f"the loss grows every epoch at learning_rate {c['learning_rate']}",
                bool(np.all(np.diff(history) > 0)), True)
    keras_history = keras_refs["gd_diverge/history"]
    rtol, _ = tolerance("gd_diverge", "history")
    check_close("the loss's growth factor per epoch vs Keras", history[1:] / history[:-1],
                keras_history[1:] / keras_history[:-1], rtol=2 * rtol)


@pytest.mark.points(0.5)
@pytest.mark.functions("gradient_descent")
def test_gradient_descent_overflow_and_zero_epochs(student, reference):
    """A run that overflows makes all its updates without a warning (its history ends in
    inf/NaN); epochs=0 returns the start point with an empty history."""
    c = cases.get("gd_overflow")
    args, kwargs = _gd_args(c)
    with forbid_warnings(f"a run that overflows (learning_rate {c['learning_rate']})"):
        result = student.gradient_descent(*args, **kwargs)
    _, _, history = unpack(result, 3, "gradient_descent")
    history = as_array(history, "history", (c["epochs"],))
    expected = reference.gradient_descent(*args, **kwargs)[2]
    # Past overflow, inf and NaN may land differently: compare the part well below it.
    finite = int(np.argmax(~(np.abs(expected) < 1e100)))
    check_close(f"the first {finite} losses of a diverging run", history[:finite],
                expected[:finite], rtol=RTOL, atol=ATOL)
    check_equal("the last loss of a run that overflowed is inf or NaN",
                bool(np.isfinite(history[-1])), False)

    c = cases.get("gd_zero_epochs")
    args, kwargs = _gd_args(c)
    got = unpack(student.gradient_descent(*args, **kwargs), 3, "gradient_descent")
    check_close("gradient_descent with epochs=0", named(RUN, got),
                named(RUN, reference.gradient_descent(*args, **kwargs)), rtol=RTOL, atol=ATOL)


@pytest.mark.points(2)
@pytest.mark.functions("least_squares")
def test_least_squares(student, reference, keras_refs):
    """least_squares equals scikit-learn's LinearRegression (noisy, exact, badly scaled X)."""
    for name in cases.names("lsq"):
        c = cases.get(name)
        got = unpack(student.least_squares(c["X"], c["y"]), 2, "least_squares")
        label = f"least_squares on case {name}"
        check_close(label, named("wb", got), named("wb", reference.least_squares(c["X"], c["y"])),
                    rtol=RTOL, atol=1e-9, mistakes=mistakes.values(
                        "least_squares", lambda m, c=c: named("wb", m(c["X"], c["y"]))))
        check_keras(f"w of case {name}", got[0], keras_refs, name, "w")
        check_keras(f"b of case {name}", got[1], keras_refs, name, "b")


def _check_diagnosis(student, reference, history, optimum: float, rtol, label: str) -> None:
    kwargs = {} if rtol is None else {"rtol": rtol}
    got = student.diagnose_learning_rate(history, optimum, **kwargs)
    check_close(label, got, reference.diagnose_learning_rate(history, optimum, **kwargs),
                mistakes=mistakes.values("diagnose_learning_rate",
                                         lambda m: m(history, optimum, **kwargs)))


@pytest.mark.points(1)
@pytest.mark.functions("diagnose_learning_rate")
def test_diagnose_learning_rate_rules(student, reference):
    """diagnose_learning_rate on NaN and inf histories, a rising one, a bumpy converged one,
    a slow one, a custom rtol, and runs that start at or just below the optimum."""
    for name in cases.names("diagnose"):
        c = cases.get(name)
        _check_diagnosis(student, reference, c["history"], c["optimum"], c["rtol"],
                         f"diagnosis of history {list(c['history'])}"
                         + ("" if c["rtol"] is None else f" with rtol={c['rtol']}"))


@pytest.mark.points(1)
@pytest.mark.functions("diagnose_learning_rate")
def test_diagnose_learning_rate_on_keras_histories(student, reference, keras_refs):
    """diagnose_learning_rate on Keras fit histories: converged, too slow, diverged."""
    for name in ("gd_converge", "gd_slow", "gd_diverge"):
        c = cases.get(name)
        _check_diagnosis(student, reference, keras_refs[f"{name}/history"], c["optimum"], None,
                         f"diagnosis of the Keras history at learning_rate "
                         f"{c['learning_rate']}")
