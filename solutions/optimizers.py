"""Optimizers (lecture section 4), with Keras 3's names, defaults and update rules.

Each ``*_update`` function performs ONE step for one parameter array:

    new_w, state = adam_update(w, g, state)      # state is {} on the first call

``state`` carries the optimizer's slot variables between steps (momentum, accumulators,
the step count...). Its keys are yours to choose; pass the returned state back in on the
next call. You may update and return the same dict. Never modify ``w`` or ``g`` in place,
and the clip functions return a new list, leaving ``grads`` (the list and every array in
it) unchanged: the grader checks that every argument but ``state`` comes back unchanged.
To reuse a function of another exercise module, import it by its bare module name (see
``assignments/__init__.py``).

Lecture errata (Keras 3):
- ``SGD(lr=0.1)`` is ``SGD(learning_rate=0.1)``; ``lr=`` raises ``ValueError``.
- ``decay=`` is ignored with a warning. Keras 2's ``decay=d`` meant
  ``lr / (1 + d * iterations)``; use
  ``keras.optimizers.schedules.InverseTimeDecay(lr, decay_steps=1, decay_rate=d)``
  (see ``inverse_time_decay`` below).
- ``Adam`` has no ``momentum`` or ``nesterov`` argument (``beta_1`` plays momentum's role).

The ``Optimizer`` classes at the bottom (``SGD``, ``RMSprop``, ``Adagrad``, ``Adadelta``,
``Adam``) wrap these functions the way Keras does: a small base ``apply`` that clips the
gradients, evaluates the learning-rate schedule and calls one ``update_step`` per
parameter. They work as soon as your functions do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

State = dict[str, Any]


def sgd_update(
    w: ArrayLike,
    g: ArrayLike,
    state: State,
    learning_rate: float = 0.01,
    momentum: float = 0.0,
    nesterov: bool = False,
) -> tuple[np.ndarray, State]:
    """One step of ``keras.optimizers.SGD``.

    - ``momentum == 0``: ``w = w - learning_rate * g`` (plain gradient descent).
    - otherwise, with velocity ``m`` (starts at 0):
      ``m = momentum * m - learning_rate * g``, then
      ``w = w + m`` (classic momentum) or, if ``nesterov``,
      ``w = w + momentum * m - learning_rate * g`` (using the NEW m).

    Inputs:
    - w: parameter, any shape; g: its gradient, same shape.
    - state: {} on the first call, then whatever the previous call returned.
    - learning_rate, momentum, nesterov: as in Keras.

    Returns a tuple ``(new_w, new_state)``; new_w is float64 of w's shape.
    """
    # BEGIN SOLUTION
    # HINT: keep the velocity m in state (zeros on the first call); nesterov uses the new m.
    w = np.asarray(w, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    if momentum == 0:
        return w - learning_rate * g, state
    m = momentum * state.get("momentum", np.zeros_like(w)) - learning_rate * g
    state["momentum"] = m
    if nesterov:
        return w + momentum * m - learning_rate * g, state
    return w + m, state
    # END SOLUTION


def rmsprop_update(
    w: ArrayLike,
    g: ArrayLike,
    state: State,
    learning_rate: float = 0.001,
    rho: float = 0.9,
    momentum: float = 0.0,
    epsilon: float = 1e-7,
    centered: bool = False,
) -> tuple[np.ndarray, State]:
    """One step of ``keras.optimizers.RMSprop``.

    Slots (all start at 0): velocity ``v``, average gradient ``a`` (only if centered),
    momentum ``mo`` (only if momentum > 0).
    - ``v = rho * v + (1 - rho) * g**2``
    - centered: ``a = rho * a + (1 - rho) * g`` and ``den = v - a**2``; else ``den = v``
    - ``inc = learning_rate * g / sqrt(den + epsilon)``  (epsilon INSIDE the sqrt; no bias
      correction)
    - momentum > 0: ``mo = momentum * mo + inc`` and ``w = w - mo``; else ``w = w - inc``

    Inputs:
    - w, g: parameter and gradient (same shape); state: {} on the first call.
    - learning_rate, rho, momentum, epsilon, centered: as in Keras.

    Returns a tuple ``(new_w, new_state)``; new_w is float64 of w's shape.
    """
    # BEGIN SOLUTION
    # HINT: follow the formulas in order; slots start as np.zeros_like(w).
    w = np.asarray(w, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    zeros = np.zeros_like(w)
    v = rho * state.get("velocity", zeros) + (1.0 - rho) * g**2
    state["velocity"] = v
    den = v
    if centered:
        a = rho * state.get("average_gradient", zeros) + (1.0 - rho) * g
        state["average_gradient"] = a
        den = v - a**2
    increment = learning_rate * g / np.sqrt(den + epsilon)
    if momentum > 0:
        mo = momentum * state.get("momentum", zeros) + increment
        state["momentum"] = mo
        return w - mo, state
    return w - increment, state
    # END SOLUTION


def adagrad_update(
    w: ArrayLike,
    g: ArrayLike,
    state: State,
    learning_rate: float = 0.001,
    initial_accumulator_value: float = 0.1,
    epsilon: float = 1e-7,
) -> tuple[np.ndarray, State]:
    """One step of ``keras.optimizers.Adagrad``.

    The accumulator STARTS AT ``initial_accumulator_value`` (0.1), not at 0:
    - ``acc = acc + g**2``
    - ``w = w - learning_rate * g / sqrt(acc + epsilon)``

    Inputs:
    - w, g: parameter and gradient (same shape); state: {} on the first call.
    - learning_rate, initial_accumulator_value, epsilon: as in Keras.

    Returns a tuple ``(new_w, new_state)``; new_w is float64 of w's shape.
    """
    # BEGIN SOLUTION
    # HINT: the accumulator does not start at zero but at initial_accumulator_value everywhere.
    w = np.asarray(w, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    acc = state.get("accumulator", np.full_like(w, initial_accumulator_value)) + g**2
    state["accumulator"] = acc
    return w - learning_rate * g / np.sqrt(acc + epsilon), state
    # END SOLUTION


def adadelta_update(
    w: ArrayLike,
    g: ArrayLike,
    state: State,
    learning_rate: float = 0.001,
    rho: float = 0.95,
    epsilon: float = 1e-7,
) -> tuple[np.ndarray, State]:
    """One step of ``keras.optimizers.Adadelta``.

    Slots (start at 0): ``Eg`` (running mean of g**2) and ``Edx`` (running mean of delta**2).
    - ``Eg = rho * Eg + (1 - rho) * g**2``
    - ``delta = -sqrt(Edx + epsilon) * g / sqrt(Eg + epsilon)``  (the OLD Edx, the new Eg)
    - ``Edx = rho * Edx + (1 - rho) * delta**2``
    - ``w = w + learning_rate * delta``

    Inputs:
    - w, g: parameter and gradient (same shape); state: {} on the first call.
    - learning_rate, rho, epsilon: as in Keras (Keras's default learning_rate is 0.001).

    Returns a tuple ``(new_w, new_state)``; new_w is float64 of w's shape.
    """
    # BEGIN SOLUTION
    # HINT: compute delta with the old Edx before updating Edx.
    w = np.asarray(w, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    zeros = np.zeros_like(w)
    eg = rho * state.get("accumulated_grad", zeros) + (1.0 - rho) * g**2
    edx = state.get("accumulated_delta", zeros)
    delta = -np.sqrt(edx + epsilon) * g / np.sqrt(eg + epsilon)
    state["accumulated_grad"] = eg
    state["accumulated_delta"] = rho * edx + (1.0 - rho) * delta**2
    return w + learning_rate * delta, state
    # END SOLUTION


def adam_update(
    w: ArrayLike,
    g: ArrayLike,
    state: State,
    learning_rate: float = 0.001,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
    amsgrad: bool = False,
) -> tuple[np.ndarray, State]:
    """One step of ``keras.optimizers.Adam``.

    ``t`` is this step's number, starting at 1 (count the calls in ``state``).
    Slots (start at 0): first moment ``m``, second moment ``v``, and ``v_hat`` if amsgrad.
    - ``alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)``  (bias correction)
    - ``m = m + (g - m) * (1 - beta_1)``
    - ``v = v + (g**2 - v) * (1 - beta_2)``
    - amsgrad: ``v_hat = maximum(v_hat, v)`` and use v_hat instead of v below
    - ``w = w - alpha * m / (sqrt(v) + epsilon)``  (epsilon OUTSIDE the sqrt)

    Inputs:
    - w, g: parameter and gradient (same shape); state: {} on the first call.
    - learning_rate, beta_1, beta_2, epsilon, amsgrad: as in Keras.

    Returns a tuple ``(new_w, new_state)``; new_w is float64 of w's shape.
    """
    # BEGIN SOLUTION
    # HINT: store t, m, v (and v_hat) in state; t is 1 on the first call.
    w = np.asarray(w, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    zeros = np.zeros_like(w)
    t = state.get("t", 0) + 1
    alpha = learning_rate * np.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
    m = state.get("m", zeros)
    v = state.get("v", zeros)
    m = m + (g - m) * (1.0 - beta_1)
    v = v + (g**2 - v) * (1.0 - beta_2)
    state.update(t=t, m=m, v=v)
    if amsgrad:
        v = np.maximum(state.get("v_hat", zeros), v)
        state["v_hat"] = v
    return w - alpha * m / (np.sqrt(v) + epsilon), state
    # END SOLUTION


def clip_by_value(grads: Sequence[ArrayLike], clipvalue: float) -> list[np.ndarray]:
    """Keras's ``clipvalue=c``: clip every gradient element to ``[-c, c]``.

    Inputs:
    - grads: a list of gradient arrays (any shapes).
    - clipvalue: c > 0.

    Returns:
    - a new list of float64 arrays, one per gradient.
    """
    # BEGIN SOLUTION
    # HINT: numpy clips element-wise in one call; apply it to each gradient and return a new list.
    return [np.clip(np.asarray(g, dtype=np.float64), -clipvalue, clipvalue) for g in grads]
    # END SOLUTION


def clip_by_norm(grads: Sequence[ArrayLike], clipnorm: float) -> list[np.ndarray]:
    """Keras's ``clipnorm=c``: rescale EACH gradient separately so its L2 norm is at most c.

    ``g * c / max(||g||, c)``: a gradient whose norm is already <= c is unchanged (an all-zero
    gradient stays zero).

    Inputs:
    - grads: a list of gradient arrays; clipnorm: c > 0.

    Returns:
    - a new list of float64 arrays.
    """
    # BEGIN SOLUTION
    # HINT: one norm per gradient, over all its elements; a gradient within the limit is unchanged.
    clipped = []
    for g in grads:
        g = np.asarray(g, dtype=np.float64)
        clipped.append(g * clipnorm / max(float(np.sqrt(np.sum(g**2))), clipnorm))
    return clipped
    # END SOLUTION


def clip_by_global_norm(grads: Sequence[ArrayLike], global_clipnorm: float) -> list[np.ndarray]:
    """Keras's ``global_clipnorm=c``: rescale ALL gradients by one common factor.

    With the global norm ``N = sqrt(sum_i ||g_i||**2)`` over every gradient, each gradient
    becomes ``g_i * c / max(N, c)``; if ``N <= c`` nothing changes.

    Inputs:
    - grads: a list of gradient arrays; global_clipnorm: c > 0.

    Returns:
    - a new list of float64 arrays.
    """
    # BEGIN SOLUTION
    # HINT: compute N once over all arrays, then one scale factor for all of them.
    grads = [np.asarray(g, dtype=np.float64) for g in grads]
    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    scale = global_clipnorm / max(norm, global_clipnorm)
    return [g * scale for g in grads]
    # END SOLUTION


def inverse_time_decay(learning_rate: float, decay: float, iterations: int) -> float:
    """The lecture's Keras 2 ``decay=``: ``learning_rate / (1 + decay * iterations)``.

    ``iterations`` is the number of updates done so far (0 for the first step). Keras 3
    ignores ``decay=``; the same curve is
    ``keras.optimizers.schedules.InverseTimeDecay(learning_rate, decay_steps=1,
    decay_rate=decay)`` evaluated at ``iterations``.

    Returns:
    - the decayed learning rate as a Python float.
    """
    # BEGIN SOLUTION
    # HINT: iterations counts the updates already done, so the first step uses iterations = 0.
    return float(learning_rate / (1.0 + decay * iterations))
    # END SOLUTION


# ---------------------------------------------------------------------------------------
# Keras-style optimizer objects built on the functions above (not graded).
# ---------------------------------------------------------------------------------------

LearningRate = float | Callable[[int], float]


class Optimizer:
    """Base class: ``apply`` clips, evaluates the schedule, then calls ``update_step``.

    Mirrors the order of ``keras.optimizers.Optimizer.apply``: clip the gradients, read the
    learning rate (a schedule is called with ``iterations`` BEFORE the increment), update
    every parameter, then ``iterations += 1``. At most one of ``clipnorm``, ``clipvalue``,
    ``global_clipnorm`` may be set, as in Keras.
    """

    def __init__(
        self,
        learning_rate: LearningRate,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of clipnorm, clipvalue and global_clipnorm can be set.")
        self.learning_rate = learning_rate
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.iterations = 0
        self._states: list[State] = []

    def apply(self, params: Sequence[ArrayLike], grads: Sequence[ArrayLike]) -> list[np.ndarray]:
        """One optimization step for a list of parameters; returns the new parameters."""
        if len(params) != len(grads):
            raise ValueError(f"got {len(params)} parameters but {len(grads)} gradients")
        if not self._states:
            self._states = [{} for _ in params]
        grads = self._clip(grads)
        lr = self._current_learning_rate()
        new_params = []
        for i, (w, g) in enumerate(zip(params, grads, strict=True)):
            new_w, self._states[i] = self.update_step(w, g, self._states[i], lr)
            new_params.append(new_w)
        self.iterations += 1
        return new_params

    def update_step(self, w: ArrayLike, g: ArrayLike, state: State, lr: float):
        raise NotImplementedError  # each optimizer below defines its own step

    def _clip(self, grads: Sequence[ArrayLike]) -> list[np.ndarray]:
        if self.clipvalue is not None:
            return clip_by_value(grads, self.clipvalue)
        if self.clipnorm is not None:
            return clip_by_norm(grads, self.clipnorm)
        if self.global_clipnorm is not None:
            return clip_by_global_norm(grads, self.global_clipnorm)
        return [np.asarray(g, dtype=np.float64) for g in grads]

    def _current_learning_rate(self) -> float:
        if callable(self.learning_rate):
            return float(self.learning_rate(self.iterations))
        return float(self.learning_rate)


class SGD(Optimizer):
    """``keras.optimizers.SGD(learning_rate=0.01, momentum=0.0, nesterov=False)``."""

    def __init__(self, learning_rate: LearningRate = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, **clip: float) -> None:
        super().__init__(learning_rate, **clip)
        self.momentum, self.nesterov = momentum, nesterov

    def update_step(self, w, g, state, lr):
        return sgd_update(w, g, state, lr, self.momentum, self.nesterov)


class RMSprop(Optimizer):
    """``keras.optimizers.RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
    centered=False)``."""

    def __init__(self, learning_rate: LearningRate = 0.001, rho: float = 0.9,
                 momentum: float = 0.0, epsilon: float = 1e-7, centered: bool = False,
                 **clip: float) -> None:
        super().__init__(learning_rate, **clip)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def update_step(self, w, g, state, lr):
        return rmsprop_update(w, g, state, lr, self.rho, self.momentum, self.epsilon,
                              self.centered)


class Adagrad(Optimizer):
    """``keras.optimizers.Adagrad(learning_rate=0.001, initial_accumulator_value=0.1,
    epsilon=1e-7)``."""

    def __init__(self, learning_rate: LearningRate = 0.001,
                 initial_accumulator_value: float = 0.1, epsilon: float = 1e-7,
                 **clip: float) -> None:
        super().__init__(learning_rate, **clip)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def update_step(self, w, g, state, lr):
        return adagrad_update(w, g, state, lr, self.initial_accumulator_value, self.epsilon)


class Adadelta(Optimizer):
    """``keras.optimizers.Adadelta(learning_rate=0.001, rho=0.95, epsilon=1e-7)``."""

    def __init__(self, learning_rate: LearningRate = 0.001, rho: float = 0.95,
                 epsilon: float = 1e-7, **clip: float) -> None:
        super().__init__(learning_rate, **clip)
        self.rho, self.epsilon = rho, epsilon

    def update_step(self, w, g, state, lr):
        return adadelta_update(w, g, state, lr, self.rho, self.epsilon)


class Adam(Optimizer):
    """``keras.optimizers.Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
    amsgrad=False)``."""

    def __init__(self, learning_rate: LearningRate = 0.001, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False,
                 **clip: float) -> None:
        super().__init__(learning_rate, **clip)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def update_step(self, w, g, state, lr):
        return adam_update(w, g, state, lr, self.beta_1, self.beta_2, self.epsilon,
                           self.amsgrad)
