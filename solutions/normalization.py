"""Data normalization (lecture section 2).

When one feature is in the thousands (x2 = 9000, -5000, ...) and another in single digits
(x1 = 1, 2, 4, ...), the loss surface is a long narrow valley: a learning rate small
enough for the big feature is far too small for the small one. Rescaling every feature
to a similar range fixes that.

- Standardization (z-score): ``(x - mean) / std`` per column; Keras's
  ``keras.layers.Normalization`` after ``adapt(X)``, scikit-learn's ``StandardScaler``.
- Min-max scaling to [0, 1]: ``(x - min) / (max - min)``; scikit-learn's ``MinMaxScaler``.

Fit the statistics on the TRAINING data only, then apply the same statistics to the
validation and test data.

A constant column (std 0, max == min) needs a rule, and the two references differ:
Keras's ``Normalization`` divides by a floor of ``epsilon``, so NEW data with another value
in that column becomes huge (``(x - mean) / 1e-7``); scikit-learn's ``MinMaxScaler``
divides by 1 there, so new data becomes ``x - x_min``. ``standardize`` follows Keras and
``min_max_scale`` follows scikit-learn, exactly as their docstrings say.

Every function accepts array-likes of shape (N, D) (statistics are per column), never
modifies its inputs (the grader checks that every argument comes back unchanged), and
returns float64 arrays. To reuse a function of another exercise module, import it by its
bare module name (see ``assignments/__init__.py``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def standardize_fit(X: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and POPULATION standard deviation (``ddof=0``) of X.

    Same statistics as ``keras.layers.Normalization().adapt(X)`` (its variance is the
    population variance) and ``sklearn.preprocessing.StandardScaler``.

    Inputs:
    - X: data, shape (N, D).

    Returns a tuple ``(mean, std)``, each float64 of shape (D,).
    """
    # BEGIN SOLUTION
    # HINT: per-column statistics reduce over the rows; the population std is the one with ddof=0.
    X = np.asarray(X, dtype=np.float64)
    return X.mean(axis=0), X.std(axis=0)
    # END SOLUTION


def standardize(
    X: ArrayLike, mean: ArrayLike, std: ArrayLike, epsilon: float = 1e-7
) -> np.ndarray:
    """Standardize with given statistics: ``(X - mean) / maximum(std, epsilon)``.

    This is exactly ``keras.layers.Normalization`` (which divides by
    ``maximum(sqrt(variance), epsilon)``). The ``maximum`` guards constant columns:
    their std is 0, so the data they were fitted on becomes 0 instead of NaN; new data
    with another value there becomes ``(x - mean) / epsilon``, huge, exactly as in Keras.

    Inputs:
    - X: data (N, D).
    - mean, std: per-column statistics (D,), usually from ``standardize_fit``.
    - epsilon: smallest divisor.

    Returns:
    - float64 array (N, D).
    """
    # BEGIN SOLUTION
    # HINT: broadcasting handles the per-column arithmetic; use np.maximum for the divisor.
    X = np.asarray(X, dtype=np.float64)
    mean = np.asarray(mean, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    return (X - mean) / np.maximum(std, epsilon)
    # END SOLUTION


def min_max_fit(X: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Per-column minimum and maximum of X (``sklearn.preprocessing.MinMaxScaler``'s
    ``data_min_`` and ``data_max_``).

    Inputs:
    - X: data, shape (N, D).

    Returns a tuple ``(x_min, x_max)``, each float64 of shape (D,).
    """
    # BEGIN SOLUTION
    # HINT: like standardize_fit: one value per column, reducing over the rows.
    X = np.asarray(X, dtype=np.float64)
    return X.min(axis=0), X.max(axis=0)
    # END SOLUTION


def min_max_scale(
    X: ArrayLike, x_min: ArrayLike, x_max: ArrayLike, epsilon: float = 1e-7
) -> np.ndarray:
    """Scale to [0, 1] with given statistics: ``(X - x_min) / (x_max - x_min)``.

    As ``sklearn.preprocessing.MinMaxScaler``, a column whose range ``x_max - x_min`` is
    below ``epsilon`` (a constant column) is divided by 1 instead: the data it was fitted
    on becomes 0 and new data becomes ``x - x_min`` (no division by a tiny number).
    Data outside the fitted range (e.g. test data) lands outside [0, 1]; that is expected,
    do not clip.

    Inputs:
    - X: data (N, D).
    - x_min, x_max: per-column statistics (D,), usually from ``min_max_fit``.
    - epsilon: ranges below this count as zero (divided by 1).

    Returns:
    - float64 array (N, D).
    """
    # BEGIN SOLUTION
    # HINT: scale = x_max - x_min, replaced by 1 where it is below epsilon (np.where).
    X = np.asarray(X, dtype=np.float64)
    x_min = np.asarray(x_min, dtype=np.float64)
    scale = np.asarray(x_max, dtype=np.float64) - x_min
    return (X - x_min) / np.where(scale < epsilon, 1.0, scale)
    # END SOLUTION
