"""Hidden suite for ``optimizers``: 8-step trajectories of every update rule and option vs
the reference and the Keras 3 optimizers, the three gradient clips vs Keras's
``clipvalue``/``clipnorm``/``global_clipnorm``, and the Keras 2 decay vs
``InverseTimeDecay`` (20 points).

Trajectories are compared as displacements ``w - w0`` with the reference (so a mistake in a
small update is not hidden by a large w0), and as ``w`` with Keras. The optimizer state is
the student's own: it is only passed back, never inspected.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.course import mistakes
from autograder.course.references import cases
from autograder.course.suites import as_array, labelled, run_trajectory
from autograder.course.suites.hidden import ATOL, RTOL, check_keras
from autograder.grading.testing import check_close

pytestmark = pytest.mark.module("optimizers")


def _check_trajectories(student, reference, keras_refs, names: list[str]) -> None:
    for name in names:
        c = cases.get(name)
        function = f"{c['optimizer']}_update"
        w0, grads, hyper = c["w0"], c["grads"], c["hyper"]
        got = run_trajectory(getattr(student, function), w0, grads, hyper, function)
        want = run_trajectory(getattr(reference, function), w0, grads, hyper, function)
        hints = mistakes.values(function, lambda m, c=c: run_trajectory(
            m, c["w0"], c["grads"], c["hyper"]) - c["w0"])
        label = f"{labelled(function, hyper)}: w - w0 after each of {len(grads)} steps"
        check_close(label, got - w0, want - w0, rtol=RTOL, atol=ATOL, mistakes=hints)
        check_keras(f"{labelled(function, hyper)}: w after each step", got, keras_refs, name,
                    "trajectory")


@pytest.mark.points(1)
@pytest.mark.functions("sgd_update")
def test_sgd_plain(student, reference, keras_refs):
    """sgd_update without momentum, default and custom learning rate, vs keras SGD."""
    _check_trajectories(student, reference, keras_refs, ["sgd_plain", "sgd_lr"])


@pytest.mark.points(2)
@pytest.mark.functions("sgd_update")
def test_sgd_momentum_and_nesterov(student, reference, keras_refs):
    """sgd_update with momentum=0.9, classic and nesterov=True, vs keras SGD."""
    _check_trajectories(student, reference, keras_refs, ["sgd_momentum", "sgd_nesterov"])


@pytest.mark.points(1)
@pytest.mark.functions("rmsprop_update")
def test_rmsprop_plain(student, reference, keras_refs):
    """rmsprop_update with default and custom rho/epsilon, and tiny gradients (epsilon inside
    the square root), vs keras RMSprop."""
    _check_trajectories(student, reference, keras_refs,
                        ["rmsprop_default", "rmsprop_custom", "rmsprop_tiny_grads"])


@pytest.mark.points(2)
@pytest.mark.functions("rmsprop_update")
def test_rmsprop_centered_and_momentum(student, reference, keras_refs):
    """rmsprop_update with centered=True, momentum>0, and both, vs keras RMSprop."""
    _check_trajectories(student, reference, keras_refs,
                        ["rmsprop_centered", "rmsprop_momentum", "rmsprop_centered_momentum"])


@pytest.mark.points(2)
@pytest.mark.functions("adagrad_update")
def test_adagrad(student, reference, keras_refs):
    """adagrad_update (accumulator starting at initial_accumulator_value), default and
    custom arguments, vs keras Adagrad."""
    _check_trajectories(student, reference, keras_refs, ["adagrad_default", "adagrad_custom"])


@pytest.mark.points(2)
@pytest.mark.functions("adadelta_update")
def test_adadelta(student, reference, keras_refs):
    """adadelta_update with default and custom arguments (learning_rate=1.0), vs keras
    Adadelta."""
    _check_trajectories(student, reference, keras_refs, ["adadelta_default", "adadelta_custom"])


@pytest.mark.points(1.5)
@pytest.mark.functions("adam_update")
def test_adam(student, reference, keras_refs):
    """adam_update with default and custom arguments, and tiny gradients (epsilon-hat form),
    vs keras Adam."""
    _check_trajectories(student, reference, keras_refs,
                        ["adam_default", "adam_custom", "adam_tiny_grads"])


@pytest.mark.points(1.5)
@pytest.mark.functions("adam_update")
def test_adam_amsgrad(student, reference, keras_refs):
    """adam_update with amsgrad=True on shrinking gradients, vs keras Adam(amsgrad=True)."""
    _check_trajectories(student, reference, keras_refs, ["adam_amsgrad"])


def _check_clip(student, reference, keras_refs, function: str, family: str) -> None:
    for name in cases.names(family):
        c = cases.get(name)
        grads, clip = c["grads"], c["clip"]
        got = getattr(student, function)(grads, clip)
        if not isinstance(got, (list, tuple)):
            raise AssertionError(f"`{function}` should return a list of arrays, got "
                                 f"{type(got).__name__}")
        norms = ", ".join(f"{np.sqrt(np.sum(g**2)):.3g}" for g in grads)
        label = f"{function}(grads with norms [{norms}], {clip})"
        check_close(label, list(got), getattr(reference, function)(grads, clip), rtol=RTOL,
                    atol=ATOL, mistakes=mistakes.values(function, lambda m, g=grads, k=clip:
                                                        m(g, k)))
        for i, value in enumerate(got):
            check_keras(f"{label}[{i}]", value, keras_refs, name, f"clipped{i}")


@pytest.mark.points(2)
@pytest.mark.functions("clip_by_value")
def test_clip_by_value(student, reference, keras_refs):
    """clip_by_value clips every element to [-c, c], as Keras's clipvalue."""
    _check_clip(student, reference, keras_refs, "clip_by_value", "clip_value")


@pytest.mark.points(2)
@pytest.mark.functions("clip_by_norm")
def test_clip_by_norm(student, reference, keras_refs):
    """clip_by_norm rescales each gradient on its own (a zero one stays zero), as clipnorm."""
    _check_clip(student, reference, keras_refs, "clip_by_norm", "clip_norm")


@pytest.mark.points(2)
@pytest.mark.functions("clip_by_global_norm")
def test_clip_by_global_norm(student, reference, keras_refs):
    """clip_by_global_norm rescales all gradients by one factor (none when the global norm is
    below c, and all-zero gradients stay zero), as global_clipnorm."""
    _check_clip(student, reference, keras_refs, "clip_by_global_norm", "clip_global")


@pytest.mark.points(1)
@pytest.mark.functions("inverse_time_decay")
def test_inverse_time_decay(student, reference, keras_refs):
    """inverse_time_decay over 0 to 100000 iterations equals InverseTimeDecay(lr, 1, decay)."""
    for name in cases.names("decay"):
        c = cases.get(name)
        lr, decay, iterations = c["learning_rate"], c["decay"], c["iterations"]
        got = as_array([student.inverse_time_decay(lr, decay, i) for i in iterations],
                       "inverse_time_decay results", (len(iterations),))
        want = np.array([reference.inverse_time_decay(lr, decay, i) for i in iterations])
        hints = mistakes.values("inverse_time_decay", lambda m, lr=lr, d=decay, its=iterations:
                                np.array([m(lr, d, i) for i in its]))
        label = f"inverse_time_decay({lr}, {decay}, iterations) for iterations {iterations}"
        check_close(label, got, want, rtol=RTOL, atol=ATOL, mistakes=hints)
        check_keras(label, got, keras_refs, name, "lr")
