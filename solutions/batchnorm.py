"""Batch normalization (lecture section 5), with ``keras.layers.BatchNormalization``'s rules.

Features live on the LAST axis; statistics are taken over every other axis. So the same
code serves a dense layer's activations (N, D) and a convolution's feature maps
(N, H, W, C): for (N, H, W, C) each channel's mean is over N*H*W values.

Training mode (``model.fit``, or calling the layer with ``training=True``):
    mean, var = batch mean and BIASED variance (ddof=0) per feature
    x_hat = (x - mean) / sqrt(var + epsilon)
    out   = gamma * x_hat + beta
    running = momentum * running + (1 - momentum) * batch_stat     (mean and var alike)
Inference mode (``model.predict``): the running statistics replace the batch statistics,
and they are not updated.

Keras defaults: ``momentum=0.99``, ``epsilon=1e-3``; gamma starts at 1, beta at 0, the
moving mean at 0 and the moving variance at 1. (PyTorch's ``momentum=0.1`` means the
same thing as Keras's ``momentum=0.9``.)

Both functions accept array-likes and never modify their inputs (the grader checks it):
the new running statistics are NEW arrays, never ``running_mean`` updated in place. The
one exception is ``cache``, your own object: ``batchnorm_backward`` may change it. To
reuse a function of another exercise module, import it by its bare module name (see
``assignments/__init__.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike


def batchnorm_forward(
    x: ArrayLike,
    gamma: ArrayLike,
    beta: ArrayLike,
    running_mean: ArrayLike,
    running_var: ArrayLike,
    training: bool,
    momentum: float = 0.99,
    epsilon: float = 1e-3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """Forward pass of batch normalization.

    Inputs:
    - x: data of shape (N, D) or (N, H, W, C); the last axis holds the F features.
    - gamma, beta: scale and shift, shape (F,).
    - running_mean, running_var: the moving statistics, shape (F,).
    - training: True uses and updates batch statistics; False uses the running ones.
    - momentum, epsilon: as in Keras.

    Training mode: mean and biased variance over all axes but the last;
    ``out = gamma * (x - mean) / sqrt(var + epsilon) + beta``;
    ``new_running_mean = momentum * running_mean + (1 - momentum) * mean`` and the same for
    the variance (the biased one).

    Inference mode: ``out = gamma * (x - running_mean) / sqrt(running_var + epsilon) + beta``;
    the running statistics are returned unchanged and the cache is None.

    Returns a tuple ``(out, new_running_mean, new_running_var, cache)``:
    - out: float64, shape of x.
    - new_running_mean, new_running_var: float64, shape (F,).
    - cache: whatever ``batchnorm_backward`` needs, built ONLY from (nested) tuples, lists
      and dicts of numpy arrays, numbers, strings and None (no objects of your own
      classes); None in inference mode.
    """
    # BEGIN SOLUTION
    # HINT: reduce over every axis but the last (a tuple of axes); np.var is already the biased one.
    x = np.asarray(x, dtype=np.float64)
    gamma = np.asarray(gamma, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    running_mean = np.asarray(running_mean, dtype=np.float64)
    running_var = np.asarray(running_var, dtype=np.float64)
    if not training:
        out = gamma * (x - running_mean) / np.sqrt(running_var + epsilon) + beta
        return out, running_mean.copy(), running_var.copy(), None
    axes = tuple(range(x.ndim - 1))
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    inv_std = 1.0 / np.sqrt(var + epsilon)
    x_hat = (x - mean) * inv_std
    new_mean = momentum * running_mean + (1.0 - momentum) * mean
    new_var = momentum * running_var + (1.0 - momentum) * var
    cache = {"x_hat": x_hat, "gamma": gamma, "inv_std": inv_std}
    return gamma * x_hat + beta, new_mean, new_var, cache
    # END SOLUTION


def batchnorm_backward(dout: ArrayLike, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of batch normalization in training mode.

    With ``M`` values per feature (N for (N, D), N*H*W for (N, H, W, C)) and
    ``x_hat = (x - mean) / sqrt(var + epsilon)``:
    - ``dbeta  = sum(dout)`` over all axes but the last
    - ``dgamma = sum(dout * x_hat)`` over all axes but the last
    - ``dx = gamma / sqrt(var + epsilon) / M * (M * dout - dbeta - x_hat * dgamma)``
      (the batch statistics depend on x, so the gradient flows through them too).

    Inputs:
    - dout: upstream gradient, shape of x.
    - cache: the cache returned by a training-mode ``batchnorm_forward``.

    Returns a tuple ``(dx, dgamma, dbeta)``: float64 arrays of shapes x, (F,), (F,).
    """
    # BEGIN SOLUTION
    # HINT: compute dbeta and dgamma first; dx is then one line of broadcasting.
    dout = np.asarray(dout, dtype=np.float64)
    x_hat, gamma, inv_std = cache["x_hat"], cache["gamma"], cache["inv_std"]
    axes = tuple(range(dout.ndim - 1))
    m = dout.size // dout.shape[-1]
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    dx = gamma * inv_std / m * (m * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
    # END SOLUTION
