"""Hidden suite for ``losses``: activations, losses and metrics vs the reference solution,
Keras 3 and scikit-learn (14 points)."""

from __future__ import annotations

import pytest

from autograder.course import mistakes
from autograder.course.references import cases
from autograder.course.suites.hidden import ATOL, RTOL, check_keras
from autograder.grading.testing import check_close, forbid_warnings

pytestmark = pytest.mark.module("losses")


def _loss_check(student, reference, keras_refs, function: str, names: list[str],
                quiet: bool = False) -> None:
    """One loss function on several cases: reference, hints, and Keras where cached;
    ``quiet``: the docstring promises no warnings on these cases."""
    for name in names:
        case = cases.get(name)
        args = (case["y_true"], case["y_pred"])
        kwargs = {"epsilon": case["epsilon"]} if "epsilon" in case else {}
        if quiet:
            with forbid_warnings(f"{function} on case {name}"):
                got = getattr(student, function)(*args, **kwargs)
        else:
            got = getattr(student, function)(*args, **kwargs)
        check_close(f"{function} on case {name}", got,
                    getattr(reference, function)(*args, **kwargs), rtol=RTOL, atol=ATOL,
                    mistakes=mistakes.values(function, lambda m, a=args, k=kwargs: m(*a, **k)))
        if f"{name}/loss" in keras_refs:
            check_keras(f"{function} on case {name}", got, keras_refs, name, "loss")


@pytest.mark.points(1)
@pytest.mark.functions("sigmoid")
def test_sigmoid_random_shapes(student, reference, keras_refs):
    """sigmoid on random inputs of shapes (7,), (5, 3), (2, 3, 4) matches Keras."""
    for name in ["sigmoid_random0", "sigmoid_random1", "sigmoid_random2"]:
        z = cases.get(name)["z"]
        got = student.sigmoid(z)
        check_close(f"sigmoid on a {z.shape} input", got, reference.sigmoid(z),
                    rtol=RTOL, atol=ATOL)
        check_keras(f"sigmoid on a {z.shape} input", got, keras_refs, name, "out")


@pytest.mark.points(1)
@pytest.mark.functions("sigmoid")
def test_sigmoid_extreme_logits_and_scalar(student, reference, keras_refs):
    """sigmoid is stable for |z| up to 1e4 (right values in [0, 1], no overflow or other
    warning) and returns shape () for a scalar."""
    z = cases.get("sigmoid_extreme")["z"]
    with forbid_warnings("sigmoid of [-1e4, ..., 1e4]"):
        got = student.sigmoid(z)
    check_close("sigmoid of [-1e4, ..., 1e4]", got, reference.sigmoid(z), rtol=RTOL, atol=ATOL)
    check_keras("sigmoid of [-1e4, ..., 1e4]", got, keras_refs, "sigmoid_extreme", "out")
    z = cases.get("sigmoid_scalar")["z"]
    check_close("sigmoid(-2.5) (shape ())", student.sigmoid(z), reference.sigmoid(z))


@pytest.mark.points(1)
@pytest.mark.functions("softmax")
def test_softmax_random_shapes_and_axes(student, reference, keras_refs):
    """softmax along axis -1, 0 and 1 of 2-D and 3-D inputs matches Keras."""
    for name in ["softmax_random0", "softmax_random1", "softmax_random2",
                 "softmax_random3"]:
        case = cases.get(name)
        z, axis = case["z"], case["axis"]
        got = student.softmax(z, axis=axis)
        label = f"softmax of a {z.shape} input along axis {axis}"
        check_close(label, got, reference.softmax(z, axis=axis), rtol=RTOL, atol=ATOL,
                    mistakes=mistakes.values("softmax", lambda m, z=z, a=axis: m(z, axis=a)))
        check_keras(label, got, keras_refs, name, "out")


@pytest.mark.points(1)
@pytest.mark.functions("softmax")
def test_softmax_extreme_logits(student, reference, keras_refs):
    """softmax of logits of +-1e4 gives the right finite probabilities (no overflow or other
    warning, no NaN)."""
    z = cases.get("softmax_extreme")["z"]
    with forbid_warnings("softmax of logits of +-1e4"):
        got = student.softmax(z)
    check_close("softmax of logits of +-1e4", got, reference.softmax(z), rtol=RTOL, atol=ATOL,
                mistakes=mistakes.values("softmax", lambda m: m(z)))
    check_keras("softmax of logits of +-1e4", got, keras_refs, "softmax_extreme", "out")


@pytest.mark.points(2)
@pytest.mark.functions("mean_squared_error")
def test_mean_squared_error(student, reference, keras_refs):
    """mean_squared_error averages over all elements of (9,), (4, 3) and (2, 3, 2) inputs."""
    _loss_check(student, reference, keras_refs, "mean_squared_error", cases.names("mse"))


@pytest.mark.points(1)
@pytest.mark.functions("binary_crossentropy")
def test_binary_crossentropy_random(student, reference, keras_refs):
    """binary_crossentropy of random probabilities matches Keras."""
    _loss_check(student, reference, keras_refs, "binary_crossentropy",
                ["bce_random0", "bce_random1"])


@pytest.mark.points(1)
@pytest.mark.functions("binary_crossentropy")
def test_binary_crossentropy_probabilities_0_and_1(student, reference, keras_refs):
    """binary_crossentropy clips probabilities of exactly 0 and 1 (a finite loss, no
    warnings) and honours `epsilon`."""
    _loss_check(student, reference, keras_refs, "binary_crossentropy",
                ["bce_saturated", "bce_saturated_wrong", "bce_epsilon"], quiet=True)


@pytest.mark.points(1)
@pytest.mark.functions("categorical_crossentropy")
def test_categorical_crossentropy_probabilities_and_scores(student, reference, keras_refs):
    """categorical_crossentropy of softmax outputs and of rows that need renormalising
    (also with as many rows as classes, where the row sums need keepdims)."""
    _loss_check(student, reference, keras_refs, "categorical_crossentropy",
                ["cce_softmax", "cce_unnormalized", "cce_square_unnormalized"])


@pytest.mark.points(1)
@pytest.mark.functions("categorical_crossentropy")
def test_categorical_crossentropy_probabilities_0_and_1(student, reference, keras_refs):
    """categorical_crossentropy clips entries of exactly 0 and 1 (a finite loss, no warnings)
    and honours `epsilon`."""
    _loss_check(student, reference, keras_refs, "categorical_crossentropy",
                ["cce_saturated", "cce_epsilon"], quiet=True)


def _metric_check(student, reference, keras_refs, function: str, field: str,
                  names: list[str]) -> None:
    for name in names:
        case = cases.get(name)
        args = (case["y_true"], case["y_pred"])
        got = getattr(student, function)(*args)
        check_close(f"{function} on case {name}", got, getattr(reference, function)(*args),
                    rtol=RTOL, atol=ATOL,
                    mistakes=mistakes.values(function, lambda m, a=args: m(*a)))
        check_keras(f"{function} on case {name}", got, keras_refs, name, field)


@pytest.mark.points(1)
@pytest.mark.functions("r2_score")
def test_r2_score_random(student, reference, keras_refs):
    """r2_score of 1-D and 2-D (per-column average) data, including a negative score."""
    _metric_check(student, reference, keras_refs, "r2_score", "score",
                  ["r2_random1d", "r2_random2d", "r2_negative"])


@pytest.mark.points(1)
@pytest.mark.functions("r2_score")
def test_r2_score_constant_target(student, reference, keras_refs):
    """r2_score with a constant y_true: 1.0 for a perfect prediction, else 0.0."""
    _metric_check(student, reference, keras_refs, "r2_score", "score",
                  ["r2_constant_perfect", "r2_constant_imperfect", "r2_constant_column"])


@pytest.mark.points(2)
@pytest.mark.functions("accuracy")
def test_accuracy_label_and_onehot_forms(student, reference, keras_refs):
    """accuracy of labels, one-hot rows, softmax probabilities and (N, 1) sigmoid columns
    (> 0.5 is class 1), mixing the forms."""
    _metric_check(student, reference, keras_refs, "accuracy", "accuracy",
                  cases.names("accuracy"))

