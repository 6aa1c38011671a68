"""Public checks for ``dropout`` (run them with ``dltips check dropout``)."""

from __future__ import annotations

import pytest

from autograder.course.suites import unpack
from autograder.course.suites.public import case, hint
from autograder.grading.testing import RandomSeed, check_close, check_equal, check_raises

pytestmark = pytest.mark.module("dropout")


@pytest.mark.points(1)
@pytest.mark.functions("dropout_forward")
def test_dropout_forward_with_mask(student):
    """Training-mode dropout with a given keep-mask at rate 0.4."""
    c = case("dropout")
    out, mask = unpack(student.dropout_forward(c["x"], c["rate"], mask=c["mask"]), 2,
                       "dropout_forward")
    with hint("out = x * mask / (1 - rate): kept units are scaled up (inverted dropout)."):
        check_close("dropout_forward output", out, c["want_out"])
        check_close("the mask returned", mask, c["mask"])


@pytest.mark.points(1)
@pytest.mark.functions("dropout_forward")
def test_dropout_forward_inference_and_bad_rate(student):
    """training=False is the identity with mask None; a rate outside [0, 1] raises, also
    with training=False."""
    c = case("dropout")
    out, mask = unpack(student.dropout_forward(c["x"], c["rate"], training=False), 2,
                       "dropout_forward")
    with hint("at inference return (x, None): nothing dropped, nothing scaled."):
        check_close("output with training=False", out, c["x"])
        check_equal("mask with training=False", mask, None)
    with hint("raise ValueError unless 0 <= rate <= 1."):
        check_raises("ValueError", student.dropout_forward, c["x"], 1.5, rng=RandomSeed(0))
        check_raises("ValueError", student.dropout_forward, c["x"], -0.5, training=False)


@pytest.mark.points(1)
@pytest.mark.functions("dropout_backward")
def test_dropout_backward(student):
    """The gradient flows through the kept units with the same 1/(1-rate) scale."""
    c = case("dropout")
    with hint("dx = dout * mask / (1 - rate)."):
        check_close("dropout_backward(dout, mask, rate)",
                    student.dropout_backward(c["dout"], c["mask"], c["rate"]), c["want_dx"])
