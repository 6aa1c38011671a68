"""solutions/optimizers.py against 25-step trajectories of the Keras 3 optimizers.

The same float32-exact gradient sequence goes through `keras.optimizers.X.apply` on
`keras.Variable`s and through the numpy update; the weights are compared after EVERY step.
One tensor starts at 0 (its value is the accumulated update itself) and one away from 0.
Gradients span several scales and some configurations use a large epsilon, so that
epsilon's placement (inside or outside the square root) is actually visible.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from helpers_keras import (
    ADAM_RTOL,
    EXACT_RTOL,
    KERAS_RTOL,
    assert_float64_array,
    assert_keras_close,
    assert_python_float,
    assert_unchanged,
    f32_exact,
    keras_trajectory,
    snapshot,
)

from solutions import optimizers as opt

STEPS = 25
SHAPES = [(3,), (2, 4)]

UPDATES: dict[str, Callable[..., tuple[np.ndarray, dict]]] = {
    "SGD": opt.sgd_update,
    "RMSprop": opt.rmsprop_update,
    "Adagrad": opt.adagrad_update,
    "Adadelta": opt.adadelta_update,
    "Adam": opt.adam_update,
}

CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("SGD", {}),
    ("SGD", {"learning_rate": 0.05}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.02, "momentum": 0.5, "nesterov": True}),
    ("RMSprop", {}),
    ("RMSprop", {"learning_rate": 0.01, "rho": 0.8, "epsilon": 0.1}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.7}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.9, "epsilon": 1e-3}),
    ("Adagrad", {}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 0.1}),
    ("Adagrad", {"learning_rate": 0.05, "initial_accumulator_value": 0.0}),
    ("Adadelta", {}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adadelta", {"learning_rate": 0.5, "rho": 0.8, "epsilon": 1e-3}),
    ("Adam", {}),
    ("Adam", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99}),
    ("Adam", {"learning_rate": 0.01, "epsilon": 0.1}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.02, "beta_2": 0.9, "amsgrad": True, "epsilon": 1e-3}),
]


def _config_id(config: tuple[str, dict[str, Any]]) -> str:
    name, kwargs = config
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


def _start() -> list[np.ndarray]:
    rng = np.random.default_rng(100)
    away = rng.choice([-1.0, 1.0], size=SHAPES[1]) * rng.uniform(0.5, 2.0, size=SHAPES[1])
    return [np.zeros(SHAPES[0]), f32_exact(away)]


def _gradient_steps(seed: int, steps: int = STEPS) -> list[list[np.ndarray]]:
    """Gradients whose scale changes over time and across elements (1e-3 .. 3)."""
    rng = np.random.default_rng(seed)
    scales = np.exp(rng.uniform(np.log(1e-3), np.log(3.0), size=steps))
    return [
        [f32_exact(rng.normal(size=shape) * scales[t] + 0.3 * scales[t]) for shape in SHAPES]
        for t in range(steps)
    ]


def _numpy_trajectory(
    name: str,
    kwargs: dict[str, Any],
    w0s: list[np.ndarray],
    grad_steps: list[list[np.ndarray]],
    clip: Callable[[list[np.ndarray]], list[np.ndarray]] | None = None,
    schedule: Callable[[int], float] | None = None,
) -> list[list[np.ndarray]]:
    """Our update functions threaded through their returned states, one per tensor."""
    update = UPDATES[name]
    weights, states = list(w0s), [{} for _ in w0s]
    history = []
    for step, grads in enumerate(grad_steps):
        grads = clip(grads) if clip else grads
        step_kwargs = dict(kwargs, learning_rate=schedule(step)) if schedule else kwargs
        for i, g in enumerate(grads):
            weights[i], states[i] = update(weights[i], g, states[i], **step_kwargs)
        history.append(list(weights))
    return history


def _assert_trajectories_close(
    ours: list[list[np.ndarray]], theirs: list[list[np.ndarray]], rtol: float
) -> None:
    """Every step, every tensor; the absolute floor scales with the tensor's magnitude."""
    for i in range(len(ours[0])):
        scale = max(float(np.max(np.abs(step[i]))) for step in theirs) or 1.0
        for t, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            np.testing.assert_allclose(
                a[i], b[i], rtol=rtol, atol=rtol * scale, err_msg=f"step {t + 1}, tensor {i}"
            )


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
def test_trajectory_matches_keras(keras: ModuleType, config: tuple, seed: int) -> None:
    name, kwargs = config
    w0s, grad_steps = _start(), _gradient_steps(seed)
    theirs = keras_trajectory(getattr(keras.optimizers, name)(**kwargs), w0s, grad_steps)
    ours = _numpy_trajectory(name, kwargs, w0s, grad_steps)
    _assert_trajectories_close(ours, theirs, ADAM_RTOL if name == "Adam" else KERAS_RTOL)


@pytest.mark.parametrize("name", list(UPDATES))
def test_update_contract(name: str) -> None:
    """float64 result of w's shape, inputs untouched, state threaded through, defaults."""
    update = UPDATES[name]
    w, g = [[1.0, -2.0], [0.5, 3.0]], np.array([[0.1, 0.2], [-0.3, 0.0]], dtype=np.float32)
    before = snapshot(w, g)
    state: dict = {}
    new_w, state = update(w, g, state)
    assert isinstance(state, dict)
    assert_float64_array(new_w, (2, 2))
    new_w2, state = update(new_w, g, state)
    assert_float64_array(new_w2, (2, 2))
    assert_unchanged([w, g], before)
    assert not np.array_equal(new_w2, new_w)


def test_default_hyperparameters_are_keras3(keras: ModuleType) -> None:
    import inspect

    for name, update in UPDATES.items():
        keras_params = inspect.signature(getattr(keras.optimizers, name)).parameters
        for param in list(inspect.signature(update).parameters)[3:]:
            assert inspect.signature(update).parameters[param].default == (
                keras_params[param].default
            ), (name, param)


def test_adagrad_accumulator_starts_at_initial_value() -> None:
    new_w, _ = opt.adagrad_update(np.array([1.0]), np.array([2.0]), {}, learning_rate=0.1)
    np.testing.assert_allclose(new_w, 1.0 - 0.1 * 2.0 / np.sqrt(0.1 + 4.0 + 1e-7), rtol=1e-12)


def test_adam_first_step_exact() -> None:
    new_w, _ = opt.adam_update(np.array([1.0]), np.array([0.5]), {}, learning_rate=0.1)
    alpha = 0.1 * np.sqrt(1 - 0.999) / (1 - 0.9)
    m, v = 0.1 * 0.5, 0.001 * 0.25
    np.testing.assert_allclose(new_w, 1.0 - alpha * m / (np.sqrt(v) + 1e-7), rtol=1e-12)


def test_same_state_dict_reused_across_parameters_is_not_required() -> None:
    """Two parameters with separate states evolve independently (no module-level state)."""
    g = [np.array([0.3, -0.2])] * 5
    a_w, a_s = np.zeros(2), {}
    for gi in g:
        a_w, a_s = opt.adam_update(a_w, gi, a_s)
    b_w, b_s = np.zeros(2), {}
    for gi in g[:2]:
        b_w, b_s = opt.adam_update(b_w, gi, b_s)
    fresh_w, fresh_s = np.zeros(2), {}
    for gi in g[:2]:
        fresh_w, fresh_s = opt.adam_update(fresh_w, gi, fresh_s)
    np.testing.assert_array_equal(b_w, fresh_w)


# --- gradient clipping ---------------------------------------------------------------


def _clip_grads() -> list[np.ndarray]:
    """Three tensors: norm well above 1, norm below 1, and all zeros."""
    rng = np.random.default_rng(9)
    return [f32_exact(rng.normal(size=(3, 2)) * 3.0), f32_exact([0.1, -0.2, 0.3]), np.zeros(4)]


CLIPS = {
    "clipvalue": opt.clip_by_value,
    "clipnorm": opt.clip_by_norm,
    "global_clipnorm": opt.clip_by_global_norm,
}


@pytest.mark.parametrize("threshold", [0.05, 0.5, 1.0, 100.0])
@pytest.mark.parametrize("mode", list(CLIPS))
def test_clipping_matches_keras_optimizer(keras: ModuleType, mode: str, threshold: float) -> None:
    grads = _clip_grads()
    before = snapshot(grads)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        clipped = CLIPS[mode](grads, threshold)
    assert_unchanged([grads], before)
    assert isinstance(clipped, list) and clipped is not grads and len(clipped) == 3
    for c, g in zip(clipped, grads, strict=True):
        assert_float64_array(c, g.shape)
    # SGD(learning_rate=1) from zero weights: the new weights are minus the clipped grads.
    sgd = keras.optimizers.SGD(learning_rate=1.0, **{mode: threshold})
    (theirs,) = keras_trajectory(sgd, [np.zeros_like(g) for g in grads], [grads])
    for c, t in zip(clipped, theirs, strict=True):
        assert_keras_close(c, -t, atol=1e-7)


def test_clipping_exact_math() -> None:
    grads = _clip_grads()
    c = 0.5
    np.testing.assert_array_equal(opt.clip_by_value(grads, c)[0], np.clip(grads[0], -c, c))
    by_norm = opt.clip_by_norm(grads, c)
    np.testing.assert_allclose(np.linalg.norm(by_norm[0]), c, rtol=EXACT_RTOL)
    np.testing.assert_allclose(by_norm[0], grads[0] * c / np.linalg.norm(grads[0]), rtol=1e-12)
    np.testing.assert_array_equal(by_norm[1], grads[1])  # norm 0.37 <= 0.5: unchanged
    np.testing.assert_array_equal(by_norm[2], 0.0)
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    by_global = opt.clip_by_global_norm(grads, c)
    for clipped, g in zip(by_global, grads, strict=True):
        np.testing.assert_allclose(clipped, g * c / total, rtol=1e-12)
    unchanged = opt.clip_by_global_norm(grads, 1e3)
    for clipped, g in zip(unchanged, grads, strict=True):
        np.testing.assert_allclose(clipped, g, rtol=1e-15)
    zeros = opt.clip_by_global_norm([np.zeros(2), np.zeros((2, 2))], 1.0)
    assert all(np.all(z == 0.0) for z in zeros)


@pytest.mark.parametrize(
    ("name", "kwargs", "mode", "threshold"),
    [
        ("Adam", {"learning_rate": 0.01}, "clipnorm", 0.5),
        ("SGD", {"learning_rate": 0.05, "momentum": 0.9}, "global_clipnorm", 0.8),
        ("RMSprop", {"learning_rate": 0.01, "centered": True}, "clipvalue", 0.2),
        ("Adagrad", {"learning_rate": 0.1}, "clipnorm", 0.3),
        ("Adadelta", {"learning_rate": 1.0}, "clipvalue", 0.1),
    ],
)
def test_clipped_trajectory_matches_keras(
    keras: ModuleType, name: str, kwargs: dict, mode: str, threshold: float
) -> None:
    w0s, grad_steps = _start(), _gradient_steps(3)
    keras_opt = getattr(keras.optimizers, name)(**kwargs, **{mode: threshold})
    theirs = keras_trajectory(keras_opt, w0s, grad_steps)
    ours = _numpy_trajectory(
        name, kwargs, w0s, grad_steps, clip=lambda gs: CLIPS[mode](gs, threshold)
    )
    _assert_trajectories_close(ours, theirs, ADAM_RTOL if name == "Adam" else KERAS_RTOL)


# --- learning-rate decay -------------------------------------------------------------


@pytest.mark.parametrize(("lr", "decay"), [(0.1, 0.0), (0.1, 0.01), (0.5, 1e-3), (1.0, 0.5)])
def test_inverse_time_decay_matches_keras_schedule(keras: ModuleType, lr: float, decay: float):
    schedule = keras.optimizers.schedules.InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)
    for iterations in [0, 1, 2, 3, 10, 99, 500, 1000, 4999]:
        value = opt.inverse_time_decay(lr, decay, iterations)
        assert_python_float(value)
        np.testing.assert_allclose(value, lr / (1 + decay * iterations), rtol=EXACT_RTOL)
        assert_keras_close(value, schedule(iterations))


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("SGD", {"momentum": 0.9}), ("Adam", {}), ("RMSprop", {"centered": True})],
)
def test_decayed_trajectory_matches_keras_schedule(
    keras: ModuleType, name: str, kwargs: dict
) -> None:
    lr, decay, steps = 0.05, 0.2, 40
    schedule = keras.optimizers.schedules.InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)
    w0s, grad_steps = _start(), _gradient_steps(4, steps)
    theirs = keras_trajectory(
        getattr(keras.optimizers, name)(learning_rate=schedule, **kwargs), w0s, grad_steps
    )
    ours = _numpy_trajectory(
        name, kwargs, w0s, grad_steps, schedule=lambda it: opt.inverse_time_decay(lr, decay, it)
    )
    _assert_trajectories_close(ours, theirs, ADAM_RTOL if name == "Adam" else KERAS_RTOL)


# --- the (ungraded) Keras-style optimizer classes ------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
        ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "clipnorm": 0.5}),
        ("Adagrad", {"learning_rate": 0.1, "clipvalue": 0.2}),
        ("Adadelta", {"learning_rate": 1.0, "global_clipnorm": 0.4}),
        ("Adam", {"learning_rate": 0.01, "amsgrad": True, "global_clipnorm": 0.4}),
    ],
)
def test_optimizer_classes_match_keras(keras: ModuleType, name: str, kwargs: dict) -> None:
    w0s, grad_steps = _start(), _gradient_steps(5)
    theirs = keras_trajectory(getattr(keras.optimizers, name)(**kwargs), w0s, grad_steps)
    ours_opt, params, ours = getattr(opt, name)(**kwargs), list(w0s), []
    for grads in grad_steps:
        params = ours_opt.apply(params, grads)
        ours.append(list(params))
    assert ours_opt.iterations == STEPS
    _assert_trajectories_close(ours, theirs, ADAM_RTOL if name == "Adam" else KERAS_RTOL)


def test_optimizer_class_with_keras_schedule(keras: ModuleType) -> None:
    schedule = keras.optimizers.schedules.InverseTimeDecay(0.05, decay_steps=1, decay_rate=0.3)
    w0s, grad_steps = _start(), _gradient_steps(6)
    theirs = keras_trajectory(keras.optimizers.SGD(learning_rate=schedule), w0s, grad_steps)
    ours_opt, params, ours = opt.SGD(learning_rate=schedule), list(w0s), []
    for grads in grad_steps:
        params = ours_opt.apply(params, grads)
        ours.append(list(params))
    _assert_trajectories_close(ours, theirs, KERAS_RTOL)


def test_optimizer_class_rejects_two_clip_modes() -> None:
    with pytest.raises(ValueError):
        opt.Adam(clipnorm=1.0, clipvalue=1.0)


def test_keras3_ignores_decay_as_the_docstring_says(keras: ModuleType) -> None:
    """The lecture's `decay=` is silently a no-op in Keras 3: the schedule is the fix."""
    grads = _gradient_steps(7, 5)
    plain = keras_trajectory(keras.optimizers.SGD(learning_rate=0.1), _start(), grads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        decayed = keras_trajectory(
            keras.optimizers.SGD(learning_rate=0.1, decay=0.5), _start(), grads
        )
    _assert_trajectories_close(decayed, plain, 0.0)
