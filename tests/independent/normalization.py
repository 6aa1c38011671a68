"""Independent feature scaling: written from the issue-2 contract only (see README.md)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]


def standardize_fit(X: ArrayLike) -> tuple[F64, F64]:
    """Per-column mean and population (ddof 0) standard deviation."""
    X64 = np.asarray(X, dtype=np.float64)
    mean = X64.mean(axis=0)
    # Deviations first: E[x^2] - E[x]^2 would cancel badly on columns like 9000 +- 5.
    std = np.sqrt(np.mean(np.square(X64 - mean), axis=0))
    return mean, std


def standardize(X: ArrayLike, mean: ArrayLike, std: ArrayLike, epsilon: float = 1e-7) -> F64:
    """(X - mean) / max(std, epsilon): a floor on the std, as Keras Normalization."""
    X64 = np.asarray(X, dtype=np.float64)
    floor = np.fmax(np.asarray(std, dtype=np.float64), epsilon)
    return (X64 - np.asarray(mean, dtype=np.float64)) / floor


def min_max_fit(X: ArrayLike) -> tuple[F64, F64]:
    """Per-column minimum and maximum."""
    X64 = np.asarray(X, dtype=np.float64)
    return X64.min(axis=0), X64.max(axis=0)


def min_max_scale(X: ArrayLike, x_min: ArrayLike, x_max: ArrayLike, epsilon: float = 1e-7) -> F64:
    """(X - x_min) / (x_max - x_min), dividing by 1 where the range is below epsilon."""
    low = np.asarray(x_min, dtype=np.float64)
    span = np.asarray(x_max, dtype=np.float64) - low
    divisor = span.copy()
    divisor[span < epsilon] = 1.0  # MinMaxScaler's rule for (near-)constant columns
    return (np.asarray(X, dtype=np.float64) - low) / divisor
