"""solutions/gradient_descent.py against Keras `Dense(1)` + SGD + MSE and scikit-learn."""

from __future__ import annotations

import warnings
from types import ModuleType

import numpy as np
import pytest
from helpers_keras import (
    EXACT_RTOL,
    assert_float64_array,
    assert_keras_close,
    assert_python_float,
    assert_unchanged,
    central_difference,
    dense_model,
    dense_mse_loss_and_grads,
    f32_exact,
    snapshot,
)
from sklearn.linear_model import LinearRegression

from solutions import gradient_descent as gd

CASES = [(0, 12, 3), (1, 20, 1), (2, 7, 5)]  # (seed, N, D)


def _problem(seed: int, n: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """float32-exact linear data with noise, plus a random starting point."""
    rng = np.random.default_rng(seed)
    X = f32_exact(rng.normal(size=(n, d)))
    y = f32_exact(X @ rng.normal(size=d) + 0.7 + 0.1 * rng.normal(size=n))
    w0 = f32_exact(rng.normal(size=d))
    b0 = float(f32_exact(rng.normal()))
    return X, y, w0, b0


@pytest.mark.parametrize(("seed", "n", "d"), CASES)
def test_predict_exact_and_keras(keras: ModuleType, seed: int, n: int, d: int) -> None:
    X, _, w, b = _problem(seed, n, d)
    before = snapshot(X, w)
    out = gd.predict(X, w, b)
    assert_unchanged([X, w], before)
    assert_float64_array(out, (n,))
    np.testing.assert_allclose(out, X @ w + b, rtol=EXACT_RTOL)
    keras_out = dense_model(keras, w, b).predict(X.astype(np.float32), verbose=0)
    assert_keras_close(out, keras_out.ravel(), atol=1e-6)


@pytest.mark.parametrize(("seed", "n", "d"), CASES)
def test_mse_loss_and_grads_match_keras_tape(keras: ModuleType, seed: int, n: int, d: int) -> None:
    X, y, w, b = _problem(seed, n, d)
    before = snapshot(X, y, w)
    loss, dw, db = gd.mse_loss_and_grads(X, y, w, b)
    assert_unchanged([X, y, w], before)
    assert_python_float(loss)
    assert_python_float(db)
    assert_float64_array(dw, (d,))
    r = X @ w + b - y
    np.testing.assert_allclose(loss, np.mean(r**2), rtol=EXACT_RTOL)
    np.testing.assert_allclose(dw, 2 / n * X.T @ r, rtol=EXACT_RTOL)
    np.testing.assert_allclose(db, 2 / n * r.sum(), rtol=EXACT_RTOL)
    k_loss, k_dw, k_db = dense_mse_loss_and_grads(keras, dense_model(keras, w, b), X, y)
    assert_keras_close(loss, k_loss)
    assert_keras_close(dw, k_dw, atol=1e-6)
    assert_keras_close(db, k_db, atol=1e-6)


@pytest.mark.parametrize(("seed", "n", "d"), CASES)
def test_mse_grads_central_difference(seed: int, n: int, d: int) -> None:
    X, y, w, b = _problem(seed, n, d)
    _, dw, db = gd.mse_loss_and_grads(X, y, w, b)
    num_dw = central_difference(lambda v: gd.mse_loss_and_grads(X, y, v, b)[0], w)
    num_db = central_difference(lambda v: gd.mse_loss_and_grads(X, y, w, float(v[0]))[0], [b])
    np.testing.assert_allclose(dw, num_dw, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, num_db[0], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    ("seed", "n", "d", "lr", "epochs", "zero_start"),
    [(0, 12, 3, 0.1, 15, False), (1, 20, 1, 0.05, 10, True), (2, 7, 5, 0.2, 12, False)],
)
def test_gradient_descent_equals_keras_fit(
    keras: ModuleType, seed: int, n: int, d: int, lr: float, epochs: int, zero_start: bool
) -> None:
    X, y, w0, b0 = _problem(seed, n, d)
    if zero_start:
        w0, b0 = np.zeros(d), 0.0
    before = snapshot(X, y, w0)
    w, b, history = (
        gd.gradient_descent(X, y, lr, epochs)
        if zero_start
        else gd.gradient_descent(X, y, lr, epochs, w0=w0, b0=b0)
    )
    assert_unchanged([X, y, w0], before)
    assert_float64_array(w, (d,))
    assert_python_float(b)
    assert_float64_array(history, (epochs,))

    model = dense_model(keras, w0, b0)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    fit = model.fit(
        X.astype(np.float32),
        y.astype(np.float32),
        batch_size=n,
        epochs=epochs,
        shuffle=False,
        verbose=0,
    )
    kernel, bias = model.get_weights()
    assert_keras_close(history, fit.history["loss"])
    assert_keras_close(w, kernel.ravel(), atol=1e-6)
    assert_keras_close(b, bias[0], atol=1e-6)


def test_gradient_descent_history_is_loss_before_each_update() -> None:
    X, y, w0, b0 = _problem(3, 9, 2)
    w, b, history = gd.gradient_descent(X, y, 0.1, 4, w0=w0, b0=b0)
    cur_w, cur_b = w0.copy(), b0
    for i in range(4):
        loss, dw, db = gd.mse_loss_and_grads(X, y, cur_w, cur_b)
        assert history[i] == pytest.approx(loss, rel=1e-12)
        cur_w, cur_b = cur_w - 0.1 * dw, cur_b - 0.1 * db
    np.testing.assert_allclose(w, cur_w, rtol=1e-12)
    assert b == pytest.approx(cur_b, rel=1e-12)


def test_gradient_descent_zero_epochs_and_lists() -> None:
    w, b, history = gd.gradient_descent([[1.0], [2.0]], [1.0, 2.0], 0.1, 0, w0=[0.5], b0=0.25)
    np.testing.assert_array_equal(w, [0.5])
    assert b == 0.25 and history.shape == (0,)


def test_gradient_descent_divergence_is_silent() -> None:
    X, y, _, _ = _problem(4, 10, 2)
    X = X * 10.0  # lr 1.0 on this data overshoots wildly
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        w, b, history = gd.gradient_descent(X, y, 1.0, 400)
    assert not np.all(np.isfinite(history))
    assert gd.diagnose_learning_rate(history, 0.0) == "diverged"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_least_squares_matches_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Badly scaled columns (as the lecture's x1 ~ 1, x2 ~ 9000) stress the solve.
    X = rng.normal(size=(30, 3)) * np.array([1.0, 9000.0, 0.5])
    y = X @ np.array([2.0, -0.001, 5.0]) + 3.0 + rng.normal(scale=0.1, size=30)
    before = snapshot(X, y)
    w, b = gd.least_squares(X, y)
    assert_unchanged([X, y], before)
    assert_float64_array(w, (3,))
    assert_python_float(b)
    ref = LinearRegression().fit(X, y)
    np.testing.assert_allclose(w, ref.coef_, rtol=EXACT_RTOL)
    np.testing.assert_allclose(b, ref.intercept_, rtol=EXACT_RTOL)
    # The normal equations, an independent exact reference.
    A = np.column_stack([X, np.ones(len(X))])
    np.testing.assert_allclose(np.append(w, b), np.linalg.solve(A.T @ A, A.T @ y), rtol=1e-7)


def test_gradient_descent_converges_to_least_squares() -> None:
    X, y, _, _ = _problem(5, 40, 3)
    w_opt, b_opt = gd.least_squares(X, y)
    w, b, history = gd.gradient_descent(X, y, 0.1, 2000)
    np.testing.assert_allclose(w, w_opt, rtol=1e-6)
    assert b == pytest.approx(b_opt, rel=1e-6)
    optimum = gd.mse_loss_and_grads(X, y, w_opt, b_opt)[0]
    assert gd.diagnose_learning_rate(history, optimum) == "converged"
    assert gd.diagnose_learning_rate(gd.gradient_descent(X, y, 1e-4, 50)[2], optimum) == (
        "too_slow"
    )


@pytest.mark.parametrize(
    ("history", "optimum", "rtol", "verdict"),
    [
        ([8.0, 4.0, 2.0], 0.0, 0.25, "converged"),  # exactly on the threshold
        ([8.0, 4.0, 2.0000001], 0.0, 0.25, "too_slow"),
        ([5.0, 3.0], 1.0, 0.5, "converged"),  # the gap is measured from the optimum
        ([5.0, 3.5], 1.0, 0.5, "too_slow"),
        ([1.0, 1.5, 0.005], 0.0, 0.01, "converged"),  # rises midway, ends lower
        ([1.0, 0.5, 1.5], 0.0, 0.01, "diverged"),
        ([1.0, 2.0], 0.0, 0.01, "diverged"),  # last > first
        ([1.0, np.nan, 0.0], 0.0, 0.01, "diverged"),  # NaN anywhere
        ([1.0, np.inf, 0.0], 0.0, 0.01, "diverged"),
        ([1.0, 0.5, np.nan], 0.0, 0.01, "diverged"),
        ([3.0, 3.0], 0.0, 0.01, "too_slow"),
        ([3.0], 3.0, 0.01, "converged"),
        ([0.5, 0.5, 0.5], 0.5, 0.01, "converged"),  # starts at the optimum: no gap to close
        ([0.4999999, 0.4999998], 0.5, 0.01, "converged"),  # just below it (rounding)
    ],
)
def test_diagnose_learning_rate(history: list, optimum: float, rtol: float, verdict: str) -> None:
    before = snapshot(history)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gd.diagnose_learning_rate(history, optimum, rtol=rtol) == verdict
        assert gd.diagnose_learning_rate(np.array(history), optimum, rtol) == verdict
    assert_unchanged([history], before)


def test_diagnose_default_rtol_is_one_percent() -> None:
    assert gd.diagnose_learning_rate([100.0, 1.0], 0.0) == "converged"
    assert gd.diagnose_learning_rate([100.0, 1.5], 0.0) == "too_slow"
