# Student exercise: replace every `raise NotImplementedError(...)` with your code.
# Generated from the reference solutions by `dltips release stubs`; the function names,
# parameters and docstrings are the contract the grader checks.
"""Weight regularization against overfitting (lecture section 3.3).

A regularizer adds a penalty on the weights to the loss, pulling them towards zero:

- L1: ``l1 * sum(|w|)``  (``keras.regularizers.L1(l1=0.01)``): drives weights to exactly 0.
- L2: ``l2 * sum(w**2)`` (``keras.regularizers.L2(l2=0.01)``): "weight decay"; note Keras
  has NO factor 1/2 here.
- Both: ``keras.regularizers.L1L2(l1=0.0, l2=0.0)``.

Keras adds the penalty of a layer's kernel to the loss undivided (not averaged over the
batch), and does not regularize the bias unless asked with ``bias_regularizer``.

Lecture errata:
- Keras 1's ``Dense(..., W_regularizer=l2(0.01))`` is now ``kernel_regularizer=``.
- ``keras.regularizers.l1_l2`` is now the ``L1L2`` class: ``l1_l2()`` with no arguments is a
  ZERO penalty (Keras 2's function defaulted to l1=l2=0.01). Always pass the strengths.

Every function accepts array-likes and never modifies its inputs (the grader checks that
every argument, lists of arrays included, comes back unchanged). To reuse a function of
another exercise module, import it by its bare module name at the top of this file, e.g.
``from gradient_descent import mse_loss_and_grads`` (see ``assignments/__init__.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

Weights = ArrayLike | Sequence[ArrayLike]


def _as_list(weights: Weights) -> list[np.ndarray]:
    """One array, or a list/tuple of arrays, as a list of float64 arrays.

    A nested list of numbers is split along its first axis, which leaves every sum over
    all elements unchanged, so both readings of ``[[1, 2], [3, 4]]`` give the same penalty.
    """
    if isinstance(weights, (list, tuple)):
        return [np.asarray(item, dtype=np.float64) for item in weights]
    return [np.asarray(weights, dtype=np.float64)]


def l1_penalty(weights: Weights, l1: float = 0.01) -> float:
    """L1 penalty ``l1 * sum(|w|)`` over every weight (``keras.regularizers.L1``).

    Inputs:
    - weights: one array of any shape, or a list of arrays (e.g. all kernels of a model);
      the sum runs over every element of every array.
    - l1: strength.

    Returns:
    - the penalty as a Python float.
    """
    raise NotImplementedError('l1_penalty: treat one array as a list of one; add |w| over every element of every array.')


def l2_penalty(weights: Weights, l2: float = 0.01) -> float:
    """L2 penalty ``l2 * sum(w**2)`` over every weight (``keras.regularizers.L2``; no 1/2).

    Inputs:
    - weights: one array of any shape, or a list of arrays.
    - l2: strength.

    Returns:
    - the penalty as a Python float.
    """
    raise NotImplementedError('l2_penalty: like l1_penalty with squares instead of absolute values.')


def l1_l2_penalty(weights: Weights, l1: float = 0.0, l2: float = 0.0) -> float:
    """Combined penalty ``l1 * sum(|w|) + l2 * sum(w**2)`` (``keras.regularizers.L1L2``).

    The defaults are 0.0, as in Keras 3, so ``l1_l2_penalty(w)`` is 0.

    Inputs:
    - weights: one array of any shape, or a list of arrays.
    - l1, l2: strengths.

    Returns:
    - the penalty as a Python float.
    """
    raise NotImplementedError('l1_l2_penalty: the sum of the two penalties above.')


def l1_l2_penalty_grad(w: ArrayLike, l1: float = 0.0, l2: float = 0.0) -> np.ndarray:
    """Gradient of ``l1 * sum(|w|) + l2 * sum(w**2)`` with respect to w.

    ``l1 * sign(w) + 2 * l2 * w``, with ``sign(0) = 0`` (the subgradient TensorFlow uses).

    Inputs:
    - w: one weight array of any shape.
    - l1, l2: strengths.

    Returns:
    - float64 array of w's shape.
    """
    raise NotImplementedError('l1_l2_penalty_grad: np.sign already gives sign(0) = 0.')


def regularized_mse_loss_and_grads(
    X: ArrayLike, y: ArrayLike, w: ArrayLike, b: float, l1: float = 0.0, l2: float = 0.0
) -> tuple[float, np.ndarray, float]:
    """MSE of the linear model ``X @ w + b`` plus the L1/L2 penalty on w (not on b).

    With ``r = X @ w + b - y``:
    - ``loss = mean(r**2) + l1 * sum(|w|) + l2 * sum(w**2)``
    - ``dw = 2/N * X.T @ r + l1 * sign(w) + 2 * l2 * w``
    - ``db = 2/N * sum(r)``

    This equals the total loss and gradients of Keras's
    ``Dense(1, kernel_regularizer=keras.regularizers.L1L2(l1, l2))`` with ``loss="mse"``.

    Inputs:
    - X: features (N, D); y: targets (N,); w: weights (D,); b: bias (number).
    - l1, l2: regularization strengths.

    Returns a tuple ``(loss, dw, db)``: Python float, float64 (D,), Python float.
    """
    raise NotImplementedError('regularized_mse_loss_and_grads: start from the plain MSE loss and gradients, then add the penalty and its gradient.')
