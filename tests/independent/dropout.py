"""Independent inverted dropout: written from the issue-2 contract only (see README.md)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]
Mask = NDArray[np.bool_]


def _check_rate(rate: float) -> None:
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"dropout rate must be in [0, 1], got {rate!r}")


def _keep_scale(rate: float) -> float:
    """1 / (1 - rate), or 0 for rate 1 where every unit is dropped anyway."""
    return 0.0 if rate == 1.0 else 1.0 / (1.0 - rate)


def dropout_forward(
    x: ArrayLike,
    rate: float,
    training: bool = True,
    rng: np.random.Generator | None = None,
    mask: ArrayLike | None = None,
) -> tuple[F64, Mask | None]:
    """Inverted dropout: kept units are scaled by 1 / (1 - rate)."""
    _check_rate(rate)
    x64 = np.array(x, dtype=np.float64)  # a copy, so the caller's x is never aliased
    if not training:
        return x64, None
    if mask is None:
        generator = np.random.default_rng() if rng is None else rng
        keep = generator.random(x64.shape) >= rate
    else:
        keep = np.broadcast_to(np.asarray(mask).astype(bool), x64.shape).copy()
    out = np.where(keep, x64 * _keep_scale(rate), 0.0)
    return out, keep


def dropout_backward(dout: ArrayLike, mask: ArrayLike, rate: float) -> F64:
    """Gradient of the forward pass: the same mask and the same scale."""
    _check_rate(rate)
    upstream = np.asarray(dout, dtype=np.float64)
    keep = np.asarray(mask).astype(bool)
    return np.where(keep, upstream * _keep_scale(rate), 0.0)
