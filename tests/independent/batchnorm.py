"""Independent batch normalisation: written from the issue-2 contract only (see README.md).

Features live on the last axis; statistics are taken over every other axis, so
the same code serves (N, D) and (N, H, W, C). Internally the input is flattened
to a (M, C) matrix, M = product of the leading axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]


def _as_rows(x: F64) -> F64:
    """View a (..., C) array as (M, C) rows."""
    return x.reshape(-1, x.shape[-1])


def batchnorm_forward(
    x: ArrayLike,
    gamma: ArrayLike,
    beta: ArrayLike,
    running_mean: ArrayLike,
    running_var: ArrayLike,
    training: bool,
    momentum: float = 0.99,
    epsilon: float = 1e-3,
) -> tuple[F64, F64, F64, Any]:
    """Keras BatchNormalization forward pass; see the module docstring for axes."""
    x64 = np.asarray(x, dtype=np.float64)
    g64 = np.asarray(gamma, dtype=np.float64)
    b64 = np.asarray(beta, dtype=np.float64)
    rm = np.array(running_mean, dtype=np.float64)
    rv = np.array(running_var, dtype=np.float64)
    if not training:
        out = g64 * (x64 - rm) / np.sqrt(rv + epsilon) + b64
        return out, rm, rv, None
    rows = _as_rows(x64)
    mean = rows.mean(axis=0)
    var = np.square(rows - mean).mean(axis=0)  # biased (ddof 0), as Keras
    inv_std = 1.0 / np.sqrt(var + epsilon)
    x_hat = (x64 - mean) * inv_std
    out = g64 * x_hat + b64
    new_rm = momentum * rm + (1.0 - momentum) * mean
    new_rv = momentum * rv + (1.0 - momentum) * var
    cache = {"normalised": x_hat, "inverse_std": inv_std, "scale": g64}
    return out, new_rm, new_rv, cache


def batchnorm_backward(dout: ArrayLike, cache: Any) -> tuple[F64, F64, F64]:
    """Closed-form backward pass: dx = gamma/sigma * (dy - mean(dy) - x_hat mean(dy x_hat))."""
    dy = np.asarray(dout, dtype=np.float64)
    x_hat = cache["normalised"]
    dy_rows, xh_rows = _as_rows(dy), _as_rows(x_hat)
    dbeta = dy_rows.sum(axis=0)
    dgamma = np.einsum("mc,mc->c", dy_rows, xh_rows)
    m = dy_rows.shape[0]
    # Mean-based form of the usual (m dy - sum dy - x_hat sum(dy x_hat)) / m.
    dx = (cache["scale"] * cache["inverse_std"]) * (dy - dbeta / m - x_hat * (dgamma / m))
    return dx, dgamma, dbeta
