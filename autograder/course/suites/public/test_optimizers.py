"""Public checks for ``optimizers`` (run them with ``dltips check optimizers``)."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.course.suites import as_array, run_trajectory
from autograder.course.suites.public import case, hint
from autograder.grading.testing import check_close

pytestmark = pytest.mark.module("optimizers")

HINTS = {
    "sgd": "m = momentum*m - lr*g; w = w + m (nesterov: w + momentum*m - lr*g).",
    "rmsprop": "v = rho*v + (1-rho)*g**2; w -= lr*g/sqrt(v + epsilon) (epsilon INSIDE).",
    "adagrad": "the accumulator starts at initial_accumulator_value (0.1), not 0.",
    "adadelta": "delta uses the OLD Edx and the NEW Eg; w += learning_rate * delta.",
    "adam": "alpha = lr*sqrt(1-beta_2**t)/(1-beta_1**t) with t starting at 1; "
            "w -= alpha*m/(sqrt(v)+epsilon).",
}
HYPER = {"sgd": {"learning_rate": 0.1, "momentum": 0.9}, "rmsprop": {"learning_rate": 0.01},
         "adagrad": {"learning_rate": 0.1}, "adadelta": {"learning_rate": 1.0},
         "adam": {"learning_rate": 0.01}}


def _check(student, name: str) -> None:
    c = case(name)
    function = f"{name}_update"
    got = run_trajectory(getattr(student, function), c["w0"], list(c["grads"]), HYPER[name],
                         function)
    with hint(HINTS[name]):
        check_close(f"{function}({HYPER[name]}): w after each of 3 steps", got,
                    c["want_trajectory"])


@pytest.mark.points(1)
@pytest.mark.functions("sgd_update")
def test_sgd_update(student):
    """Three SGD steps with momentum 0.9."""
    _check(student, "sgd")


@pytest.mark.points(1)
@pytest.mark.functions("rmsprop_update")
def test_rmsprop_update(student):
    """Three RMSprop steps."""
    _check(student, "rmsprop")


@pytest.mark.points(1)
@pytest.mark.functions("adagrad_update")
def test_adagrad_update(student):
    """Three Adagrad steps."""
    _check(student, "adagrad")


@pytest.mark.points(1)
@pytest.mark.functions("adadelta_update")
def test_adadelta_update(student):
    """Three Adadelta steps at learning_rate 1.0."""
    _check(student, "adadelta")


@pytest.mark.points(1)
@pytest.mark.functions("adam_update")
def test_adam_update(student):
    """Adam's first step moves each weight by about learning_rate; three steps as expected."""
    c = case("adam")
    w1 = as_array(student.adam_update(c["w0"], c["grads"][0], {}, learning_rate=0.01)[0],
                  "new_w", c["w0"].shape)
    with hint("with bias correction the first step is lr * g/|g| (about lr per weight)."):
        check_close("|w1 - w0| after one step", np.abs(w1 - c["w0"]), np.full(3, 0.01),
                    rtol=1e-4)
    _check(student, "adam")


def _clip(student, function: str, text: str) -> None:
    c = case("clip")
    grads = [c["g0"], c["g1"]]
    got = getattr(student, function)(grads, 1.0)
    with hint(text):
        check_close(f"{function}([[3, -4], [0.1, 0.2, -0.2]], 1.0)", got,
                    [c[f"want_{function}0"], c[f"want_{function}1"]])


@pytest.mark.points(1)
@pytest.mark.functions("clip_by_value")
def test_clip_by_value(student):
    """Every element clipped to [-1, 1]."""
    _clip(student, "clip_by_value", "np.clip(g, -clipvalue, clipvalue) for each array; "
          "return a list.")


@pytest.mark.points(1)
@pytest.mark.functions("clip_by_norm")
def test_clip_by_norm(student):
    """Each gradient rescaled on its own to norm at most 1."""
    _clip(student, "clip_by_norm", "g * c / max(||g||, c) for EACH array separately: "
          "a small gradient is unchanged.")


@pytest.mark.points(1)
@pytest.mark.functions("clip_by_global_norm")
def test_clip_by_global_norm(student):
    """All gradients rescaled by one common factor."""
    _clip(student, "clip_by_global_norm", "one global norm sqrt(sum of ||g_i||**2) over all "
          "arrays, one common factor c / max(N, c).")


@pytest.mark.points(1)
@pytest.mark.functions("inverse_time_decay")
def test_inverse_time_decay(student):
    """learning_rate / (1 + decay * iterations) at 0, 1, 10 and 1000 iterations."""
    c = case("decay")
    got = [student.inverse_time_decay(0.1, 0.01, int(i)) for i in c["iterations"]]
    with hint("learning_rate / (1 + decay * iterations), with iterations = 0 at the start."):
        check_close("inverse_time_decay(0.1, 0.01, iterations)", np.array(got, dtype=float),
                    c["want_lr"])
