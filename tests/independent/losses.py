"""Independent losses: written from the issue-2 contract only (see README.md)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]


def sigmoid(z: ArrayLike) -> F64:
    """Logistic function without overflow: only exp(-|z|) is ever evaluated."""
    z64 = np.asarray(z, dtype=np.float64)
    with np.errstate(under="ignore"):  # exp(-1e4) -> 0.0 is the right answer, not an error
        small = np.exp(-np.abs(z64))  # in (0, 1], cannot overflow
    # For z >= 0: 1 / (1 + e^-z); for z < 0 the algebraically equal e^z / (1 + e^z).
    numerator = np.where(z64 >= 0, 1.0, small)
    return np.asarray(numerator / (1.0 + small))  # keep a 0-d array for scalar input


def softmax(z: ArrayLike, axis: int = -1) -> F64:
    """Softmax through a log-sum-exp, so |z| up to 1e4 never overflows."""
    z64 = np.asarray(z, dtype=np.float64)
    top = np.max(z64, axis=axis, keepdims=True)
    shifted = z64 - top  # every entry <= 0
    with np.errstate(under="ignore"):  # tiny probabilities flush to 0.0, harmlessly
        log_norm = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        return np.exp(shifted - log_norm)


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean of the squared differences over all elements."""
    diff = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    return float(np.mean(diff * diff))


def binary_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, epsilon: float = 1e-7) -> float:
    """Clipped binary cross-entropy, averaged over every element."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.clip(np.asarray(y_pred, dtype=np.float64), epsilon, 1.0 - epsilon)
    per_element = y * np.log(p) + (1.0 - y) * np.log1p(-p)
    return float(-np.mean(per_element))


def categorical_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, epsilon: float = 1e-7) -> float:
    """Rows renormalised to 1, clipped, -sum(y log p) per row, mean over rows."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    row_totals = p.sum(axis=1, keepdims=True)
    p = np.clip(p / row_totals, epsilon, 1.0 - epsilon)
    per_row = [-float(np.dot(y[i], np.log(p[i]))) for i in range(y.shape[0])]
    return float(np.mean(per_row))


def r2_score(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot, averaged over columns if 2-D."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    y2, p2 = y.reshape(len(y), -1), p.reshape(len(p), -1)
    scores = []
    for col in range(y2.shape[1]):
        residual = float(np.sum((y2[:, col] - p2[:, col]) ** 2))
        total = float(np.sum((y2[:, col] - y2[:, col].mean()) ** 2))
        if total == 0.0:
            # scikit-learn's convention for a constant target: perfect or nothing.
            scores.append(1.0 if residual == 0.0 else 0.0)
        else:
            scores.append(1.0 - residual / total)
    return float(np.mean(scores))


def _labels(values: ArrayLike) -> NDArray[np.generic]:
    """A 2-D argument holds scores or one-hot rows (argmax), or a single 0/1 or sigmoid
    column, which is class 1 strictly above 0.5: reduce it to labels."""
    arr = np.asarray(values)
    if arr.ndim != 2:
        return arr
    if arr.shape[1] == 1:
        return np.where(arr.ravel() > 0.5, 1, 0)
    return np.argmax(arr, axis=1)


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of positions where the labels agree."""
    hits = _labels(y_true) == _labels(y_pred)
    return float(np.count_nonzero(hits) / hits.size)
