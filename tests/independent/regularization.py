"""Independent weight penalties: written from the issue-2 contract only (see README.md)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]


def _tensors(weights: ArrayLike | list[ArrayLike]) -> Iterator[F64]:
    """Yield each weight tensor; a list (or tuple) holds several, anything else is one."""
    if isinstance(weights, (list, tuple)):
        for item in weights:
            yield np.asarray(item, dtype=np.float64)
    else:
        yield np.asarray(weights, dtype=np.float64)


def l1_l2_penalty(weights: ArrayLike | list[ArrayLike], l1: float = 0.0, l2: float = 0.0) -> float:
    """l1 * sum|w| + l2 * sum w^2 over every tensor (no factor 1/2, as Keras)."""
    total = 0.0
    for tensor in _tensors(weights):
        total += l1 * float(np.abs(tensor).sum()) + l2 * float(np.vdot(tensor, tensor))
    return total


def l1_penalty(weights: ArrayLike | list[ArrayLike], l1: float = 0.01) -> float:
    """Keras L1: l1 * sum|w|."""
    return l1_l2_penalty(weights, l1=l1, l2=0.0)


def l2_penalty(weights: ArrayLike | list[ArrayLike], l2: float = 0.01) -> float:
    """Keras L2: l2 * sum w^2."""
    return l1_l2_penalty(weights, l1=0.0, l2=l2)


def l1_l2_penalty_grad(w: ArrayLike, l1: float = 0.0, l2: float = 0.0) -> F64:
    """Subgradient l1 * sign(w) + 2 l2 w, taking sign(0) = 0."""
    w64 = np.asarray(w, dtype=np.float64)
    signs = (w64 > 0).astype(np.float64) - (w64 < 0).astype(np.float64)
    return l1 * signs + (2.0 * l2) * w64


def regularized_mse_loss_and_grads(
    X: ArrayLike, y: ArrayLike, w: ArrayLike, b: float, l1: float = 0.0, l2: float = 0.0
) -> tuple[float, F64, float]:
    """MSE of X w + b plus the L1L2 penalty on w (never on b), with gradients."""
    X64 = np.asarray(X, dtype=np.float64)
    w64 = np.asarray(w, dtype=np.float64)
    residual = X64 @ w64 + float(b) - np.asarray(y, dtype=np.float64)
    n = len(residual)
    loss = float(np.mean(residual**2)) + l1_l2_penalty(w64, l1=l1, l2=l2)
    dw = 2.0 * (residual @ X64) / n + l1_l2_penalty_grad(w64, l1=l1, l2=l2)
    db = 2.0 * float(residual.sum()) / n
    return loss, dw, db
