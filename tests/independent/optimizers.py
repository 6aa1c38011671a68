"""Independent Keras-3 optimizer steps: written from the issue-2 contract only (see README.md).

Every update returns a fresh state dict (the contract allows either); the keys
are private to this module and deliberately differ from the reference ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]
State = dict[str, Any]


def _f64(value: ArrayLike) -> F64:
    return np.asarray(value, dtype=np.float64)


def _slot(state: State, key: str, like: F64, start: float = 0.0) -> F64:
    """A slot variable from the state, or a fresh one filled with `start`."""
    if key in state:
        return _f64(state[key])
    return np.full_like(like, start, dtype=np.float64)


def sgd_update(
    w: ArrayLike,
    g: ArrayLike,
    state: State,
    learning_rate: float = 0.01,
    momentum: float = 0.0,
    nesterov: bool = False,
) -> tuple[F64, State]:
    """Keras SGD: velocity m = momentum m - lr g; nesterov looks one step ahead."""
    w64, g64 = _f64(w), _f64(g)
    if momentum == 0.0:
        return w64 - learning_rate * g64, {}
    velocity = momentum * _slot(state, "sgd_velocity", w64) - learning_rate * g64
    step = momentum * velocity - learning_rate * g64 if nesterov else velocity
    return w64 + step, {"sgd_velocity": velocity}


def rmsprop_update(
    w: ArrayLike,
    g: ArrayLike,
    state: State,
    learning_rate: float = 0.001,
    rho: float = 0.9,
    momentum: float = 0.0,
    epsilon: float = 1e-7,
    centered: bool = False,
) -> tuple[F64, State]:
    """Keras RMSprop: epsilon inside the square root, no bias correction."""
    w64, g64 = _f64(w), _f64(g)
    new: State = {}
    new["sq_avg"] = rho * _slot(state, "sq_avg", w64) + (1.0 - rho) * g64 * g64
    denominator = new["sq_avg"]
    if centered:
        new["grad_avg"] = rho * _slot(state, "grad_avg", w64) + (1.0 - rho) * g64
        denominator = denominator - new["grad_avg"] ** 2
    increment = learning_rate * g64 / np.sqrt(denominator + epsilon)
    if momentum > 0.0:
        new["moment_buf"] = momentum * _slot(state, "moment_buf", w64) + increment
        increment = new["moment_buf"]
    return w64 - increment, new


def adagrad_update(
    w: ArrayLike,
    g: ArrayLike,
    state: State,
    learning_rate: float = 0.001,
    initial_accumulator_value: float = 0.1,
    epsilon: float = 1e-7,
) -> tuple[F64, State]:
    """Keras Adagrad: the accumulator starts at initial_accumulator_value."""
    w64, g64 = _f64(w), _f64(g)
    acc = _slot(state, "sum_sq", w64, start=initial_accumulator_value) + np.square(g64)
    return w64 - learning_rate * g64 / np.sqrt(acc + epsilon), {"sum_sq": acc}


def adadelta_update(
    w: ArrayLike,
    g: ArrayLike,
    state: State,
    learning_rate: float = 0.001,
    rho: float = 0.95,
    epsilon: float = 1e-7,
) -> tuple[F64, State]:
    """Keras Adadelta: the step uses the running delta average from before this step."""
    w64, g64 = _f64(w), _f64(g)
    grad_sq = rho * _slot(state, "eg2", w64) + (1.0 - rho) * g64**2
    old_delta_sq = _slot(state, "edx2", w64)
    delta = -g64 * np.sqrt((old_delta_sq + epsilon) / (grad_sq + epsilon))
    delta_sq = rho * old_delta_sq + (1.0 - rho) * delta**2
    return w64 + learning_rate * delta, {"eg2": grad_sq, "edx2": delta_sq}


def adam_update(
    w: ArrayLike,
    g: ArrayLike,
    state: State,
    learning_rate: float = 0.001,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
    amsgrad: bool = False,
) -> tuple[F64, State]:
    """Keras Adam, "epsilon hat" form: epsilon is added to the uncorrected sqrt(v)."""
    w64, g64 = _f64(w), _f64(g)
    t = int(state.get("step_count", 0)) + 1
    first = beta_1 * _slot(state, "first", w64) + (1.0 - beta_1) * g64
    second = beta_2 * _slot(state, "second", w64) + (1.0 - beta_2) * g64 * g64
    new: State = {"step_count": t, "first": first, "second": second}
    if amsgrad:
        new["second_max"] = np.maximum(_slot(state, "second_max", w64), second)
        second = new["second_max"]
    # Bias-correct only the first moment; sqrt(1 - b2^t) multiplies the step so that
    # epsilon stays unscaled, exactly lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps).
    first_hat = first / (1.0 - beta_1**t)
    step = learning_rate * np.sqrt(1.0 - beta_2**t) * first_hat / (np.sqrt(second) + epsilon)
    return w64 - step, new


def clip_by_value(grads: list[ArrayLike], clipvalue: float) -> list[F64]:
    """Keras clipvalue: each entry clipped to [-clipvalue, clipvalue]."""
    return [np.minimum(np.maximum(_f64(g), -clipvalue), clipvalue) for g in grads]


def clip_by_norm(grads: list[ArrayLike], clipnorm: float) -> list[F64]:
    """Keras clipnorm: each tensor on its own is rescaled to L2 norm <= clipnorm."""
    clipped = []
    for g in grads:
        g64 = _f64(g)
        norm = float(np.sqrt(np.sum(g64 * g64)))
        clipped.append(g64 * (clipnorm / max(norm, clipnorm)))
    return clipped


def clip_by_global_norm(grads: list[ArrayLike], global_clipnorm: float) -> list[F64]:
    """Keras global_clipnorm: one factor for all tensors, from their joint L2 norm."""
    tensors = [_f64(g) for g in grads]
    joint = float(np.sqrt(sum(float(np.sum(t * t)) for t in tensors)))
    factor = global_clipnorm / max(joint, global_clipnorm)
    return [t * factor for t in tensors]


def inverse_time_decay(learning_rate: float, decay: float, iterations: int) -> float:
    """Keras 2's decay= curve, lr / (1 + decay * iterations)."""
    return float(learning_rate) / (1.0 + float(decay) * float(iterations))
