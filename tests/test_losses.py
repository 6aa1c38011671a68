"""solutions/losses.py against Keras 3, scikit-learn/scipy and exact math."""

from __future__ import annotations

import warnings
from types import ModuleType

import numpy as np
import pytest
import scipy.special
from helpers_keras import (
    EXACT_RTOL,
    assert_float64_array,
    assert_keras_close,
    assert_python_float,
    assert_unchanged,
    f32_exact,
    snapshot,
)
from sklearn import metrics

from solutions import losses

SEEDS = [0, 1, 2]
SHAPES = [(7,), (5, 3), (2, 3, 4)]


def _strict() -> np.errstate:
    """Overflow, 0-division and NaN raise. Underflow to 0.0 (e.g. exp(-1e4)) is correct
    and silent in numpy by default, so it is not counted as a warning here."""
    return np.errstate(over="raise", divide="raise", invalid="raise")


def _probabilities(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return f32_exact(rng.uniform(0.02, 0.98, size=shape))


# --- sigmoid / softmax ---------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_sigmoid_matches_keras_and_scipy(keras: ModuleType, seed: int, shape: tuple) -> None:
    z = f32_exact(np.random.default_rng(seed).normal(0, 6, size=shape))
    before = snapshot(z)
    out = losses.sigmoid(z)
    assert_unchanged([z], before)
    assert_float64_array(out, shape)
    np.testing.assert_allclose(out, scipy.special.expit(z), rtol=EXACT_RTOL)
    assert_keras_close(out, keras.activations.sigmoid(z.astype(np.float32)))


def test_sigmoid_scalar_and_list_inputs() -> None:
    out = losses.sigmoid(0.0)
    assert np.asarray(out).shape == ()
    assert float(out) == 0.5
    assert_float64_array(losses.sigmoid([0, 1, -1]), (3,))


def test_sigmoid_extreme_logits_no_warnings() -> None:
    z = np.array([-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4])
    with warnings.catch_warnings(), _strict():
        warnings.simplefilter("error")
        out = losses.sigmoid(z)
    assert np.all(np.isfinite(out)) and np.all((out >= 0) & (out <= 1))
    np.testing.assert_allclose(out, scipy.special.expit(z), rtol=EXACT_RTOL, atol=0)
    assert out[0] == 0.0 and out[-1] == 1.0


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("shape", "axis"), [((4, 5), -1), ((4, 5), 0), ((2, 3, 4), 1), ((6,), 0)])
def test_softmax_matches_keras_and_scipy(
    keras: ModuleType, seed: int, shape: tuple, axis: int
) -> None:
    z = f32_exact(np.random.default_rng(seed).normal(0, 3, size=shape))
    before = snapshot(z)
    out = losses.softmax(z, axis=axis)
    assert_unchanged([z], before)
    assert_float64_array(out, shape)
    np.testing.assert_allclose(out, scipy.special.softmax(z, axis=axis), rtol=EXACT_RTOL)
    np.testing.assert_allclose(out.sum(axis=axis), 1.0, rtol=1e-12)
    assert_keras_close(out, keras.activations.softmax(z.astype(np.float32), axis=axis))


def test_softmax_default_axis_is_last() -> None:
    z = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(losses.softmax(z), scipy.special.softmax(z, axis=-1), rtol=1e-12)


def test_softmax_extreme_logits_no_warnings() -> None:
    z = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4], [5.0, 1e4, 3.0]])
    with warnings.catch_warnings(), _strict():
        warnings.simplefilter("error")
        out = losses.softmax(z)
    expected = np.array([[1, 0, 0], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3], [0, 1, 0]])
    np.testing.assert_allclose(out, expected, rtol=EXACT_RTOL, atol=1e-300)
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-12)


# --- mean squared error --------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(9,), (6, 1), (5, 3)])
def test_mse_matches_keras_and_sklearn(keras: ModuleType, seed: int, shape: tuple) -> None:
    rng = np.random.default_rng(seed)
    y, p = f32_exact(rng.normal(size=shape)), f32_exact(rng.normal(size=shape))
    before = snapshot(y, p)
    value = losses.mean_squared_error(y, p)
    assert_unchanged([y, p], before)
    assert_python_float(value)
    expected = metrics.mean_squared_error(y.reshape(len(y), -1), p.reshape(len(p), -1))
    np.testing.assert_allclose(value, expected, rtol=EXACT_RTOL)
    keras_value = keras.losses.MeanSquaredError()(y.astype(np.float32), p.astype(np.float32))
    assert_keras_close(value, keras_value)


def test_mse_accepts_lists() -> None:
    assert losses.mean_squared_error([1, 2, 3], [1, 2, 5]) == pytest.approx(4 / 3, rel=1e-12)


# --- binary cross-entropy ------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(8,), (6, 1), (4, 3)])
def test_bce_matches_keras(keras: ModuleType, seed: int, shape: tuple) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=shape).astype(np.float64)
    p = _probabilities(rng, shape)  # plain numpy: Keras then really clips (no logits trap)
    before = snapshot(y, p)
    value = losses.binary_crossentropy(y, p)
    assert_unchanged([y, p], before)
    assert_python_float(value)
    exact = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(value, exact, rtol=EXACT_RTOL)
    y2, p2 = y.reshape(len(y), -1), p.reshape(len(p), -1)
    keras_value = keras.losses.BinaryCrossentropy()(y2.astype(np.float32), p2.astype(np.float32))
    assert_keras_close(value, keras_value)
    np.testing.assert_allclose(value, metrics.log_loss(y.ravel(), p.ravel()), rtol=EXACT_RTOL)


def test_bce_probabilities_exactly_zero_and_one(keras: ModuleType) -> None:
    y = np.array([[0.0, 1.0, 1.0, 0.0, 1.0, 0.0]])
    p = np.array([[0.0, 1.0, 0.0, 1.0, 0.5, 0.25]])
    with warnings.catch_warnings(), _strict():
        warnings.simplefilter("error")
        value = losses.binary_crossentropy(y, p)
    eps = 1e-7
    terms = [-np.log(1 - eps), -np.log(1 - eps), -np.log(eps), -np.log(eps)]
    exact = (sum(terms) - np.log(0.5) - np.log(0.75)) / 6
    np.testing.assert_allclose(value, exact, rtol=EXACT_RTOL)
    # The Keras function keeps float64 inputs in float64, so 1 - 1e-7 is exact there too
    # (in float32 it rounds to 0.99999988 and the loss differs by ~1 %).
    np.testing.assert_allclose(
        value, float(np.mean(keras.losses.binary_crossentropy(y, p))), rtol=EXACT_RTOL
    )


def test_bce_epsilon_parameter() -> None:
    value = losses.binary_crossentropy([1.0, 0.0], [0.0, 1.0], epsilon=1e-3)
    np.testing.assert_allclose(value, -np.log(1e-3), rtol=EXACT_RTOL)


# --- categorical cross-entropy -------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("n", "c"), [(5, 3), (8, 4), (1, 6)])
def test_cce_matches_keras_on_unnormalised_rows(
    keras: ModuleType, seed: int, n: int, c: int
) -> None:
    rng = np.random.default_rng(seed)
    y = np.eye(c)[rng.integers(0, c, size=n)]
    scores = f32_exact(rng.uniform(0.05, 3.0, size=(n, c)))  # rows do NOT sum to 1
    before = snapshot(y, scores)
    value = losses.categorical_crossentropy(y, scores)
    assert_unchanged([y, scores], before)
    assert_python_float(value)
    p = scores / scores.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(value, -np.mean(np.sum(y * np.log(p), axis=1)), rtol=EXACT_RTOL)
    keras_value = keras.losses.CategoricalCrossentropy()(
        y.astype(np.float32), scores.astype(np.float32)
    )
    assert_keras_close(value, keras_value)
    np.testing.assert_allclose(
        value, metrics.log_loss(y.argmax(1), p, labels=range(c)), rtol=EXACT_RTOL
    )


def test_cce_probabilities_exactly_zero_and_one(keras: ModuleType) -> None:
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    p = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])
    with warnings.catch_warnings(), _strict():
        warnings.simplefilter("error")
        value = losses.categorical_crossentropy(y, p)
    exact = (-np.log(1e-7) - np.log(1 - 1e-7) - np.log(0.5)) / 3
    np.testing.assert_allclose(value, exact, rtol=EXACT_RTOL)
    keras_value = np.mean(keras.losses.categorical_crossentropy(y, p))  # float64 in Keras
    np.testing.assert_allclose(value, float(keras_value), rtol=EXACT_RTOL)


# --- r2 and accuracy -----------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(10,), (12, 3)])
def test_r2_matches_sklearn(seed: int, shape: tuple) -> None:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=shape)
    p = y + rng.normal(scale=0.7, size=shape)
    before = snapshot(y, p)
    value = losses.r2_score(y, p)
    assert_unchanged([y, p], before)
    assert_python_float(value)
    np.testing.assert_allclose(value, metrics.r2_score(y, p), rtol=EXACT_RTOL)
    bad = rng.normal(scale=5.0, size=shape)  # worse than the mean: negative R^2
    np.testing.assert_allclose(losses.r2_score(y, bad), metrics.r2_score(y, bad), rtol=EXACT_RTOL)


@pytest.mark.parametrize(
    ("y", "p"),
    [
        ([3.0, 3.0, 3.0], [3.0, 3.0, 3.0]),
        ([3.0, 3.0, 3.0], [3.0, 2.0, 3.0]),
        ([[1.0, 2.0], [1.0, 4.0], [1.0, 5.0]], [[1.0, 2.5], [1.0, 4.0], [1.0, 5.0]]),
        ([[1.0, 2.0], [1.0, 4.0], [1.0, 5.0]], [[0.0, 2.5], [1.0, 4.0], [1.0, 5.0]]),
    ],
)
def test_r2_constant_target_as_sklearn(y: list, p: list) -> None:
    with warnings.catch_warnings(), _strict():
        warnings.simplefilter("error")
        value = losses.r2_score(y, p)
    assert value == pytest.approx(metrics.r2_score(y, p), rel=EXACT_RTOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("true_form", "pred_form"), [(1, 1), (1, 2), (2, 1), (2, 2)])
def test_accuracy_matches_sklearn(seed: int, true_form: int, pred_form: int) -> None:
    rng = np.random.default_rng(seed)
    n, c = 40, 4
    labels = rng.integers(0, c, size=n)
    scores = rng.random((n, c))
    y_true = labels if true_form == 1 else np.eye(c)[labels]
    y_pred = scores.argmax(1) if pred_form == 1 else scores
    before = snapshot(y_true, y_pred)
    value = losses.accuracy(y_true, y_pred)
    assert_unchanged([y_true, y_pred], before)
    assert_python_float(value)
    np.testing.assert_allclose(
        value, metrics.accuracy_score(labels, scores.argmax(1)), rtol=EXACT_RTOL
    )


def test_accuracy_matches_keras_categorical_accuracy(keras: ModuleType) -> None:
    rng = np.random.default_rng(5)
    y = np.eye(3)[rng.integers(0, 3, size=30)]
    p = scipy.special.softmax(rng.normal(size=(30, 3)), axis=1)
    metric = keras.metrics.CategoricalAccuracy()
    metric.update_state(y, p)
    assert_keras_close(losses.accuracy(y, p), metric.result())


def test_accuracy_of_a_sigmoid_column_matches_keras_binary_accuracy(keras: ModuleType) -> None:
    """(N, 1) arguments are binary: > 0.5 is class 1 (argmax of one column would give 0)."""
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, size=(30, 1)).astype(float)
    p = np.append(rng.uniform(size=(29, 1)), [[0.5]], axis=0)
    metric = keras.metrics.BinaryAccuracy()
    metric.update_state(y, p)
    assert_keras_close(losses.accuracy(y, p), metric.result())
    assert losses.accuracy(y[:, 0].astype(int), p) == losses.accuracy(y, p)
    assert losses.accuracy([[1], [0], [1]], [[0.9], [0.2], [0.5]]) == pytest.approx(2 / 3)


def test_accuracy_list_labels() -> None:
    assert losses.accuracy([0, 1, 2, 2], [0, 2, 2, 2]) == 0.75


def test_float32_and_int_inputs_give_float64() -> None:
    z32 = np.array([[0.5, -1.0, 2.0]], dtype=np.float32)
    assert losses.sigmoid(z32).dtype == np.float64
    assert losses.softmax(z32).dtype == np.float64
    assert losses.softmax([[1, 2, 3]]).dtype == np.float64
    assert_python_float(losses.binary_crossentropy(np.array([1], np.int64), z32[:, :1] ** 2))
    assert_python_float(losses.categorical_crossentropy([[0, 1, 0]], np.abs(z32)))
    assert_python_float(losses.r2_score([1, 2, 3], [1, 2, 2]))
