"""Hidden suite for ``dropout``: inverted dropout as Keras ``Dropout`` (forward with Keras's
own masks read back, a seeded rng, rates 0 and 1, inference, bad rates) and its backward
pass (8 points)."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.course import mistakes
from autograder.course.references import cases
from autograder.course.suites import as_array, dtype_name, unpack
from autograder.course.suites.hidden import RTOL, check_keras
from autograder.grading.testing import (
    RandomSeed,
    check_close,
    check_equal,
    check_raises,
    forbid_warnings,
)

pytestmark = pytest.mark.module("dropout")

ATOL = 1e-12


def _forward(student, x, rate, what: str, **kwargs) -> tuple:
    return unpack(student.dropout_forward(x, rate, **kwargs), 2, f"dropout_forward ({what})")


def _forward_hints(x, rate, **kwargs) -> dict:
    return mistakes.values("dropout_forward", lambda m: m(x, rate, **kwargs)[0])


@pytest.mark.points(1.5)
@pytest.mark.functions("dropout_forward")
def test_dropout_forward_with_keras_masks(student, reference, keras_refs):
    """dropout_forward(x, rate, mask=m) reproduces Keras Dropout's output for Keras's own
    keep-mask (rate 0.3 on (6, 5), rate 0.5 on (2, 3, 4)) and returns that mask."""
    for name in cases.names("dropout_keras"):
        c = cases.get(name)
        mask = keras_refs[f"{name}/mask"]
        out, got_mask = _forward(student, c["x"], c["rate"], "given mask", mask=mask)
        label = f"dropout_forward output, rate {c['rate']}, the mask given"
        check_close(label, out, reference.dropout_forward(c["x"], c["rate"], mask=mask)[0],
                    rtol=RTOL, atol=ATOL, mistakes=_forward_hints(c["x"], c["rate"], mask=mask))
        check_keras(label, out, keras_refs, name, "out")
        check_close("the mask returned (the one given)", got_mask, mask)


@pytest.mark.points(1)
@pytest.mark.functions("dropout_forward")
def test_dropout_forward_seeded_rng(student, reference):
    """Without a mask, the keep-mask is rng.random(x.shape) >= rate for the rng given."""
    c = cases.get("dropout_seeded")
    out, mask = _forward(student, c["x"], c["rate"], "seeded rng", rng=RandomSeed(c["seed"]))
    want_out, want_mask = reference.dropout_forward(
        c["x"], c["rate"], rng=np.random.default_rng(c["seed"]))
    check_close(f"the keep-mask drawn from default_rng({c['seed']}) at rate {c['rate']}",
                mask, want_mask, mistakes=mistakes.values(
                    "dropout_forward", lambda m: m(c["x"], c["rate"], rng=c["seed"])[1]))
    check_close(f"dropout_forward output at rate {c['rate']} with default_rng({c['seed']})",
                out, want_out, rtol=RTOL, atol=ATOL,
                mistakes=_forward_hints(c["x"], c["rate"], rng=c["seed"]))


@pytest.mark.points(1)
@pytest.mark.functions("dropout_forward")
def test_dropout_forward_rates_0_and_1(student, reference):
    """rate 0 keeps everything (out == x); rate 1 drops everything (zeros, no warnings), also
    with a given mask, which is returned as it was given."""
    for name in ("dropout_rate0", "dropout_rate1"):
        c = cases.get(name)
        with forbid_warnings(f"dropout_forward at rate {c['rate']}"):
            out, mask = _forward(student, c["x"], c["rate"], f"rate {c['rate']}",
                                 rng=RandomSeed(c["seed"]))
        want_out, want_mask = reference.dropout_forward(
            c["x"], c["rate"], rng=np.random.default_rng(c["seed"]))
        check_close(f"dropout_forward output at rate {c['rate']}", out, want_out, rtol=RTOL,
                    atol=ATOL)
        check_close(f"the keep-mask at rate {c['rate']}", mask, want_mask)
    c = cases.get("dropout_rate1")
    with forbid_warnings("dropout_forward at rate 1 with a given mask"):
        out, mask = _forward(student, c["x"], 1.0, "rate 1, mask given", mask=c["mask"])
    check_close("dropout_forward output at rate 1 with a given mask", out,
                np.zeros_like(c["x"]), atol=ATOL)
    check_close("the mask returned at rate 1 (the one given)", mask, c["mask"])


@pytest.mark.points(0.5)
@pytest.mark.functions("dropout_forward")
def test_dropout_forward_inference(student, reference):
    """training=False returns (x unchanged, None): no dropping and no scaling."""
    c = cases.get("dropout_keras0")
    out, mask = _forward(student, c["x"], c["rate"], "training=False", training=False)
    check_close("dropout_forward output with training=False", out,
                reference.dropout_forward(c["x"], c["rate"], training=False)[0], rtol=RTOL,
                atol=ATOL, mistakes=_forward_hints(c["x"], c["rate"], training=False))
    check_equal("the mask returned with training=False", mask, None)


@pytest.mark.points(0.5)
@pytest.mark.functions("dropout_forward")
def test_dropout_forward_rejects_bad_rate(student):
    """A rate outside [0, 1] raises ValueError, also with training=False."""
    x = cases.get("dropout_seeded")["x"]
    for rate in (-0.1, 1.5):
        check_raises("ValueError", student.dropout_forward, x, rate, rng=RandomSeed(0))
        check_raises("ValueError", student.dropout_forward, x, rate, training=False)


@pytest.mark.points(0.5)
@pytest.mark.functions("dropout_forward")
def test_dropout_forward_integer_mask_returns_boolean(student, reference):
    """A 0/1 integer mask works like a boolean one, and a mask of other numbers keeps where it
    is nonzero (its values are not weights); the mask returned is boolean."""
    for name, what in (("dropout_int_mask", "a 0/1 integer mask"),
                       ("dropout_weighted_mask", "a mask of values such as 2, 0.5 and -1")):
        c = cases.get(name)
        out, mask = _forward(student, c["x"], c["rate"], what, mask=c["mask"])
        check_close(f"dropout_forward output for {what}", out,
                    reference.dropout_forward(c["x"], c["rate"], mask=c["mask"])[0],
                    rtol=RTOL, atol=ATOL,
                    mistakes=_forward_hints(c["x"], c["rate"], mask=c["mask"]))
        check_equal(f"the dtype of the mask returned for {what}", dtype_name(mask), "bool")
        check_close(f"the mask returned for {what}", mask, c["mask"].astype(bool))


@pytest.mark.points(0.5)
@pytest.mark.functions("dropout_forward")
def test_dropout_forward_default_rng(student):
    """With neither rng nor mask, about 1 - rate of the units are kept, each scaled by
    1/(1-rate), consistently with the mask returned."""
    c = cases.get("dropout_statistics")
    x, rate = c["x"], c["rate"]
    out, mask = _forward(student, x, rate, "default rng")
    keep = as_array(mask, "mask", x.shape)
    # The docstring's mask is boolean (True or 1 = keep): a constant 1 - rate "mask" with
    # x returned unchanged would otherwise pass the checks below without dropping a thing.
    other = keep[~np.isin(keep, (0.0, 1.0))]
    if other.size:
        raise AssertionError(f"the mask returned must be the boolean keep-mask (True or 1 = "
                             f"keep, False or 0 = drop), but {other.size} of {keep.size} "
                             f"entries are neither, e.g. {other[0]:g}")
    check_close("output vs x * mask / (1 - rate) for the mask returned", out,
                x * keep / (1 - rate), rtol=RTOL, atol=ATOL)
    # 4000 Bernoulli(0.75) draws: the kept fraction is 0.75 +- 0.007 (one standard deviation).
    kept = float(keep.mean())
    if not 0.70 <= kept <= 0.80:
        raise AssertionError(f"at rate {rate} about {1 - rate:.0%} of the units should be "
                             f"kept, but {kept:.1%} were")


@pytest.mark.points(1.5)
@pytest.mark.functions("dropout_backward")
def test_dropout_backward_matches_keras(student, reference, keras_refs):
    """dropout_backward gives Keras's gradient of Dropout for the same keep-mask."""
    for name in cases.names("dropout_keras"):
        c = cases.get(name)
        mask = keras_refs[f"{name}/mask"]
        args = (c["dout"], mask, c["rate"])
        got = student.dropout_backward(*args)
        label = f"dropout_backward at rate {c['rate']} for a {c['dout'].shape} gradient"
        check_close(label, got, reference.dropout_backward(*args), rtol=RTOL, atol=ATOL,
                    mistakes=mistakes.values("dropout_backward", lambda m, a=args: m(*a)))
        check_keras(label, got, keras_refs, name, "dx")


@pytest.mark.points(1)
@pytest.mark.functions("dropout_backward")
def test_dropout_backward_edge_rates(student, reference):
    """dropout_backward on a rank-3 gradient, at rate 0 (identity) and rate 1 (zeros, no
    warnings)."""
    for name in ("dropout_backward3d", "dropout_rate0", "dropout_rate1"):
        c = cases.get(name)
        args = (c["dout"], c["mask"], c["rate"])
        with forbid_warnings(f"dropout_backward at rate {c['rate']}"):
            got = student.dropout_backward(*args)
        check_close(f"dropout_backward at rate {c['rate']}", got,
                    reference.dropout_backward(*args), rtol=RTOL, atol=ATOL,
                    mistakes=mistakes.values("dropout_backward", lambda m, a=args: m(*a)))
