"""solutions/regularization.py against keras.regularizers and a regularized Keras Dense(1)."""

from __future__ import annotations

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
    tf_module,
)

from solutions import regularization as reg

STRENGTHS = [(0.0, 0.0), (0.01, 0.0), (0.0, 0.01), (0.03, 0.2), (1.5, 0.7)]


def _weights(seed: int, shapes: list[tuple[int, ...]], with_zeros: bool = False) -> list:
    rng = np.random.default_rng(seed)
    tensors = [f32_exact(rng.normal(size=shape)) for shape in shapes]
    if with_zeros:
        tensors[0].flat[::2] = 0.0  # sign(0) = 0 must hold
    return tensors


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)])
def test_single_penalties_match_keras(keras: ModuleType, seed: int, shape: tuple) -> None:
    (w,) = _weights(seed, [shape], with_zeros=seed == 2)
    w32 = w.astype(np.float32)
    before = snapshot(w)
    for l1, l2 in STRENGTHS:
        value = reg.l1_l2_penalty(w, l1=l1, l2=l2)
        assert_python_float(value)
        np.testing.assert_allclose(value, l1 * np.abs(w).sum() + l2 * (w**2).sum(), rtol=EXACT_RTOL)
        assert_keras_close(value, keras.regularizers.L1L2(l1=l1, l2=l2)(w32))
        assert_keras_close(reg.l1_penalty(w, l1=l1 or 0.5), keras.regularizers.L1(l1 or 0.5)(w32))
        assert_keras_close(reg.l2_penalty(w, l2=l2 or 0.5), keras.regularizers.L2(l2 or 0.5)(w32))
    assert_unchanged([w], before)


def test_penalty_defaults_follow_keras3(keras: ModuleType) -> None:
    w = f32_exact(np.random.default_rng(7).normal(size=(4, 3)))
    w32 = w.astype(np.float32)
    assert_keras_close(reg.l1_penalty(w), keras.regularizers.L1()(w32))  # l1=0.01
    assert_keras_close(reg.l2_penalty(w), keras.regularizers.L2()(w32))  # l2=0.01
    assert reg.l1_l2_penalty(w) == 0.0  # L1L2() / l1_l2() is a ZERO penalty in Keras 3
    assert float(keras.regularizers.l1_l2()(w32)) == 0.0


@pytest.mark.parametrize("seed", [0, 1])
def test_penalties_sum_over_a_list_of_arrays(keras: ModuleType, seed: int) -> None:
    weights = _weights(seed, [(3, 4), (4,), (2, 2, 2)])
    before = snapshot(weights)
    for l1, l2 in STRENGTHS:
        expected = sum(keras.regularizers.L1L2(l1, l2)(w.astype(np.float32)) for w in weights)
        assert_keras_close(reg.l1_l2_penalty(weights, l1=l1, l2=l2), expected)
        single_sum = sum(reg.l1_l2_penalty(w, l1=l1, l2=l2) for w in weights)
        np.testing.assert_allclose(
            reg.l1_l2_penalty(weights, l1=l1, l2=l2), single_sum, rtol=EXACT_RTOL
        )
    l1_value, l2_value = reg.l1_penalty(weights, 0.2), reg.l2_penalty(weights, 0.3)
    np.testing.assert_allclose(l1_value, 0.2 * sum(np.abs(w).sum() for w in weights), rtol=1e-12)
    np.testing.assert_allclose(l2_value, 0.3 * sum((w**2).sum() for w in weights), rtol=1e-12)
    assert_unchanged([weights], before)
    assert reg.l1_penalty([[1.0, -2.0], [3.0, -4.0]], 1.0) == pytest.approx(10.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("l1", "l2"), STRENGTHS)
def test_penalty_grad_matches_tape_and_formula(
    keras: ModuleType, seed: int, l1: float, l2: float
) -> None:
    tf = tf_module()
    (w,) = _weights(seed, [(3, 4)], with_zeros=True)
    before = snapshot(w)
    grad = reg.l1_l2_penalty_grad(w, l1=l1, l2=l2)
    assert_unchanged([w], before)
    assert_float64_array(grad, w.shape)
    np.testing.assert_allclose(grad, l1 * np.sign(w) + 2 * l2 * w, rtol=EXACT_RTOL)
    assert np.all(grad[w == 0.0] == 0.0)  # sign(0) = 0, as TensorFlow
    var = tf.Variable(w.astype(np.float32))
    with tf.GradientTape() as tape:
        penalty = keras.regularizers.L1L2(l1, l2)(var)
    keras_grad = tape.gradient(penalty, var)
    if keras_grad is None:  # L1L2(0, 0) returns a constant 0: no path to the variable
        assert l1 == l2 == 0.0
        keras_grad = np.zeros_like(w)
    assert_keras_close(grad, keras_grad, atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_penalty_grad_central_difference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    w = rng.choice([-1.0, 1.0], size=(2, 3)) * rng.uniform(0.1, 2.0, size=(2, 3))  # |w| > 0
    for l1, l2 in STRENGTHS:
        numeric = central_difference(lambda v, a=l1, b=l2: reg.l1_l2_penalty(v, a, b), w)
        np.testing.assert_allclose(reg.l1_l2_penalty_grad(w, l1, l2), numeric, rtol=1e-6, atol=1e-8)


def _problem(seed: int, n: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(seed)
    X = f32_exact(rng.normal(size=(n, d)))
    y = f32_exact(X @ rng.normal(size=d) + 0.3 * rng.normal(size=n))
    w = f32_exact(rng.choice([-1.0, 1.0], size=d) * rng.uniform(0.2, 1.5, size=d))
    return X, y, w, float(f32_exact(rng.normal()))


@pytest.mark.parametrize(("seed", "n", "d"), [(0, 10, 3), (1, 16, 1), (2, 6, 4)])
@pytest.mark.parametrize(("l1", "l2"), STRENGTHS)
def test_regularized_mse_matches_keras_dense(
    keras: ModuleType, seed: int, n: int, d: int, l1: float, l2: float
) -> None:
    X, y, w, b = _problem(seed, n, d)
    before = snapshot(X, y, w)
    loss, dw, db = reg.regularized_mse_loss_and_grads(X, y, w, b, l1=l1, l2=l2)
    assert_unchanged([X, y, w], before)
    assert_python_float(loss)
    assert_python_float(db)
    assert_float64_array(dw, (d,))
    r = X @ w + b - y
    exact = np.mean(r**2) + l1 * np.abs(w).sum() + l2 * (w**2).sum()
    np.testing.assert_allclose(loss, exact, rtol=EXACT_RTOL)
    np.testing.assert_allclose(dw, 2 / n * X.T @ r + l1 * np.sign(w) + 2 * l2 * w, rtol=1e-7)
    np.testing.assert_allclose(db, 2 / n * r.sum(), rtol=EXACT_RTOL)
    model = dense_model(keras, w, b, regularizer=keras.regularizers.L1L2(l1=l1, l2=l2))
    k_loss, k_dw, k_db = dense_mse_loss_and_grads(keras, model, X, y)
    assert_keras_close(loss, k_loss)
    assert_keras_close(dw, k_dw, atol=1e-6)
    assert_keras_close(db, k_db, atol=1e-6)


def test_regularized_mse_equals_keras_evaluate_and_one_sgd_step(keras: ModuleType) -> None:
    """Keras's own training loop adds the kernel penalty undivided and not on the bias."""
    X, y, w, b = _problem(3, 12, 3)
    l1, l2, lr = 0.05, 0.1, 0.1
    loss, dw, db = reg.regularized_mse_loss_and_grads(X, y, w, b, l1=l1, l2=l2)
    model = dense_model(keras, w, b, regularizer=keras.regularizers.L1L2(l1=l1, l2=l2))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    assert_keras_close(loss, model.evaluate(X32, y32, batch_size=len(X), verbose=0))
    fit = model.fit(X32, y32, batch_size=len(X), epochs=1, shuffle=False, verbose=0)
    assert_keras_close(loss, fit.history["loss"][0])
    kernel, bias = model.get_weights()
    assert_keras_close(w - lr * dw, kernel.ravel(), atol=1e-6)
    assert_keras_close(b - lr * db, bias[0], atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_regularized_mse_central_difference(seed: int) -> None:
    X, y, w, b = _problem(seed, 9, 3)  # |w| >= 0.2: the L1 kink is far from w +- h
    for l1, l2 in STRENGTHS:
        _, dw, db = reg.regularized_mse_loss_and_grads(X, y, w, b, l1, l2)
        num_dw = central_difference(
            lambda v, a=l1, c=l2: reg.regularized_mse_loss_and_grads(X, y, v, b, a, c)[0], w
        )
        num_db = central_difference(
            lambda v, a=l1, c=l2: reg.regularized_mse_loss_and_grads(X, y, w, float(v[0]), a, c)[0],
            [b],
        )
        np.testing.assert_allclose(dw, num_dw, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(db, num_db[0], rtol=1e-6, atol=1e-8)


def test_regularized_mse_zero_strength_equals_plain_mse() -> None:
    from solutions import gradient_descent as gd

    X, y, w, b = _problem(4, 8, 2)
    ours = reg.regularized_mse_loss_and_grads(X, y, w, b)
    plain = gd.mse_loss_and_grads(X, y, w, b)
    np.testing.assert_allclose(ours[0], plain[0], rtol=1e-12)
    np.testing.assert_allclose(ours[1], plain[1], rtol=1e-12)
    np.testing.assert_allclose(ours[2], plain[2], rtol=1e-12)
