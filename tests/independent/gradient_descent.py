"""Independent gradient descent: written from the issue-2 contract only (see README.md)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]


def predict(X: ArrayLike, w: ArrayLike, b: float) -> F64:
    """Linear model X w + b for X of shape (N, D)."""
    X64 = np.asarray(X, dtype=np.float64)
    w64 = np.asarray(w, dtype=np.float64)
    return np.einsum("nd,d->n", X64, w64) + float(b)


def mse_loss_and_grads(
    X: ArrayLike, y: ArrayLike, w: ArrayLike, b: float
) -> tuple[float, F64, float]:
    """Mean squared error of the linear model and its gradients in w and b."""
    X64 = np.asarray(X, dtype=np.float64)
    residual = predict(X64, w, b) - np.asarray(y, dtype=np.float64)
    n = residual.shape[0]
    loss = float(residual @ residual) / n
    # d/dw mean(r^2) = 2/N sum_n r_n x_n, written as a product with the transpose.
    dw = (2.0 / n) * (X64.T @ residual)
    db = 2.0 * float(np.mean(residual))
    return loss, dw, db


def gradient_descent(
    X: ArrayLike,
    y: ArrayLike,
    learning_rate: float,
    epochs: int,
    w0: ArrayLike | None = None,
    b0: float = 0.0,
) -> tuple[F64, float, F64]:
    """Full-batch descent; history[i] is the loss measured before update i."""
    X64 = np.asarray(X, dtype=np.float64)
    y64 = np.asarray(y, dtype=np.float64)
    if w0 is None:
        w = np.zeros(X64.shape[1])
    else:
        w = np.array(w0, dtype=np.float64)  # a copy: the caller's w0 stays intact
    b = float(b0)
    history = np.empty(epochs, dtype=np.float64)
    # A too-large learning rate legitimately drives the loss to inf/NaN: stay silent.
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(epochs):
            history[step], dw, db = mse_loss_and_grads(X64, y64, w, b)
            w = w - learning_rate * dw
            b = b - learning_rate * db
    return w, b, history


def least_squares(X: ArrayLike, y: ArrayLike) -> tuple[F64, float]:
    """Closed-form optimum, solved on centred data so the bias drops out."""
    X64 = np.asarray(X, dtype=np.float64)
    y64 = np.asarray(y, dtype=np.float64)
    x_mean = X64.mean(axis=0)
    y_mean = float(y64.mean())
    w, *_ = np.linalg.lstsq(X64 - x_mean, y64 - y_mean, rcond=None)
    return w, y_mean - float(x_mean @ w)


def diagnose_learning_rate(history: ArrayLike, optimum: float, rtol: float = 0.01) -> str:
    """Classify a loss history as 'diverged', 'converged' or 'too_slow'."""
    losses = np.asarray(history, dtype=np.float64)
    first, last = float(losses[0]), float(losses[-1])
    if not np.all(np.isfinite(losses)) or last > first:
        return "diverged"
    if last - optimum <= rtol * (first - optimum):
        return "converged"
    return "too_slow"
