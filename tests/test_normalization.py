"""solutions/normalization.py against keras.layers.Normalization and scikit-learn."""

from __future__ import annotations

import warnings
from types import ModuleType

import numpy as np
import pytest
from helpers_keras import (
    EXACT_RTOL,
    assert_float64_array,
    assert_keras_close,
    assert_unchanged,
    f32_exact,
    snapshot,
)
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from solutions import normalization as nz

LECTURE_TABLE = np.array([[1, 9000], [2, -5000], [4, -2000], [6, 8000], [9, 9000]], float)


def _data(seed: int, n: int, d: int, constant_column: bool) -> np.ndarray:
    """Columns on very different scales (as the lecture's x1 vs x2), optionally one constant."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.logspace(0, 3, d) + np.linspace(-50, 50, d)
    if constant_column:
        X[:, -1] = 4.25
    return f32_exact(X)


DATA_CASES = [(0, 10, 3, False), (1, 6, 2, True), (2, 25, 4, True), (3, 1, 3, False)]


@pytest.mark.parametrize(("seed", "n", "d", "constant"), DATA_CASES)
def test_standardize_fit_matches_numpy_sklearn_keras(
    keras: ModuleType, seed: int, n: int, d: int, constant: bool
) -> None:
    X = _data(seed, n, d, constant)
    before = snapshot(X)
    mean, std = nz.standardize_fit(X)
    assert_unchanged([X], before)
    assert_float64_array(mean, (d,))
    assert_float64_array(std, (d,))
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=EXACT_RTOL, atol=1e-12)
    np.testing.assert_allclose(std, X.std(axis=0, ddof=0), rtol=EXACT_RTOL, atol=1e-12)
    scaler = StandardScaler().fit(X)
    np.testing.assert_allclose(std**2, scaler.var_, rtol=EXACT_RTOL, atol=1e-12)
    layer = keras.layers.Normalization()
    layer.adapt(X.astype(np.float32))
    assert_keras_close(mean, np.ravel(layer.mean), atol=1e-5)
    assert_keras_close(std**2, np.ravel(layer.variance), atol=1e-5)


@pytest.mark.parametrize(("seed", "n", "d", "constant"), DATA_CASES)
def test_standardize_matches_keras_normalization_layer(
    keras: ModuleType, seed: int, n: int, d: int, constant: bool
) -> None:
    X = _data(seed, n, d, constant)
    X_new = _data(seed + 100, 4, d, constant)  # held-out data, same statistics
    mean, std = nz.standardize_fit(X)
    before = snapshot(X_new, mean, std)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        out = nz.standardize(X_new, mean, std)
    assert_unchanged([X_new, mean, std], before)
    assert_float64_array(out, (4, d))
    np.testing.assert_allclose(out, (X_new - mean) / np.maximum(std, 1e-7), rtol=EXACT_RTOL)
    # Keras with the statistics given (no adapt): the exact same layer arithmetic.
    layer = keras.layers.Normalization(mean=f32_exact(mean), variance=f32_exact(std) ** 2)
    assert_keras_close(out, layer(X_new.astype(np.float32)), atol=1e-4)
    if constant:
        assert np.all(out[:, -1] == 0.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_standardize_matches_sklearn_transform(seed: int) -> None:
    X = _data(seed, 12, 3, False)
    mean, std = nz.standardize_fit(X)
    np.testing.assert_allclose(
        nz.standardize(X, mean, std),
        StandardScaler().fit_transform(X),
        rtol=EXACT_RTOL,
        atol=1e-12,
    )


def test_standardize_lecture_table_with_adapted_keras_layer(keras: ModuleType) -> None:
    mean, std = nz.standardize_fit(LECTURE_TABLE)
    out = nz.standardize(LECTURE_TABLE, mean, std)
    layer = keras.layers.Normalization()
    layer.adapt(LECTURE_TABLE.astype(np.float32))
    assert_keras_close(out, layer(LECTURE_TABLE.astype(np.float32)), atol=1e-5)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1.0, rtol=1e-12)


def test_standardize_epsilon_is_a_floor_on_std() -> None:
    X = np.array([[1.0, 2.0], [3.0, 2.0]])
    out = nz.standardize(X, [2.0, 2.0], [1e-9, 0.0], epsilon=1e-3)
    np.testing.assert_allclose(out, [[-1000.0, 0.0], [1000.0, 0.0]], rtol=EXACT_RTOL)
    np.testing.assert_allclose(
        nz.standardize([[3.0]], [1.0], [1e-9]), [[2.0 / 1e-7]], rtol=EXACT_RTOL
    )


@pytest.mark.parametrize(("seed", "n", "d", "constant"), DATA_CASES)
def test_min_max_matches_sklearn(seed: int, n: int, d: int, constant: bool) -> None:
    X = _data(seed, n, d, constant)
    X_new = _data(seed + 100, 5, d, constant)  # partly outside the fitted range: no clipping
    if constant:
        X_new[:, -1] = [4.25, 6.0, 2.5, 4.25, 5.0]  # other values in the constant column
    before = snapshot(X, X_new)
    x_min, x_max = nz.min_max_fit(X)
    assert_float64_array(x_min, (d,))
    assert_float64_array(x_max, (d,))
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        fitted = nz.min_max_scale(X, x_min, x_max)
        held_out = nz.min_max_scale(X_new, x_min, x_max)
    assert_unchanged([X, X_new], before)
    assert_float64_array(held_out, (5, d))
    scaler = MinMaxScaler().fit(X)
    np.testing.assert_allclose(x_min, scaler.data_min_, rtol=EXACT_RTOL)
    np.testing.assert_allclose(x_max, scaler.data_max_, rtol=EXACT_RTOL)
    np.testing.assert_allclose(fitted, scaler.transform(X), rtol=EXACT_RTOL, atol=1e-12)
    # A zero range divides by 1, as scikit-learn does: they agree on every column.
    np.testing.assert_allclose(held_out, scaler.transform(X_new), rtol=EXACT_RTOL, atol=1e-12)
    if constant:
        assert np.all(fitted[:, -1] == 0.0)
        np.testing.assert_array_equal(held_out[:, -1], X_new[:, -1] - 4.25)
    if n > 1 and not constant:
        np.testing.assert_allclose(fitted.min(axis=0), 0.0, atol=1e-15)
        np.testing.assert_allclose(fitted.max(axis=0), 1.0, rtol=1e-12)


def test_min_max_epsilon_and_lists() -> None:
    # Both ranges (1e-9 and 0) are below epsilon: each column is divided by 1.
    out = nz.min_max_scale([[1.0, 5.0], [2.0, 7.0]], [1.0, 5.0], [1.0 + 1e-9, 5.0], epsilon=1e-2)
    np.testing.assert_allclose(out, [[0.0, 0.0], [1.0, 2.0]], rtol=EXACT_RTOL)
    x_min, x_max = nz.min_max_fit([[3, 1], [1, 2]])
    np.testing.assert_array_equal(x_min, [1.0, 1.0])
    np.testing.assert_array_equal(x_max, [3.0, 2.0])
    assert x_min.dtype == np.float64


def test_float32_input_gives_float64() -> None:
    X32 = _data(0, 6, 3, True).astype(np.float32)
    mean, std = nz.standardize_fit(X32)
    x_min, x_max = nz.min_max_fit(X32)
    for result in (
        mean,
        std,
        x_min,
        x_max,
        nz.standardize(X32, mean, std),
        nz.min_max_scale(X32, x_min, x_max),
    ):
        assert result.dtype == np.float64
