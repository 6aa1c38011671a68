"""The mistake models: what typical wrong implementations of the contract functions return.

Each model has the signature of the contract function it imitates (the batch norm backward
model excepted: it takes the forward inputs), so a suite computes its value exactly as it
computes the reference value. A model's name is its mistake id: the registry
(``autograder.course.mistakes``) lists them per function, and the hint a student reads is
the catalogue's text for that id (``en.toml``, ``ko.toml`` beside this file).

Plain numpy written for this purpose (not derived from the reference solutions); trusted
side only, never shipped to students.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

State = dict[str, Any]


def _f(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


# ---------------------------------------------------------------------------------------
# losses
# ---------------------------------------------------------------------------------------


def softmax_without_max_shift(z: Any, axis: int = -1) -> np.ndarray:
    """exp(z) overflows to inf for large logits and inf/inf gives NaN."""
    with np.errstate(all="ignore"):
        e = np.exp(_f(z))
        return e / np.sum(e, axis=axis, keepdims=True)


def softmax_sum_over_everything(z: Any, axis: int = -1) -> np.ndarray:
    """Normalising by the sum of the whole array (forgot ``axis=..., keepdims=True``)."""
    z = _f(z)
    e = np.exp(z - z.max())
    return e / e.sum()


def mse_with_half(y_true: Any, y_pred: Any) -> float:
    return float(0.5 * np.mean((_f(y_true) - _f(y_pred)) ** 2))


def bce_without_clipping(y_true: Any, y_pred: Any, epsilon: float = 1e-7) -> float:
    y, p = _f(y_true), _f(y_pred)
    with np.errstate(all="ignore"):
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def bce_clip_ignoring_epsilon(y_true: Any, y_pred: Any, epsilon: float = 1e-7) -> float:
    """Clipping with a hard-coded 1e-7 instead of the ``epsilon`` argument."""
    y, p = _f(y_true), np.clip(_f(y_pred), 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def cce_without_renormalising(y_true: Any, y_pred: Any, epsilon: float = 1e-7) -> float:
    p = np.clip(_f(y_pred), epsilon, 1 - epsilon)
    return float(np.mean(-np.sum(_f(y_true) * np.log(p), axis=1)))


def cce_without_clipping(y_true: Any, y_pred: Any, epsilon: float = 1e-7) -> float:
    p = _f(y_pred)
    with np.errstate(all="ignore"):
        p = p / p.sum(axis=1, keepdims=True)
        return float(np.mean(-np.nansum(_f(y_true) * np.log(p), axis=1)))


def cce_without_keepdims(y_true: Any, y_pred: Any, epsilon: float = 1e-7) -> float:
    """Row sums of shape (N,) divide the COLUMNS (silently, when there are as many rows as
    classes); ``keepdims=True`` keeps them (N, 1)."""
    p = _f(y_pred)
    p = np.clip(p / p.sum(axis=1), epsilon, 1 - epsilon)
    return float(np.mean(-np.sum(_f(y_true) * np.log(p), axis=1)))


def cce_summed_over_rows(y_true: Any, y_pred: Any, epsilon: float = 1e-7) -> float:
    p = _f(y_pred)
    p = np.clip(p / p.sum(axis=1, keepdims=True), epsilon, 1 - epsilon)
    return float(np.sum(-np.sum(_f(y_true) * np.log(p), axis=1)))


def r2_without_constant_rule(y_true: Any, y_pred: Any) -> float:
    """1 - SS_res/SS_tot straight, so a constant target gives NaN or -inf."""
    y, p = _f(y_true), _f(y_pred)
    y, p = (y[:, None], p[:, None]) if y.ndim == 1 else (y, p)
    with np.errstate(all="ignore"):
        ss_tot = np.sum((y - y.mean(axis=0)) ** 2, axis=0)
        return float(np.mean(1 - np.sum((y - p) ** 2, axis=0) / ss_tot))


def r2_flattened(y_true: Any, y_pred: Any) -> float:
    """One score over all elements instead of the average of per-column scores."""
    y, p = _f(y_true).ravel(), _f(y_pred).ravel()
    ss_tot = np.sum((y - y.mean()) ** 2)
    return float(1 - np.sum((y - p) ** 2) / ss_tot) if ss_tot else 0.0


def accuracy_argmax_axis0(y_true: Any, y_pred: Any) -> float:
    """2-D arguments reduced with argmax over axis 0 instead of axis 1."""
    def labels(a: Any) -> np.ndarray:
        a = np.asarray(a)
        return np.argmax(a, axis=0) if a.ndim == 2 else a

    t, p = labels(y_true), labels(y_pred)
    return float(np.mean(t == p)) if t.shape == p.shape else float("nan")


def accuracy_argmax_single_column(y_true: Any, y_pred: Any) -> float:
    """argmax of an (N, 1) column is always 0: every sigmoid output becomes class 0."""
    def labels(a: Any) -> np.ndarray:
        a = np.asarray(a)
        return np.argmax(a, axis=1) if a.ndim == 2 else a

    return float(np.mean(labels(y_true) == labels(y_pred)))


# ---------------------------------------------------------------------------------------
# gradient_descent
# ---------------------------------------------------------------------------------------


def _residual(X: Any, y: Any, w: Any, b: float) -> tuple[np.ndarray, np.ndarray]:
    X = _f(X)
    return X, X @ _f(w) + float(b) - _f(y)


def mse_grads_without_factor_2(X: Any, y: Any, w: Any, b: float) -> tuple:
    X, r = _residual(X, y, w, b)
    n = len(r)
    return float(np.mean(r**2)), X.T @ r / n, float(np.sum(r) / n)


def mse_grads_without_mean(X: Any, y: Any, w: Any, b: float) -> tuple:
    X, r = _residual(X, y, w, b)
    return float(np.mean(r**2)), 2 * X.T @ r, float(2 * np.sum(r))


def gd_history_after_update(X: Any, y: Any, learning_rate: float, epochs: int,
                            w0: Any = None, b0: float = 0.0) -> tuple:
    """The loss recorded AFTER each update instead of before it."""
    X = _f(X)
    w = np.zeros(X.shape[1]) if w0 is None else _f(w0).copy()
    b, history = float(b0), []
    with np.errstate(all="ignore"):
        for _ in range(int(epochs)):
            r = X @ w + b - _f(y)
            w, b = w - learning_rate * 2 * X.T @ r / len(r), b - learning_rate * 2 * np.mean(r)
            history.append(np.mean((X @ w + b - _f(y)) ** 2))
    return w, float(b), np.array(history, dtype=np.float64)


def gd_bias_not_updated(X: Any, y: Any, learning_rate: float, epochs: int,
                        w0: Any = None, b0: float = 0.0) -> tuple:
    X = _f(X)
    w = np.zeros(X.shape[1]) if w0 is None else _f(w0).copy()
    history = []
    with np.errstate(all="ignore"):
        for _ in range(int(epochs)):
            r = X @ w + b0 - _f(y)
            history.append(np.mean(r**2))
            w = w - learning_rate * 2 * X.T @ r / len(r)
    return w, float(b0), np.array(history, dtype=np.float64)


def least_squares_without_bias(X: Any, y: Any) -> tuple:
    """No column of ones: the fit is forced through the origin."""
    return np.linalg.lstsq(_f(X), _f(y), rcond=None)[0], 0.0


def diagnose_without_finite_check(history: Any, optimum: float, rtol: float = 0.01) -> str:
    """NaN compares False everywhere, so a NaN history slips through to the other rules."""
    h = _f(history)
    if h[-1] > h[0]:
        return "diverged"
    return "converged" if h[-1] - optimum <= rtol * (h[0] - optimum) else "too_slow"


# ---------------------------------------------------------------------------------------
# normalization
# ---------------------------------------------------------------------------------------


def diagnose_ratio_form(history: Any, optimum: float, rtol: float = 0.01) -> str:
    """Rule 2 as the ratio (last - optimum) / (first - optimum) <= rtol: NaN (0/0) or the
    wrong sign when the run starts at or below the optimum."""
    h = _f(history)
    if not np.all(np.isfinite(h)) or h[-1] > h[0]:
        return "diverged"
    with np.errstate(all="ignore"):
        ratio = (h[-1] - optimum) / (h[0] - optimum)
    return "converged" if ratio <= rtol else "too_slow"


def standardize_fit_ddof1(X: Any) -> tuple:
    """The sample standard deviation (ddof=1, pandas' default) instead of the population one."""
    X = _f(X)
    return X.mean(axis=0), X.std(axis=0, ddof=1)


def standardize_epsilon_added(X: Any, mean: Any, std: Any, epsilon: float = 1e-7) -> np.ndarray:
    return (_f(X) - _f(mean)) / (_f(std) + epsilon)


def standardize_without_guard(X: Any, mean: Any, std: Any, epsilon: float = 1e-7) -> np.ndarray:
    with np.errstate(all="ignore"):
        return (_f(X) - _f(mean)) / _f(std)


def min_max_fit_swapped(X: Any) -> tuple:
    X = _f(X)
    return X.max(axis=0), X.min(axis=0)


def min_max_scale_without_guard(X: Any, x_min: Any, x_max: Any,
                                epsilon: float = 1e-7) -> np.ndarray:
    with np.errstate(all="ignore"):
        return (_f(X) - _f(x_min)) / (_f(x_max) - _f(x_min))


def min_max_scale_epsilon_floor(X: Any, x_min: Any, x_max: Any,
                                epsilon: float = 1e-7) -> np.ndarray:
    """Dividing by maximum(range, epsilon), as Keras does for the std: new data in a
    constant column becomes (x - x_min) / epsilon; MinMaxScaler divides by 1 there."""
    return (_f(X) - _f(x_min)) / np.maximum(_f(x_max) - _f(x_min), epsilon)


def min_max_scale_clipped(X: Any, x_min: Any, x_max: Any, epsilon: float = 1e-7) -> np.ndarray:
    """Clipping to [0, 1]: data outside the fitted range must pass through unclipped."""
    span = _f(x_max) - _f(x_min)
    return np.clip((_f(X) - _f(x_min)) / np.where(span < epsilon, 1.0, span), 0.0, 1.0)


# ---------------------------------------------------------------------------------------
# regularization
# ---------------------------------------------------------------------------------------


def _arrays(weights: Any) -> list[np.ndarray]:
    return [_f(w) for w in weights] if isinstance(weights, (list, tuple)) else [_f(weights)]


def l1_penalty_mean(weights: Any, l1: float = 0.01) -> float:
    """Mean instead of sum of |w| (per array)."""
    return float(l1 * sum(np.mean(np.abs(w)) for w in _arrays(weights)))


def l2_penalty_with_half(weights: Any, l2: float = 0.01) -> float:
    return float(0.5 * l2 * sum(np.sum(w**2) for w in _arrays(weights)))


def l2_penalty_norm_not_squared(weights: Any, l2: float = 0.01) -> float:
    return float(l2 * sum(np.sqrt(np.sum(w**2)) for w in _arrays(weights)))


def l1_l2_penalty_keras2_defaults(weights: Any, l1: float = 0.01, l2: float = 0.01) -> float:
    """Keras 2's ``l1_l2()`` defaulted to 0.01 / 0.01; Keras 3's ``L1L2`` defaults to 0."""
    ws = _arrays(weights)
    return float(l1 * sum(np.sum(np.abs(w)) for w in ws) + l2 * sum(np.sum(w**2) for w in ws))


def l1_l2_penalty_with_half(weights: Any, l1: float = 0.0, l2: float = 0.0) -> float:
    ws = _arrays(weights)
    return float(l1 * sum(np.sum(np.abs(w)) for w in ws)
                 + 0.5 * l2 * sum(np.sum(w**2) for w in ws))


def l1_l2_grad_without_2(w: Any, l1: float = 0.0, l2: float = 0.0) -> np.ndarray:
    w = _f(w)
    return l1 * np.sign(w) + l2 * w


def l1_l2_grad_sign_zero_is_one(w: Any, l1: float = 0.0, l2: float = 0.0) -> np.ndarray:
    """``w >= 0`` as the sign: the subgradient at 0 must be 0."""
    w = _f(w)
    return l1 * np.where(w >= 0, 1.0, -1.0) + 2 * l2 * w


def regmse_penalty_divided_by_n(X: Any, y: Any, w: Any, b: float, l1: float = 0.0,
                                l2: float = 0.0) -> tuple:
    X, r = _residual(X, y, w, b)
    w, n = _f(w), len(r)
    loss = np.mean(r**2) + (l1 * np.sum(np.abs(w)) + l2 * np.sum(w**2)) / n
    dw = 2 * X.T @ r / n + (l1 * np.sign(w) + 2 * l2 * w) / n
    return float(loss), dw, float(2 * np.mean(r))


def regmse_bias_regularized(X: Any, y: Any, w: Any, b: float, l1: float = 0.0,
                            l2: float = 0.0) -> tuple:
    X, r = _residual(X, y, w, b)
    w, n = _f(w), len(r)
    loss = np.mean(r**2) + l1 * (np.sum(np.abs(w)) + abs(b)) + l2 * (np.sum(w**2) + b * b)
    dw = 2 * X.T @ r / n + l1 * np.sign(w) + 2 * l2 * w
    return float(loss), dw, float(2 * np.mean(r) + l1 * np.sign(b) + 2 * l2 * b)


def regmse_penalty_without_gradient(X: Any, y: Any, w: Any, b: float, l1: float = 0.0,
                                    l2: float = 0.0) -> tuple:
    """The penalty added to the loss but not to dw."""
    X, r = _residual(X, y, w, b)
    w, n = _f(w), len(r)
    loss = np.mean(r**2) + l1 * np.sum(np.abs(w)) + l2 * np.sum(w**2)
    return float(loss), 2 * X.T @ r / n, float(2 * np.mean(r))


# ---------------------------------------------------------------------------------------
# dropout
# ---------------------------------------------------------------------------------------


def _keep_mask(x: np.ndarray, rate: float, rng: Any, mask: Any) -> np.ndarray:
    if mask is not None:
        return np.asarray(mask).astype(bool)
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    return rng.random(x.shape) >= rate


def dropout_forward_without_scaling(x: Any, rate: float, training: bool = True,
                                    rng: Any = None, mask: Any = None) -> tuple:
    x = _f(x)
    if not training:
        return x, None
    keep = _keep_mask(x, rate, rng, mask)
    return x * keep, keep


def dropout_forward_rate_as_keep_prob(x: Any, rate: float, training: bool = True,
                                      rng: Any = None, mask: Any = None) -> tuple:
    """TF1's ``keep_prob`` reading: keeps with probability ``rate`` and divides by it."""
    return _keep_prob_dropout(x, rate, training, rng, mask, divide_by_rate=True)


def dropout_forward_mask_flipped(x: Any, rate: float, training: bool = True,
                                 rng: Any = None, mask: Any = None) -> tuple:
    """The mask drawn as ``rng.random(shape) < rate``: keeps with probability ``rate``."""
    return _keep_prob_dropout(x, rate, training, rng, mask, divide_by_rate=False)


def _keep_prob_dropout(x: Any, rate: float, training: bool, rng: Any, mask: Any,
                       divide_by_rate: bool) -> tuple:
    x = _f(x)
    if not training:
        return x, None
    if mask is None:
        rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
        keep = rng.random(x.shape) < rate
    else:
        keep = np.asarray(mask).astype(bool)
    with np.errstate(all="ignore"):
        return x * keep / (rate if divide_by_rate else 1 - rate), keep


def dropout_forward_mask_as_weights(x: Any, rate: float, training: bool = True,
                                    rng: Any = None, mask: Any = None) -> tuple:
    """A given mask multiplied in as it is: its values act as weights, not keep/drop."""
    x = _f(x)
    if not training or mask is None:
        return x, None
    with np.errstate(all="ignore"):
        return x * _f(mask) / (1 - rate), np.asarray(mask).astype(bool)


def dropout_forward_scaled_at_inference(x: Any, rate: float, training: bool = True,
                                        rng: Any = None, mask: Any = None) -> tuple:
    """Old-style (non-inverted) dropout: multiply by (1 - rate) at inference."""
    x = _f(x)
    if not training:
        return x * (1 - rate), None
    keep = _keep_mask(x, rate, rng, mask)
    return x * keep, keep


def dropout_backward_without_scaling(dout: Any, mask: Any, rate: float) -> np.ndarray:
    return _f(dout) * np.asarray(mask, dtype=bool)


def dropout_backward_drop_mask(dout: Any, mask: Any, rate: float) -> np.ndarray:
    """The gradient routed through the DROPPED units (mask inverted)."""
    if rate == 1:
        return _f(dout) * ~np.asarray(mask, dtype=bool)
    return _f(dout) * ~np.asarray(mask, dtype=bool) / (1 - rate)


# ---------------------------------------------------------------------------------------
# optimizers (each keeps its own state keys, as a student's would)
# ---------------------------------------------------------------------------------------


def _slot(state: State, key: str, like: np.ndarray, start: float = 0.0) -> np.ndarray:
    return _f(state[key]) if key in state else np.full_like(like, start)


def sgd_nesterov_as_classic(w: Any, g: Any, state: State, learning_rate: float = 0.01,
                            momentum: float = 0.0, nesterov: bool = False) -> tuple:
    """``w + m`` whatever ``nesterov`` says (Keras's Nesterov step uses the NEW m twice)."""
    w, g = _f(w), _f(g)
    m = momentum * _slot(state, "m", w) - learning_rate * g
    return w + m, {"m": m}


def sgd_momentum_ignored(w: Any, g: Any, state: State, learning_rate: float = 0.01,
                         momentum: float = 0.0, nesterov: bool = False) -> tuple:
    return _f(w) - learning_rate * _f(g), {}


def _rmsprop(w: Any, g: Any, state: State, learning_rate: float, rho: float, momentum: float,
             epsilon: float, centered: bool, eps_inside: bool) -> tuple:
    w, g = _f(w), _f(g)
    new = {"v": rho * _slot(state, "v", w) + (1 - rho) * g**2}
    den = new["v"]
    if centered:
        new["a"] = rho * _slot(state, "a", w) + (1 - rho) * g
        den = den - new["a"] ** 2
    inc = learning_rate * g / (np.sqrt(den + epsilon) if eps_inside else np.sqrt(den) + epsilon)
    if momentum > 0:
        new["mo"] = momentum * _slot(state, "mo", w) + inc
        inc = new["mo"]
    return w - inc, new


def rmsprop_epsilon_outside_sqrt(w: Any, g: Any, state: State, learning_rate: float = 0.001,
                                 rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                                 centered: bool = False) -> tuple:
    return _rmsprop(w, g, state, learning_rate, rho, momentum, epsilon, centered, False)


def rmsprop_centered_ignored(w: Any, g: Any, state: State, learning_rate: float = 0.001,
                             rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                             centered: bool = False) -> tuple:
    return _rmsprop(w, g, state, learning_rate, rho, momentum, epsilon, False, True)


def rmsprop_momentum_ignored(w: Any, g: Any, state: State, learning_rate: float = 0.001,
                             rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                             centered: bool = False) -> tuple:
    return _rmsprop(w, g, state, learning_rate, rho, 0.0, epsilon, centered, True)


def adagrad_accumulator_from_zero(w: Any, g: Any, state: State, learning_rate: float = 0.001,
                                  initial_accumulator_value: float = 0.1,
                                  epsilon: float = 1e-7) -> tuple:
    w, g = _f(w), _f(g)
    acc = _slot(state, "acc", w) + g**2
    return w - learning_rate * g / np.sqrt(acc + epsilon), {"acc": acc}


def adagrad_epsilon_outside_sqrt(w: Any, g: Any, state: State, learning_rate: float = 0.001,
                                 initial_accumulator_value: float = 0.1,
                                 epsilon: float = 1e-7) -> tuple:
    w, g = _f(w), _f(g)
    acc = _slot(state, "acc", w, initial_accumulator_value) + g**2
    return w - learning_rate * g / (np.sqrt(acc) + epsilon), {"acc": acc}


def _adadelta(w: Any, g: Any, state: State, learning_rate: float, rho: float, epsilon: float,
              use_lr: bool, new_edx: bool) -> tuple:
    w, g = _f(w), _f(g)
    eg = rho * _slot(state, "eg", w) + (1 - rho) * g**2
    edx = _slot(state, "edx", w)
    delta = -np.sqrt(edx + epsilon) * g / np.sqrt(eg + epsilon)
    if new_edx:  # Edx updated with the previous delta before being used
        edx = rho * edx + (1 - rho) * _slot(state, "delta", w) ** 2
        delta = -np.sqrt(edx + epsilon) * g / np.sqrt(eg + epsilon)
        return w + learning_rate * delta, {"eg": eg, "edx": edx, "delta": delta}
    edx = rho * edx + (1 - rho) * delta**2
    return w + (learning_rate if use_lr else 1.0) * delta, {"eg": eg, "edx": edx}


def adadelta_without_learning_rate(w: Any, g: Any, state: State, learning_rate: float = 0.001,
                                   rho: float = 0.95, epsilon: float = 1e-7) -> tuple:
    """The paper's rule ``w += delta``: Keras multiplies delta by learning_rate."""
    return _adadelta(w, g, state, learning_rate, rho, epsilon, False, False)


def _adam(w: Any, g: Any, state: State, learning_rate: float, beta_1: float, beta_2: float,
          epsilon: float, amsgrad: bool, variant: str) -> tuple:
    w, g = _f(w), _f(g)
    t = int(state.get("t", 0)) + 1
    m = beta_1 * _slot(state, "m", w) + (1 - beta_1) * g
    v = beta_2 * _slot(state, "v", w) + (1 - beta_2) * g**2
    new: State = {"t": t, "m": m, "v": v}
    if amsgrad:
        new["vh"] = v = np.maximum(_slot(state, "vh", w), v)
    if variant == "no_bias_correction":
        return w - learning_rate * m / (np.sqrt(v) + epsilon), new
    if variant == "textbook_epsilon":
        m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
        return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), new
    alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m / (np.sqrt(v) + epsilon), new


def adam_without_bias_correction(w: Any, g: Any, state: State, learning_rate: float = 0.001,
                                 beta_1: float = 0.9, beta_2: float = 0.999,
                                 epsilon: float = 1e-7, amsgrad: bool = False) -> tuple:
    return _adam(w, g, state, learning_rate, beta_1, beta_2, epsilon, amsgrad,
                 "no_bias_correction")


def adam_textbook_epsilon(w: Any, g: Any, state: State, learning_rate: float = 0.001,
                          beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                          amsgrad: bool = False) -> tuple:
    """``m_hat / (sqrt(v_hat) + eps)`` (the paper's Algorithm 1) instead of Keras's
    "epsilon hat" form, which adds epsilon to the UNcorrected sqrt(v)."""
    return _adam(w, g, state, learning_rate, beta_1, beta_2, epsilon, amsgrad,
                 "textbook_epsilon")


def adam_amsgrad_ignored(w: Any, g: Any, state: State, learning_rate: float = 0.001,
                         beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                         amsgrad: bool = False) -> tuple:
    return _adam(w, g, state, learning_rate, beta_1, beta_2, epsilon, False, "keras")


def clip_by_value_keeping_sign_only(grads: Any, clipvalue: float) -> list[np.ndarray]:
    """Clipping only from above (``np.minimum(g, c)``)."""
    return [np.minimum(_f(g), clipvalue) for g in grads]


def clip_by_norm_global(grads: Any, clipnorm: float) -> list[np.ndarray]:
    """One norm over all gradients: that is ``global_clipnorm``; ``clipnorm`` is per tensor."""
    arrays = [_f(g) for g in grads]
    norm = np.sqrt(sum(np.sum(a**2) for a in arrays))
    return [a * clipnorm / max(norm, clipnorm) for a in arrays]


def clip_by_norm_always_rescaled(grads: Any, clipnorm: float) -> list[np.ndarray]:
    """``g * c / ||g||`` even when the norm is already below c."""
    out = []
    for g in grads:
        g = _f(g)
        norm = np.sqrt(np.sum(g**2))
        out.append(g * clipnorm / norm if norm > 0 else g)
    return out


def clip_by_global_norm_per_tensor(grads: Any, global_clipnorm: float) -> list[np.ndarray]:
    """Each tensor clipped by its own norm: that is ``clipnorm``, not ``global_clipnorm``."""
    out = []
    for g in grads:
        g = _f(g)
        out.append(g * global_clipnorm / max(np.sqrt(np.sum(g**2)), global_clipnorm))
    return out


def inverse_time_decay_off_by_one(learning_rate: float, decay: float, iterations: int) -> float:
    return float(learning_rate / (1 + decay * (iterations + 1)))


def inverse_time_decay_exponential(learning_rate: float, decay: float, iterations: int) -> float:
    """``lr * (1 - decay)**iterations``: an exponential schedule, not Keras 2's decay=."""
    return float(learning_rate * (1 - decay) ** iterations)


# ---------------------------------------------------------------------------------------
# batchnorm
# ---------------------------------------------------------------------------------------


def _bn(x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any, training: bool,
        momentum: float, epsilon: float, variant: str) -> tuple:
    x, gamma, beta = _f(x), _f(gamma), _f(beta)
    rm, rv = _f(running_mean), _f(running_var)
    if not training and variant != "batch_stats_at_inference":
        return gamma * (x - rm) / np.sqrt(rv + epsilon) + beta, rm, rv, None
    axes = tuple(range(x.ndim - 1))
    mean = x.mean(axis=axes)
    var = x.var(axis=axes, ddof=1 if variant == "unbiased" else 0)
    denominator = (np.sqrt(var) + epsilon) if variant == "eps_outside" else np.sqrt(var + epsilon)
    out = gamma * (x - mean) / denominator + beta
    if not training:
        return out, rm, rv, None
    if variant == "swapped_momentum":
        return out, (1 - momentum) * rm + momentum * mean, (1 - momentum) * rv + momentum * var, {}
    running_var_stat = x.var(axis=axes, ddof=1) if variant == "unbiased_running" else var
    new_rm = momentum * rm + (1 - momentum) * mean
    return out, new_rm, momentum * rv + (1 - momentum) * running_var_stat, {}


def _bn_model(variant: str, name: str) -> Callable[..., tuple]:
    def forward(x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any,
                training: bool, momentum: float = 0.99, epsilon: float = 1e-3) -> tuple:
        return _bn(x, gamma, beta, running_mean, running_var, training, momentum, epsilon,
                   variant)

    forward.__name__ = forward.__qualname__ = name  # the mistake id
    return forward


_BN_VARIANTS = {"batchnorm_forward_unbiased_variance": "unbiased",
                "batchnorm_forward_epsilon_outside_sqrt": "eps_outside",
                "batchnorm_forward_swapped_momentum": "swapped_momentum",
                "batchnorm_forward_unbiased_running_variance": "unbiased_running",
                "batchnorm_forward_batch_stats_at_inference": "batch_stats_at_inference"}
batchnorm_forward_unbiased_variance, batchnorm_forward_epsilon_outside_sqrt, \
    batchnorm_forward_swapped_momentum, batchnorm_forward_unbiased_running_variance, \
    batchnorm_forward_batch_stats_at_inference = (
        _bn_model(variant, name) for name, variant in _BN_VARIANTS.items())


def batchnorm_backward_without_stat_terms(x: Any, gamma: Any, epsilon: float,
                                          dout: Any) -> tuple:
    """dx = gamma * dout / sqrt(var + eps): treats the batch mean and variance as constants.

    Takes the forward inputs (the student's cache is opaque), not a cache."""
    x, dout = _f(x), _f(dout)
    axes = tuple(range(x.ndim - 1))
    inv_std = 1 / np.sqrt(x.var(axis=axes) + epsilon)
    x_hat = (x - x.mean(axis=axes)) * inv_std
    return (_f(gamma) * inv_std * dout, (dout * x_hat).sum(axis=axes), dout.sum(axis=axes))
