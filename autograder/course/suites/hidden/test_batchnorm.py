"""Hidden suite for ``batchnorm``: forward (training and inference, ranks 2 and 4) vs the
reference and Keras ``BatchNormalization``, and backward vs Keras's GradientTape
(10 points).

The backward tests feed ``batchnorm_backward`` the student's OWN cache (it is opaque), so
they call the student's training-mode forward first; a forward mistake that corrupts the
cache can therefore cost backward points too.
"""

from __future__ import annotations

import pytest

from autograder.course import mistakes
from autograder.course.references import cases
from autograder.course.suites import named, unpack
from autograder.course.suites.hidden import RTOL, check_keras
from autograder.grading.testing import check_close, check_equal, prerequisite

pytestmark = pytest.mark.module("batchnorm")

ATOL = 1e-10
FORWARD = ("out", "new_running_mean", "new_running_var")
BACKWARD = ("dx", "dgamma", "dbeta")
FORWARD_ARGS = ("x", "gamma", "beta", "running_mean", "running_var", "training")


def _args(c: dict) -> tuple:
    return tuple(c[k] for k in FORWARD_ARGS)


def _label(c: dict) -> str:
    mode = "training" if c["training"] else "inference"
    options = ", ".join(f"{k}={v}" for k, v in c["options"].items()) or "default momentum/eps"
    return f"batchnorm_forward ({mode}, x of shape {c['x'].shape}, {options})"


def _check_forward(student, reference, keras_refs, name: str) -> None:
    c = cases.get(name)
    args, options = _args(c), c["options"]
    got = unpack(student.batchnorm_forward(*args, **options), 4, "batchnorm_forward")
    want = reference.batchnorm_forward(*args, **options)
    hints = mistakes.values("batchnorm_forward",
                            lambda m: named(FORWARD, m(*args, **options)[:3]))
    check_close(_label(c), named(FORWARD, got[:3]), named(FORWARD, want[:3]), rtol=RTOL,
                atol=ATOL, mistakes=hints)
    if not c["training"]:
        check_equal(f"the cache returned by {_label(c)}", got[3], None)
    for value, field in zip(got[:3], ("out", "running_mean", "running_var"), strict=True):
        check_keras(f"{field} of {_label(c)}", value, keras_refs, name, field)


@pytest.mark.points(2)
@pytest.mark.functions("batchnorm_forward")
def test_batchnorm_forward_training_rank2(student, reference, keras_refs):
    """Training-mode forward on (N, D): batch mean and biased variance, running statistics
    updated with momentum, as Keras BatchNormalization(training=True)."""
    for name in ("bn_train2d", "bn_train2d_small"):
        _check_forward(student, reference, keras_refs, name)


@pytest.mark.points(2)
@pytest.mark.functions("batchnorm_forward")
def test_batchnorm_forward_training_rank4(student, reference, keras_refs):
    """Training-mode forward on (N, H, W, C) with custom momentum and epsilon: statistics
    over every axis but the last."""
    for name in ("bn_train4d", "bn_train4d_custom"):
        _check_forward(student, reference, keras_refs, name)


@pytest.mark.points(1)
@pytest.mark.functions("batchnorm_forward")
def test_batchnorm_forward_inference(student, reference, keras_refs):
    """Inference-mode forward uses the running statistics, returns them unchanged, and
    returns cache None (ranks 2 and 4)."""
    for name in ("bn_infer2d", "bn_infer4d"):
        _check_forward(student, reference, keras_refs, name)


def _check_backward(student, reference, keras_refs, name: str) -> None:
    c = cases.get(name)
    args, options = _args(c), c["options"]
    # The student's own forward makes the (opaque) cache the backward pass needs.
    with prerequisite("batchnorm_backward", "batchnorm_forward", "the cache"):
        cache = unpack(student.batchnorm_forward(*args, **options), 4, "batchnorm_forward")[3]
    got = unpack(student.batchnorm_backward(c["dout"], cache), 3, "batchnorm_backward")
    want = reference.batchnorm_backward(c["dout"], reference.batchnorm_forward(
        *args, **options)[3])
    epsilon = options.get("epsilon", 1e-3)
    hint = {"batchnorm_backward_without_stat_terms":
            named(BACKWARD, mistakes.models.batchnorm_backward_without_stat_terms(
                c["x"], c["gamma"], epsilon, c["dout"]))}
    label = f"batchnorm_backward for x of shape {c['x'].shape}"
    check_close(label, named(BACKWARD, got), named(BACKWARD, want), rtol=RTOL, atol=ATOL,
                mistakes=hint)
    for value, field in zip(got, ("dx", "dgamma", "dbeta"), strict=True):
        check_keras(f"{field} for x of shape {c['x'].shape}", value, keras_refs, name, field)


@pytest.mark.points(2.5)
@pytest.mark.functions("batchnorm_backward")
def test_batchnorm_backward_rank2(student, reference, keras_refs):
    """Backward on (N, D) (including variances near epsilon) equals Keras's gradients."""
    for name in ("bn_train2d", "bn_train2d_small"):
        _check_backward(student, reference, keras_refs, name)


@pytest.mark.points(2.5)
@pytest.mark.functions("batchnorm_backward")
def test_batchnorm_backward_rank4(student, reference, keras_refs):
    """Backward on (N, H, W, C) with custom epsilon equals Keras's gradients."""
    for name in ("bn_train4d", "bn_train4d_custom"):
        _check_backward(student, reference, keras_refs, name)
