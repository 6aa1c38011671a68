"""solutions/batchnorm.py against keras.layers.BatchNormalization, rank 2 and rank 4."""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from helpers_keras import (
    EXACT_RTOL,
    assert_float64_array,
    assert_keras_close,
    assert_unchanged,
    central_difference,
    f32_exact,
    snapshot,
    tf_module,
    to_numpy,
)

from solutions import batchnorm as bn

SHAPES = [(8, 3), (5, 1), (3, 4, 4, 2), (2, 3, 5, 4)]
HYPER = [(0.99, 1e-3), (0.9, 1e-5), (0.5, 0.1)]


def _inputs(seed: int, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """float32-exact activations (per-feature offsets and scales) and layer state."""
    rng = np.random.default_rng(seed)
    f = shape[-1]
    return {
        "x": f32_exact(rng.normal(size=shape) * rng.uniform(0.5, 3.0, f) + rng.normal(size=f)),
        "gamma": f32_exact(rng.uniform(0.5, 2.0, f) * rng.choice([-1.0, 1.0], f)),
        "beta": f32_exact(rng.normal(size=f)),
        "running_mean": f32_exact(rng.normal(size=f)),
        "running_var": f32_exact(rng.uniform(0.5, 2.0, f)),
        "dout": f32_exact(rng.normal(size=shape)),
    }


def _keras_layer(keras: ModuleType, p: dict[str, np.ndarray], momentum: float, eps: float):
    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=eps)
    layer.build(p["x"].shape)
    layer.set_weights(
        [p[k].astype(np.float32) for k in ("gamma", "beta", "running_mean", "running_var")]
    )
    return layer


def _forward(p: dict[str, np.ndarray], training: bool, **kwargs: float) -> tuple:
    return bn.batchnorm_forward(
        p["x"], p["gamma"], p["beta"], p["running_mean"], p["running_var"], training, **kwargs
    )


def _assert_plain_cache(obj: Any) -> None:
    """Contract: only (nested) tuples, lists, dicts of arrays, numbers, strings and None."""
    if isinstance(obj, tuple | list):
        for item in obj:
            _assert_plain_cache(item)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _assert_plain_cache(key)
            _assert_plain_cache(value)
    else:
        allowed = (np.ndarray, np.number, np.bool_, int, float, bool, str, type(None))
        assert isinstance(obj, allowed), type(obj)


def _stats_axes(x: np.ndarray) -> tuple[int, ...]:
    return tuple(range(x.ndim - 1))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("momentum", "eps"), HYPER)
@pytest.mark.parametrize("shape", SHAPES)
def test_training_forward_matches_keras(
    keras: ModuleType, shape: tuple, momentum: float, eps: float, seed: int
) -> None:
    p = _inputs(seed, shape)
    before = snapshot(*p.values())
    out, new_mean, new_var, cache = _forward(p, True, momentum=momentum, epsilon=eps)
    assert_unchanged(list(p.values()), before)
    f = shape[-1]
    assert_float64_array(out, shape)
    assert_float64_array(new_mean, (f,))
    assert_float64_array(new_var, (f,))
    _assert_plain_cache(cache)

    axes = _stats_axes(p["x"])
    mean, var = p["x"].mean(axis=axes), p["x"].var(axis=axes)  # biased variance
    exact = p["gamma"] * (p["x"] - mean) / np.sqrt(var + eps) + p["beta"]
    np.testing.assert_allclose(out, exact, rtol=EXACT_RTOL, atol=1e-12)
    np.testing.assert_allclose(
        new_mean, momentum * p["running_mean"] + (1 - momentum) * mean, rtol=EXACT_RTOL
    )
    np.testing.assert_allclose(
        new_var, momentum * p["running_var"] + (1 - momentum) * var, rtol=EXACT_RTOL
    )

    layer = _keras_layer(keras, p, momentum, eps)
    keras_out = layer(p["x"].astype(np.float32), training=True)
    assert_keras_close(out, keras_out, atol=1e-5)
    assert_keras_close(new_mean, layer.moving_mean, atol=1e-6)
    assert_keras_close(new_var, layer.moving_variance, atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("shape", SHAPES)
def test_inference_forward_matches_keras(keras: ModuleType, shape: tuple, seed: int) -> None:
    p = _inputs(seed, shape)
    before = snapshot(*p.values())
    out, rm, rv, cache = _forward(p, False, momentum=0.9, epsilon=1e-3)
    assert_unchanged(list(p.values()), before)
    assert cache is None
    assert_float64_array(out, shape)
    assert_float64_array(rm, (shape[-1],))
    np.testing.assert_array_equal(rm, p["running_mean"])  # returned unchanged
    np.testing.assert_array_equal(rv, p["running_var"])
    exact = (p["x"] - p["running_mean"]) / np.sqrt(p["running_var"] + 1e-3) * p["gamma"]
    np.testing.assert_allclose(out, exact + p["beta"], rtol=EXACT_RTOL, atol=1e-12)
    layer = _keras_layer(keras, p, 0.9, 1e-3)
    assert_keras_close(out, layer(p["x"].astype(np.float32), training=False), atol=1e-5)
    assert_keras_close(rm, layer.moving_mean)  # Keras does not move them either


def test_defaults_are_keras_defaults(keras: ModuleType) -> None:
    p = _inputs(3, (6, 2))
    default = _forward(p, True)
    explicit = _forward(p, True, momentum=0.99, epsilon=1e-3)
    for a, b in zip(default[:3], explicit[:3], strict=True):
        np.testing.assert_array_equal(a, b)
    layer = keras.layers.BatchNormalization()
    assert layer.momentum == 0.99 and layer.epsilon == 1e-3


def test_keras_initial_state_and_list_inputs(keras: ModuleType) -> None:
    """A fresh Keras layer: gamma 1, beta 0, moving mean 0, moving variance 1."""
    x = f32_exact(np.random.default_rng(4).normal(size=(7, 3)) * 2 + 1)
    out, rm, rv, _ = bn.batchnorm_forward(
        x.tolist(), [1.0] * 3, [0.0] * 3, [0.0] * 3, [1.0] * 3, True
    )
    layer = keras.layers.BatchNormalization()
    assert_keras_close(out, layer(x.astype(np.float32), training=True), atol=1e-5)
    assert_keras_close(rm, layer.moving_mean, atol=1e-6)
    assert_keras_close(rv, layer.moving_variance, atol=1e-6)


def test_several_training_steps_track_keras_moving_statistics(keras: ModuleType) -> None:
    p = _inputs(5, (4, 3, 3, 2))
    layer = _keras_layer(keras, p, 0.8, 1e-3)
    rm, rv = p["running_mean"], p["running_var"]
    rng = np.random.default_rng(6)
    for _ in range(6):
        x = f32_exact(rng.normal(size=p["x"].shape) * 1.5 + 0.5)
        out, rm, rv, _ = bn.batchnorm_forward(x, p["gamma"], p["beta"], rm, rv, True, 0.8)
        assert_keras_close(out, layer(x.astype(np.float32), training=True), atol=1e-5)
    assert_keras_close(rm, layer.moving_mean, atol=1e-6)
    assert_keras_close(rv, layer.moving_variance, atol=1e-6)
    x = f32_exact(rng.normal(size=p["x"].shape))
    out, *_ = bn.batchnorm_forward(x, p["gamma"], p["beta"], rm, rv, False, 0.8)
    assert_keras_close(out, layer(x.astype(np.float32), training=False), atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("momentum", "eps"), HYPER)
@pytest.mark.parametrize("shape", SHAPES)
def test_backward_matches_keras_tape(
    keras: ModuleType, shape: tuple, momentum: float, eps: float, seed: int
) -> None:
    tf = tf_module()
    p = _inputs(seed, shape)
    *_, cache = _forward(p, True, momentum=momentum, epsilon=eps)
    before = snapshot(p["dout"])
    dx, dgamma, dbeta = bn.batchnorm_backward(p["dout"], cache)
    assert_unchanged([p["dout"]], before)
    assert_float64_array(dx, shape)
    assert_float64_array(dgamma, (shape[-1],))
    assert_float64_array(dbeta, (shape[-1],))

    layer = _keras_layer(keras, p, momentum, eps)
    xt = tf.constant(p["x"].astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(xt)
        total = tf.reduce_sum(layer(xt, training=True) * p["dout"].astype(np.float32))
    k_dx, k_dgamma, k_dbeta = tape.gradient(total, [xt, layer.gamma, layer.beta])
    assert_keras_close(dx, k_dx, rtol=1e-3, atol=1e-5)
    assert_keras_close(dgamma, k_dgamma, atol=1e-5)
    assert_keras_close(dbeta, k_dbeta, atol=1e-5)

    # The docstring's closed form, in float64.
    axes = _stats_axes(p["x"])
    m = p["x"].size // shape[-1]
    x_hat = (p["x"] - p["x"].mean(axis=axes)) / np.sqrt(p["x"].var(axis=axes) + eps)
    np.testing.assert_allclose(dbeta, p["dout"].sum(axis=axes), rtol=EXACT_RTOL, atol=1e-12)
    np.testing.assert_allclose(
        dgamma, (p["dout"] * x_hat).sum(axis=axes), rtol=EXACT_RTOL, atol=1e-12
    )
    closed = (
        (m * p["dout"] - dbeta - x_hat * dgamma)
        * p["gamma"]
        / np.sqrt(p["x"].var(axis=axes) + eps)
        / m
    )
    np.testing.assert_allclose(dx, closed, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 2, 2)])
@pytest.mark.parametrize("eps", [1e-3, 0.5])
def test_backward_central_difference(shape: tuple, eps: float) -> None:
    p = _inputs(7, shape)
    x, gamma, beta, dout = p["x"], p["gamma"], p["beta"], p["dout"]
    rm, rv = p["running_mean"], p["running_var"]

    def objective(x_: np.ndarray, g_: np.ndarray, b_: np.ndarray) -> float:
        out = bn.batchnorm_forward(x_, g_, b_, rm, rv, True, epsilon=eps)[0]
        return float(np.sum(out * dout))

    *_, cache = bn.batchnorm_forward(x, gamma, beta, rm, rv, True, epsilon=eps)
    dx, dgamma, dbeta = bn.batchnorm_backward(dout, cache)
    num_dx = central_difference(lambda v: objective(v, gamma, beta), x)
    num_dgamma = central_difference(lambda v: objective(x, v, beta), gamma)
    num_dbeta = central_difference(lambda v: objective(x, gamma, v), beta)
    np.testing.assert_allclose(dx, num_dx, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dgamma, num_dgamma, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dbeta, num_dbeta, rtol=1e-6, atol=1e-8)


def test_constant_feature_is_quiet_and_finite() -> None:
    """Zero batch variance: epsilon keeps the division finite, no warnings."""
    x = np.column_stack([np.full(5, 3.0), np.arange(5.0)])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        out, _, rv, cache = bn.batchnorm_forward(x, [1.0, 1.0], [0.5, 0.0], [0, 0], [1, 1], True)
        dx, dgamma, dbeta = bn.batchnorm_backward(np.ones_like(x), cache)
    np.testing.assert_allclose(out[:, 0], 0.5, rtol=EXACT_RTOL)
    np.testing.assert_allclose(rv, [0.99, 0.99 + 0.01 * 2.0], rtol=EXACT_RTOL)
    assert np.all(np.isfinite(dx))
    np.testing.assert_allclose(dbeta, [5.0, 5.0], rtol=EXACT_RTOL)


def test_cache_reused_twice_gives_same_gradients() -> None:
    """batchnorm_backward must not consume or mutate its cache."""
    p = _inputs(8, (4, 2, 2, 3))
    *_, cache = _forward(p, True)
    first = bn.batchnorm_backward(p["dout"], cache)
    second = bn.batchnorm_backward(p["dout"], cache)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert to_numpy(first[0]).shape == p["x"].shape


def test_float32_input_gives_float64() -> None:
    p = {k: v.astype(np.float32) for k, v in _inputs(9, (5, 2, 2, 3)).items()}
    out, rm, rv, cache = _forward(p, True)
    assert out.dtype == rm.dtype == rv.dtype == np.float64
    for grad in bn.batchnorm_backward(p["dout"], cache):
        assert grad.dtype == np.float64
    assert _forward(p, False)[0].dtype == np.float64
