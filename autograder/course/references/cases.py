"""Deterministic, named inputs for the hidden suites and the cached Keras references.

A case is a dict of plain data (numpy float64 arrays, numbers, lists of arrays) built from
fixed seeds, so the hidden suites, ``generate.py`` (Keras/scikit-learn outputs) and the
project tests all see the same numbers. Arrays are made float32-exact where Keras computes
with them: Keras then starts from exactly the grader's inputs and only its float32
arithmetic differs.

``get(name)`` builds a fresh copy on every call (student code never sees grader data, but
the trusted side must not share mutable inputs between tests either); ``kind(name)`` names
the family a case belongs to, which is what ``generate.py`` dispatches on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Case = dict[str, Any]
Builder = Callable[[], Case]

_BUILDERS: dict[str, tuple[str, Builder]] = {}

TRAJECTORY_STEPS = 8


def get(name: str) -> Case:
    """A fresh copy of the named case."""
    try:
        return _BUILDERS[name][1]()
    except KeyError:
        raise KeyError(f"no reference case named {name!r}") from None


def kind(name: str) -> str:
    """The family of the named case (e.g. ``"optimizer"``, ``"sigmoid"``)."""
    return _BUILDERS[name][0]


def names(of_kind: str | None = None) -> list[str]:
    """All case names, or those of one family, in registration order."""
    return [n for n, (k, _) in _BUILDERS.items() if of_kind is None or k == of_kind]


def _case(name: str, family: str, builder: Builder) -> None:
    if name in _BUILDERS:
        raise ValueError(f"duplicate case {name!r}")
    _BUILDERS[name] = (family, builder)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _f32(a: Any) -> np.ndarray:
    """Round to float32 and back, so Keras and the float64 code start from equal numbers."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def _nonzero(rng: np.random.Generator, shape: tuple[int, ...], low: float = 0.3) -> np.ndarray:
    """Values bounded away from 0 (dropout masks are read back from Keras as out != 0)."""
    return _f32(rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, 2.0, size=shape))


# ---------------------------------------------------------------------------------------
# losses
# ---------------------------------------------------------------------------------------

_RANDOM_SHAPES = [(7,), (5, 3), (2, 3, 4)]


def _losses() -> None:
    for i, shape in enumerate(_RANDOM_SHAPES):
        _case(f"sigmoid_random{i}", "sigmoid",
              lambda s=shape, i=i: {"z": _f32(_rng(100 + i).normal(0, 6, s))})
    _case("sigmoid_extreme", "sigmoid", lambda: {
        "z": np.array([-1e4, -1000.0, -40.0, -1.0, 0.0, 0.5, 40.0, 1000.0, 1e4])})
    _case("sigmoid_scalar", "sigmoid", lambda: {"z": -2.5})

    softmax_specs = [((4, 5), -1), ((3, 2, 6), -1), ((5, 4), 0), ((2, 5, 3), 1)]
    for i, (shape, axis) in enumerate(softmax_specs):
        _case(f"softmax_random{i}", "softmax", lambda s=shape, a=axis, i=i: {
            "z": _f32(_rng(110 + i).normal(0, 3, s)), "axis": a})
    _case("softmax_extreme", "softmax", lambda: {"z": np.array([
        [1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [1e4, 1e4, 0.0], [-5000.0, 3.0, 2.0]]),
        "axis": -1})

    for i, shape in enumerate([(9,), (4, 3), (2, 3, 2)]):
        _case(f"mse_random{i}", "mse", lambda s=shape, i=i: {
            "y_true": _f32(_rng(120 + i).normal(0, 2, s)),
            "y_pred": _f32(_rng(130 + i).normal(0, 2, s))})

    for i, shape in enumerate([(8,), (6, 2)]):
        _case(f"bce_random{i}", "bce", lambda s=shape, i=i: _bce_random(140 + i, s))
    _case("bce_saturated", "bce", lambda: {
        "y_true": np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]),
        "y_pred": np.array([1.0, 0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 0.0])})
    _case("bce_saturated_wrong", "bce", lambda: {  # p == 1 for a 0 label: log(eps) terms
        "y_true": np.array([[0.0], [1.0], [0.0], [1.0]]),
        "y_pred": np.array([[1.0], [0.0], [0.0], [0.6]])})
    _case("bce_epsilon", "bce", lambda: {
        "y_true": np.array([1.0, 0.0, 1.0, 0.0]), "y_pred": np.array([0.0, 1.0, 1.0, 0.5]),
        "epsilon": 1e-3})

    _case("cce_softmax", "cce", lambda: _cce_probabilities(150, 6, 4))
    _case("cce_unnormalized", "cce", lambda: _cce_scores(151, 5, 3))
    # As many rows as classes: row sums without keepdims would divide the columns silently.
    _case("cce_square_unnormalized", "cce", lambda: _cce_scores(152, 4, 4))
    _case("cce_saturated", "cce", lambda: {
        "y_true": np.eye(3)[[0, 1, 2, 0]],
        "y_pred": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.2, 0.3, 0.5], [0.0, 1.0, 0.0]])})
    _case("cce_epsilon", "cce", lambda: {
        "y_true": np.eye(3)[[0, 1, 2]],
        "y_pred": np.array([[0.0, 0.5, 0.5], [0.1, 0.8, 0.1], [0.3, 0.7, 0.0]]),
        "epsilon": 1e-4})

    _case("r2_random1d", "r2", lambda: _r2_noisy(160, (12,)))
    _case("r2_random2d", "r2", lambda: _r2_noisy(161, (10, 3)))
    _case("r2_negative", "r2", lambda: {
        "y_true": _f32(_rng(162).normal(0, 1, 9)), "y_pred": _f32(_rng(163).normal(0, 2, 9))})
    _case("r2_constant_perfect", "r2", lambda: {
        "y_true": np.full(5, 2.0), "y_pred": np.full(5, 2.0)})
    _case("r2_constant_imperfect", "r2", lambda: {
        "y_true": np.full(4, 2.0), "y_pred": np.array([2.0, 2.5, 2.0, 1.0])})
    _case("r2_constant_column", "r2", lambda: {
        "y_true": np.array([[1.0, 3.0], [1.0, 5.0], [1.0, 4.0], [1.0, 8.0]]),
        "y_pred": np.array([[1.0, 3.5], [1.5, 4.5], [1.0, 4.0], [1.0, 7.0]])})

    _case("accuracy_labels", "accuracy", lambda: _accuracy_case(170, "labels", "labels"))
    _case("accuracy_onehot_probs", "accuracy", lambda: _accuracy_case(171, "onehot", "probs"))
    _case("accuracy_labels_probs", "accuracy", lambda: _accuracy_case(172, "labels", "probs"))
    _case("accuracy_onehot_labels", "accuracy", lambda: _accuracy_case(173, "onehot", "labels"))
    _case("accuracy_binary_column", "accuracy", lambda: _binary_accuracy_case(174, "column"))
    _case("accuracy_labels_column", "accuracy", lambda: _binary_accuracy_case(175, "labels"))


def _bce_random(seed: int, shape: tuple[int, ...]) -> Case:
    rng = _rng(seed)
    return {"y_true": rng.integers(0, 2, shape).astype(np.float64),
            "y_pred": _f32(rng.uniform(0.02, 0.98, shape))}


def _softmax_rows(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _cce_probabilities(seed: int, n: int, c: int) -> Case:
    rng = _rng(seed)
    return {"y_true": np.eye(c)[rng.integers(0, c, n)],
            "y_pred": _f32(_softmax_rows(rng.normal(0, 1.5, (n, c))))}


def _cce_scores(seed: int, n: int, c: int) -> Case:
    rng = _rng(seed)  # rows that do not sum to 1: the renormalisation step matters
    return {"y_true": np.eye(c)[rng.integers(0, c, n)],
            "y_pred": _f32(rng.uniform(0.1, 3.0, (n, c)))}


def _r2_noisy(seed: int, shape: tuple[int, ...]) -> Case:
    rng = _rng(seed)
    y = _f32(rng.normal(0, 3, shape))
    return {"y_true": y, "y_pred": _f32(y + rng.normal(0, 1, shape))}


def _accuracy_case(seed: int, true_form: str, pred_form: str, n: int = 15, c: int = 4) -> Case:
    rng = _rng(seed)
    labels = rng.integers(0, c, n)
    guessed = np.where(rng.random(n) < 0.6, labels, rng.integers(0, c, n))
    scores = rng.uniform(0, 0.4, (n, c))  # argmax is `guessed`, never a tie
    scores[np.arange(n), guessed] += 1.0
    return {
        "y_true": np.eye(c)[labels] if true_form == "onehot" else labels,
        "y_pred": _softmax_rows(scores) if pred_form == "probs" else guessed,
    }


def _binary_accuracy_case(seed: int, true_form: str, n: int = 12) -> Case:
    """Sigmoid outputs (N, 1) against 0/1 targets as a column (N, 1) or as labels (N,);
    one probability is exactly 0.5, which counts as class 0."""
    rng = _rng(seed)
    labels = rng.integers(0, 2, n)
    probs = rng.uniform(0.05, 0.95, n)
    probs[0] = 0.5
    return {"y_true": labels[:, None].astype(np.float64) if true_form == "column" else labels,
            "y_pred": probs[:, None]}


# ---------------------------------------------------------------------------------------
# gradient_descent
# ---------------------------------------------------------------------------------------


def _linear_data(seed: int, n: int, d: int, noise: float = 0.1, scales: Any = 1.0) -> Case:
    rng = _rng(seed)
    X = _f32(rng.normal(0, 1, (n, d)) * scales)
    w_true = rng.uniform(-2, 2, d) / np.asarray(scales, dtype=np.float64)
    y = _f32(X @ w_true + 0.5 + rng.normal(0, noise, n))
    return {"X": X, "y": y}


def _least_squares_loss(X: np.ndarray, y: np.ndarray) -> float:
    """The optimal MSE (the grader's own arithmetic; diagnose cases need it as an input)."""
    design = np.column_stack([X, np.ones(len(X))])
    theta = np.linalg.lstsq(design, y, rcond=None)[0]
    return float(np.mean((design @ theta - y) ** 2))


def _gd_case(seed: int, n: int, d: int, learning_rate: float, epochs: int,
             start: bool = False) -> Case:
    case = _linear_data(seed, n, d)
    case.update(learning_rate=learning_rate, epochs=epochs,
                optimum=_least_squares_loss(case["X"], case["y"]))
    if start:
        case.update(w0=_f32(_rng(seed + 1).normal(0, 1, d)), b0=0.75)
    return case


def _model_case(seed: int, n: int, d: int) -> Case:
    case = _linear_data(seed, n, d)
    rng = _rng(seed + 1)
    case.update(w=_f32(rng.normal(0, 1, d)), b=float(np.float32(rng.normal())))
    return case


def _gradient_descent() -> None:
    for i, (n, d) in enumerate([(6, 3), (10, 1), (4, 5)]):
        _case(f"predict_random{i}", "predict", lambda n=n, d=d, i=i: _model_case(200 + i, n, d))
    for i, (n, d) in enumerate([(8, 3), (12, 2), (5, 1)]):
        _case(f"mse_grads_random{i}", "mse_grads",
              lambda n=n, d=d, i=i: _model_case(210 + i, n, d))
    _case("gd_converge", "gd", lambda: _gd_case(220, 16, 3, 0.1, 60))
    _case("gd_start", "gd", lambda: _gd_case(221, 12, 2, 0.05, 20, start=True))
    _case("gd_slow", "gd", lambda: _gd_case(222, 16, 3, 0.001, 15))
    _case("gd_diverge", "gd", lambda: _gd_case(223, 16, 3, 1.5, 12))
    # Overflows float64 (> 1e100 by epoch 39, inf/NaN from epoch 120): reference only.
    _case("gd_overflow", "gd_overflow", lambda: _gd_case(224, 16, 3, 8.0, 150))
    _case("gd_zero_epochs", "gd_overflow", lambda: _gd_case(225, 6, 2, 0.1, 0, start=True))

    _case("lsq_random0", "lsq", lambda: _linear_data(230, 20, 3))
    _case("lsq_random1", "lsq", lambda: _linear_data(231, 15, 1))
    _case("lsq_badly_scaled", "lsq", lambda: _linear_data(232, 12, 2, scales=[1.0, 3000.0]))
    _case("lsq_exact", "lsq", lambda: _linear_data(233, 7, 3, noise=0.0))

    diagnose = {
        "diag_nan": ([5.0, 3.0, np.nan, np.nan], 0.5, None),
        "diag_inf": ([5.0, 20.0, 400.0, np.inf], 0.5, None),
        "diag_increase": ([1.0, 0.8, 1.2], 0.1, None),
        "diag_bumpy_converged": ([10.0, 12.0, 3.0, 0.55], 0.5, None),
        "diag_slow": ([10.0, 9.0, 8.0], 0.5, None),
        "diag_custom_rtol": ([10.0, 5.0, 2.0], 1.0, 0.2),
        "diag_start_at_optimum": ([0.5, 0.5, 0.5], 0.5, None),
        "diag_below_optimum": ([0.4999999, 0.4999998, 0.4999998], 0.5, None),
    }
    for name, (history, optimum, rtol) in diagnose.items():
        _case(name, "diagnose", lambda h=history, o=optimum, r=rtol: {
            "history": np.array(h), "optimum": o, "rtol": r})


# ---------------------------------------------------------------------------------------
# normalization
# ---------------------------------------------------------------------------------------

LECTURE_X = [[1.0, 9000.0], [2.0, -5000.0], [4.0, -2000.0], [6.0, 8000.0], [9.0, 9000.0]]


def _scaled_data(seed: int, n: int) -> np.ndarray:
    rng = _rng(seed)
    return _f32(rng.normal(0, 1, (n, 3)) * [1.0, 1000.0, 0.01] + [0.0, 5000.0, -3.0])


def _with_constant_column(seed: int, n: int) -> np.ndarray:
    X = _scaled_data(seed, n)
    X[:, 1] = 5.0  # exactly representable: every correct formula gives std 0 exactly
    return X


def _new_values_in_constant_column(seed: int) -> np.ndarray:
    """New data whose constant column (5.0 when fitted) now holds other values."""
    X = _with_constant_column(seed, 4)
    X[:, 1] = [7.0, 3.0, 5.0, 5.5]
    return X


def _stats_case(X: np.ndarray, X_apply: np.ndarray) -> Case:
    """Data to fit and data to transform, with the statistics the transform takes."""
    return {"X": X, "X_apply": X_apply, "mean": X.mean(axis=0), "std": X.std(axis=0),
            "x_min": X.min(axis=0), "x_max": X.max(axis=0)}


def _normalization() -> None:
    _case("norm_random", "normalization", lambda: _stats_case(
        _scaled_data(300, 12), _scaled_data(301, 5) * 1.5))
    _case("norm_constant", "normalization", lambda: _stats_case(
        _with_constant_column(302, 8), _with_constant_column(303, 4)))
    _case("norm_lecture", "normalization", lambda: _stats_case(
        np.array(LECTURE_X), np.array([[3.0, 0.0], [10.0, 12000.0]])))
    _case("norm_constant_new_data", "normalization", lambda: _stats_case(
        _with_constant_column(304, 8), _new_values_in_constant_column(305)))
    _case("norm_epsilon", "normalization_eps", lambda: {
        "X": np.array([[1.0, 2.0, 3.0], [2.0, 2.5, 3.25], [0.5, 1.5, 2.75]]),
        "mean": np.array([1.0, 2.0, 3.0]), "std": np.array([0.6, 0.2, 0.05]),
        "x_min": np.array([0.5, 1.5, 2.9]), "x_max": np.array([2.0, 1.9, 3.0]),
        "epsilon": 0.25})


# ---------------------------------------------------------------------------------------
# regularization
# ---------------------------------------------------------------------------------------


def _weights(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    rng = _rng(seed)
    w = _f32(rng.normal(0, 0.7, shape))
    w.flat[:: 4] = 0.0  # exact zeros: sign(0) = 0 in the gradient
    return w


def _regularization() -> None:
    _case("penalty_single", "penalty", lambda: {
        "weights": _weights(400, (4, 3)), "l1": 0.05, "l2": 0.02})
    _case("penalty_list", "penalty", lambda: {
        "weights": [_weights(401, (3, 2)), _weights(402, (2,)), _weights(403, (2, 2, 2))],
        "l1": 0.3, "l2": 0.15})
    for name, (l1, l2) in {"grad_l1l2": (0.1, 0.05), "grad_l1": (0.2, 0.0),
                           "grad_l2": (0.0, 0.3)}.items():
        _case(f"penalty_{name}", "penalty_grad",
              lambda l1=l1, l2=l2: {"w": _weights(404, (5, 3)), "l1": l1, "l2": l2})
    for i, (l1, l2) in enumerate([(0.01, 0.02), (0.1, 0.0), (0.0, 0.05), (0.0, 0.0)]):
        _case(f"regmse_{i}", "regmse", lambda l1=l1, l2=l2, i=i: {
            **_model_case(410 + i, 10, 3), "l1": l1, "l2": l2})


# ---------------------------------------------------------------------------------------
# dropout
# ---------------------------------------------------------------------------------------


def _dropout_case(seed: int, shape: tuple[int, ...], rate: float) -> Case:
    rng = _rng(seed)
    return {"x": _nonzero(rng, shape), "dout": _nonzero(rng, shape), "rate": rate,
            "seed": seed, "mask": rng.random(shape) >= rate}


def _dropout() -> None:
    _case("dropout_keras0", "dropout_keras", lambda: _dropout_case(500, (6, 5), 0.3))
    _case("dropout_keras1", "dropout_keras", lambda: _dropout_case(501, (2, 3, 4), 0.5))
    _case("dropout_seeded", "dropout", lambda: _dropout_case(7, (4, 6), 0.4))
    _case("dropout_int_mask", "dropout", lambda: {
        **_dropout_case(502, (3, 4), 0.25),
        "mask": (_rng(503).random((3, 4)) >= 0.25).astype(np.int64)})
    _case("dropout_rate0", "dropout", lambda: _dropout_case(504, (3, 5), 0.0))
    _case("dropout_rate1", "dropout", lambda: _dropout_case(505, (3, 5), 1.0))
    _case("dropout_weighted_mask", "dropout", lambda: {
        **_dropout_case(507, (3, 4), 0.25),
        "mask": np.array([[0.0, 1.0, 2.0, 0.5], [-1.0, 0.0, 1.0, 3.0], [0.0, 0.0, 0.25, 1.0]])})
    _case("dropout_backward3d", "dropout", lambda: _dropout_case(506, (2, 4, 3), 0.2))
    _case("dropout_statistics", "dropout", lambda: {"x": np.full((100, 40), 2.0),
                                                    "rate": 0.25})


# ---------------------------------------------------------------------------------------
# optimizers
# ---------------------------------------------------------------------------------------


def _trajectory(seed: int, optimizer: str, shape: tuple[int, ...], hyper: dict[str, Any],
                scale: float = 1.0, start: bool = True, shrink: float = 1.0) -> Case:
    """w0 and TRAJECTORY_STEPS gradients; ``shrink`` < 1 makes the gradients decay."""
    rng = _rng(seed)
    w0 = _f32(rng.normal(0, 1, shape)) if start else np.zeros(shape)
    decay = shrink ** np.arange(TRAJECTORY_STEPS).reshape((-1,) + (1,) * len(shape))
    grads = _f32(rng.normal(0, 1, (TRAJECTORY_STEPS, *shape)) * scale * decay)
    return {"optimizer": optimizer, "w0": w0, "grads": list(grads), "hyper": hyper}


_OPTIMIZER_CASES: dict[str, tuple[str, tuple[int, ...], dict[str, Any], dict[str, Any]]] = {
    # name: (function, shape, hyperparameters, how the gradients are made)
    "sgd_plain": ("sgd", (3,), {}, {}),
    "sgd_lr": ("sgd", (2, 3), {"learning_rate": 0.1}, {}),
    "sgd_momentum": ("sgd", (4,), {"learning_rate": 0.05, "momentum": 0.9}, {}),
    "sgd_nesterov": ("sgd", (2, 2), {"learning_rate": 0.05, "momentum": 0.9,
                                     "nesterov": True}, {}),
    "rmsprop_default": ("rmsprop", (3,), {}, {"start": False}),
    "rmsprop_custom": ("rmsprop", (2, 3), {"learning_rate": 0.01, "rho": 0.8,
                                           "epsilon": 1e-5}, {}),
    "rmsprop_centered": ("rmsprop", (4,), {"learning_rate": 0.01, "centered": True}, {}),
    "rmsprop_momentum": ("rmsprop", (3,), {"learning_rate": 0.01, "momentum": 0.5}, {}),
    "rmsprop_centered_momentum": ("rmsprop", (2, 2), {"learning_rate": 0.01, "momentum": 0.8,
                                                      "centered": True}, {}),
    "rmsprop_tiny_grads": ("rmsprop", (3,), {}, {"scale": 1e-4, "start": False}),
    "adagrad_default": ("adagrad", (3,), {}, {"start": False}),
    "adagrad_custom": ("adagrad", (2, 3), {"learning_rate": 0.1,
                                           "initial_accumulator_value": 0.5,
                                           "epsilon": 1e-5}, {}),
    "adadelta_default": ("adadelta", (3,), {}, {"start": False}),
    "adadelta_custom": ("adadelta", (2, 2), {"learning_rate": 1.0, "rho": 0.9,
                                             "epsilon": 1e-6}, {}),
    "adam_default": ("adam", (3,), {}, {"start": False}),
    "adam_custom": ("adam", (2, 3), {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99,
                                     "epsilon": 1e-5}, {}),
    "adam_amsgrad": ("adam", (4,), {"learning_rate": 0.01, "amsgrad": True},
                     {"scale": 2.0, "shrink": 0.6}),
    "adam_tiny_grads": ("adam", (3,), {}, {"scale": 1e-6, "start": False}),
}


def _clip_grads(seed: int) -> list[np.ndarray]:
    rng = _rng(seed)
    return [_f32(rng.normal(0, 3, 3)), _f32(rng.normal(0, 0.1, (2, 2))), np.zeros(2)]


def _optimizers() -> None:
    for i, (name, (function, shape, hyper, how)) in enumerate(_OPTIMIZER_CASES.items()):
        _case(name, "optimizer", lambda f=function, s=shape, h=hyper, k=how, i=i:
              _trajectory(600 + i, f, s, dict(h), **k))
    _case("clip_value", "clip_value", lambda: {"grads": _clip_grads(650), "clip": 1.0})
    _case("clip_value_small", "clip_value", lambda: {"grads": _clip_grads(651), "clip": 0.05})
    _case("clip_norm", "clip_norm", lambda: {"grads": _clip_grads(652), "clip": 1.0})
    _case("clip_norm_none_clipped", "clip_norm", lambda: {"grads": _clip_grads(653),
                                                          "clip": 50.0})
    _case("clip_global_above", "clip_global", lambda: {"grads": _clip_grads(654), "clip": 1.0})
    _case("clip_global_below", "clip_global", lambda: {"grads": _clip_grads(655), "clip": 50.0})
    _case("clip_global_zero", "clip_global", lambda: {"grads": [np.zeros(3), np.zeros((2, 2))],
                                                      "clip": 1.0})
    iterations = [0, 1, 2, 5, 10, 100, 1000, 10000, 100000]
    for name, (lr, decay) in {"decay_default": (0.1, 0.01), "decay_zero": (0.05, 0.0),
                              "decay_strong": (1.0, 0.5)}.items():
        _case(name, "decay", lambda lr=lr, d=decay: {
            "learning_rate": lr, "decay": d, "iterations": list(iterations)})


# ---------------------------------------------------------------------------------------
# batchnorm
# ---------------------------------------------------------------------------------------


def _bn_case(seed: int, shape: tuple[int, ...], training: bool, spread: float = 1.0,
             **options: float) -> Case:
    rng = _rng(seed)
    f = shape[-1]
    scales = np.geomspace(0.05, 5.0, f) * spread
    return {
        "x": _f32(rng.normal(0, 1, shape) * scales + rng.normal(0, 2, f)),
        "gamma": _f32(rng.uniform(0.5, 2.0, f)), "beta": _f32(rng.normal(0, 1, f)),
        "running_mean": _f32(rng.normal(0, 1, f)), "running_var": _f32(rng.uniform(0.5, 2, f)),
        "dout": _f32(rng.normal(0, 1, shape)), "training": training, "options": dict(options),
    }


def _batchnorm() -> None:
    _case("bn_train2d", "batchnorm", lambda: _bn_case(700, (8, 3), True))
    _case("bn_train4d", "batchnorm", lambda: _bn_case(701, (3, 4, 4, 2), True,
                                                      momentum=0.9, epsilon=1e-5))
    # Four rows and variances near epsilon: biased vs unbiased variance differ by 4/3.
    _case("bn_train2d_small", "batchnorm", lambda: _bn_case(702, (4, 2), True, spread=0.02))
    _case("bn_train4d_custom", "batchnorm", lambda: _bn_case(703, (2, 3, 2, 3), True,
                                                             momentum=0.5, epsilon=0.01))
    _case("bn_infer2d", "batchnorm", lambda: _bn_case(704, (6, 3), False))
    _case("bn_infer4d", "batchnorm", lambda: _bn_case(705, (2, 2, 3, 4), False, momentum=0.9,
                                                      epsilon=1e-4))


_losses()
_gradient_descent()
_normalization()
_regularization()
_dropout()
_optimizers()
_batchnorm()
