"""Helpers shared by the tests that check the reference solutions against Keras 3.

Keras computes in float32, the solutions in float64: inputs are made float32-exact
(`f32_exact`) so both sides start from identical numbers and only the arithmetic differs.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]

KERAS_RTOL = 1e-5
ADAM_RTOL = 5e-5
EXACT_RTOL = 1e-7


def import_keras() -> ModuleType:
    """Import Keras 3 with the TensorFlow backend and without progress bars or TF chatter."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    assert keras.backend.backend() == "tensorflow", keras.backend.backend()
    assert int(keras.__version__.split(".")[0]) >= 3, keras.__version__
    keras.config.disable_interactive_logging()
    return keras


def tf_module() -> ModuleType:
    """TensorFlow itself, for GradientTape (imported after Keras chose its backend)."""
    import tensorflow as tf

    return tf


def f32_exact(a: ArrayLike) -> F64:
    """Round to float32 and back: the same numbers are then exact on both sides."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def to_numpy(t: Any) -> F64:
    """A Keras/TF tensor or variable as a float64 numpy array."""
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t, dtype=np.float64)


def assert_keras_close(
    actual: ArrayLike, expected: ArrayLike, rtol: float = KERAS_RTOL, atol: float = 0.0
) -> None:
    """Float64 result vs a float32 Keras result: relative tolerance, optional floor."""
    np.testing.assert_allclose(
        np.asarray(actual, dtype=np.float64), to_numpy(expected), rtol=rtol, atol=atol
    )


def central_difference(f: Callable[[F64], float], x: ArrayLike, h: float = 1e-6) -> F64:
    """Numerical gradient of a scalar function of an array, in float64."""
    x0 = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x0)
    for idx in np.ndindex(x0.shape):
        plus, minus = x0.copy(), x0.copy()
        plus[idx] += h
        minus[idx] -= h
        grad[idx] = (f(plus) - f(minus)) / (2.0 * h)
    return grad


def snapshot(*args: Any) -> list[Any]:
    """Deep copies of the arguments, to prove later that a call left them untouched."""
    return [copy.deepcopy(a) for a in args]


def assert_unchanged(args: Sequence[Any], copies: Sequence[Any]) -> None:
    """Each argument still equals its snapshot (element-wise, NaN-aware for arrays)."""
    for now, before in zip(args, copies, strict=True):
        if isinstance(before, list | tuple):
            assert_unchanged(list(now), list(before))
        elif isinstance(before, np.ndarray):
            assert now.dtype == before.dtype
            np.testing.assert_array_equal(now, before)
        else:
            np.testing.assert_equal(now, before)  # NaN-aware for floats too


def assert_float64_array(value: Any, shape: tuple[int, ...]) -> None:
    """Contract: arrays come back as float64 numpy arrays of the stated shape."""
    assert isinstance(value, np.ndarray), type(value)
    assert value.dtype == np.float64, value.dtype
    assert value.shape == shape, (value.shape, shape)


def assert_python_float(value: Any) -> None:
    """Contract: scalars come back as Python floats (np.float64 subclasses float)."""
    assert isinstance(value, float), type(value)


def dense_model(keras: ModuleType, w: ArrayLike, b: float, regularizer: Any = None) -> Any:
    """Keras `Dense(1)` on D inputs with the given weights, as in the lecture."""
    w64 = np.asarray(w, dtype=np.float64)
    model = keras.Sequential(
        [keras.Input((w64.shape[0],)), keras.layers.Dense(1, kernel_regularizer=regularizer)]
    )
    model.set_weights([w64.reshape(-1, 1).astype(np.float32), np.array([b], np.float32)])
    return model


def dense_mse_loss_and_grads(
    keras: ModuleType, model: Any, X: ArrayLike, y: ArrayLike
) -> tuple[float, F64, float]:
    """Total loss (MSE + any weight penalties) and its gradients, by GradientTape."""
    tf = tf_module()
    X32 = np.asarray(X, dtype=np.float32)
    y32 = np.asarray(y, dtype=np.float32).reshape(-1, 1)
    with tf.GradientTape() as tape:
        pred = model(X32, training=True)
        loss = keras.losses.MeanSquaredError()(y32, pred)
        if model.losses:
            loss = loss + tf.add_n(model.losses)
    kernel, bias = model.trainable_variables
    dw, db = tape.gradient(loss, [kernel, bias])
    return float(loss), to_numpy(dw).ravel(), float(to_numpy(db)[0])


def keras_trajectory(
    optimizer: Any, w0s: Sequence[ArrayLike], grad_steps: Sequence[Sequence[ArrayLike]]
) -> list[list[F64]]:
    """Apply each step's gradients with a Keras optimizer; the weights after every step."""
    import keras

    variables = [keras.Variable(np.asarray(w, dtype=np.float32)) for w in w0s]
    history = []
    for grads in grad_steps:
        optimizer.apply([np.asarray(g, dtype=np.float32) for g in grads], variables)
        history.append([to_numpy(v) for v in variables])
    return history
