"""Public checks for ``batchnorm`` (run them with ``dltips check batchnorm``)."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.course.suites import as_array, unpack
from autograder.course.suites.public import case, hint
from autograder.grading.testing import check_close, check_equal, prerequisite

pytestmark = pytest.mark.module("batchnorm")

STATE = ("x", "gamma", "beta", "running_mean", "running_var")


def _forward(student, c: dict, training: bool) -> tuple:
    return unpack(student.batchnorm_forward(*(c[k] for k in STATE), training), 4,
                  "batchnorm_forward")


@pytest.mark.points(1)
@pytest.mark.functions("batchnorm_forward")
def test_batchnorm_forward_training(student):
    """Training mode: the normalized output (its per-feature mean is beta) and the running
    statistics moved by (1 - momentum)."""
    c = case("bn")
    out, rm, rv, _ = _forward(student, c, True)
    out = as_array(out, "out", c["x"].shape)
    with hint("use the batch mean and the BIASED variance (ddof=0) over axis 0."):
        check_close("per-feature mean of out", out.mean(axis=0), c["beta"], atol=1e-9)
        check_close("out", out, c["want_out"])
    with hint("running = momentum * running + (1 - momentum) * batch_stat."):
        check_close("(new_running_mean, new_running_var)", (rm, rv),
                    (c["want_running_mean"], c["want_running_var"]))


@pytest.mark.points(1)
@pytest.mark.functions("batchnorm_forward")
def test_batchnorm_forward_inference(student):
    """Inference mode uses the running statistics and returns cache None."""
    c = case("bn")
    c["running_mean"], c["running_var"] = c["want_running_mean"], c["want_running_var"]
    out, rm, rv, cache = _forward(student, c, False)
    with hint("at inference normalize with running_mean/running_var, not the batch's."):
        check_close("out at inference", out, c["want_inference_out"])
        check_close("running statistics (unchanged)", (rm, rv),
                    (c["want_running_mean"], c["want_running_var"]))
        check_equal("cache at inference", cache, None)


@pytest.mark.points(1)
@pytest.mark.functions("batchnorm_backward")
def test_batchnorm_backward(student):
    """Backward from your own training-mode cache: dbeta = sum(dout), and dx, dgamma."""
    c = case("bn")
    with prerequisite("batchnorm_backward", "batchnorm_forward", "the cache"):
        cache = _forward(student, c, True)[3]
    dx, dgamma, dbeta = unpack(student.batchnorm_backward(c["dout"], cache), 3,
                               "batchnorm_backward")
    with hint("dbeta = dout.sum(axis=0); dgamma = (dout * x_hat).sum(axis=0)."):
        check_close("dbeta", dbeta, c["dout"].sum(axis=0))
        check_close("dgamma", dgamma, c["want_dgamma"])
    with hint("dx also flows through the batch mean and variance: "
              "gamma/sqrt(var+eps)/M * (M*dout - dbeta - x_hat*dgamma)."):
        check_close("dx", dx, c["want_dx"])
        check_close("the column sums of dx (always 0)", as_array(dx, "dx").sum(axis=0),
                    np.zeros(2), atol=1e-9)
