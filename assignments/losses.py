# Student exercise: replace every `raise NotImplementedError(...)` with your code.
# Generated from the reference solutions by `dltips release stubs`; the function names,
# parameters and docstrings are the contract the grader checks.
"""Losses and metrics of the lecture's recap: linear, logistic and softmax models.

The three models of the course and the loss Keras pairs with each:

=================  =======================  ==============================
model              Keras output layer       Keras loss
=================  =======================  ==============================
linear regression  ``Dense(1)``             ``"mse"``
logistic           ``Dense(1, "sigmoid")``  ``"binary_crossentropy"``
softmax            ``Dense(C, "softmax")``  ``"categorical_crossentropy"``
=================  =======================  ==============================

Lecture erratum: ``loss='softmax'`` is not a loss. Softmax is the *activation* of the
output layer; the softmax classifier is trained with ``loss='categorical_crossentropy'``.

Every function accepts array-likes (lists, tuples, numpy arrays) and never modifies its
inputs (the grader checks that every argument comes back unchanged). The element-wise
``sigmoid`` and ``softmax`` return ``float64`` arrays of their input's shape; the losses and
metrics return Python floats.

Where a docstring promises "no warnings", the grader runs the function under numpy's
default error settings (a module-level ``np.seterr`` does not carry over) and fails it if
it raises any warning, such as ``RuntimeWarning: overflow encountered in exp``.

To reuse a function of another exercise module, import it by its bare module name (see
``assignments/__init__.py``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def sigmoid(z: ArrayLike) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-z))``, element-wise (``keras.activations.sigmoid``).

    Must be numerically stable: for ``|z|`` up to 1e4 it returns values in [0, 1] with
    no overflow, no NaN and no warnings. (``exp(-z)`` overflows for z < -709, so
    compute with ``exp(-|z|)``, which never overflows.)

    Inputs:
    - z: array-like of any shape (a scalar is allowed).

    Returns:
    - float64 array of the same shape as z; for a scalar, shape () (a 0-d array, or a
      numpy float64, which numpy treats the same way).
    """
    raise NotImplementedError('sigmoid: exp(-|z|) never overflows: write sigmoid with it for z >= 0 and for z < 0 (np.where).')


def softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: ``exp(z_i) / sum_j exp(z_j)`` (``keras.activations.softmax``).

    Must be numerically stable for ``|z|`` up to 1e4 (no overflow, no NaN, no warnings):
    subtract the maximum along ``axis`` first, which does not change the result.

    Inputs:
    - z: array-like of any shape with at least one dimension, e.g. logits (N, C).
    - axis: the axis that sums to 1.

    Returns:
    - float64 array of z's shape; every slice along ``axis`` is non-negative and sums to 1.
    """
    raise NotImplementedError('softmax: shifting z by its maximum along `axis` changes nothing but prevents overflow.')


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean squared error ``mean((y_true - y_pred)**2)`` over ALL elements (``loss="mse"``).

    Inputs:
    - y_true, y_pred: array-likes of the same shape, e.g. (N,) or (N, K).

    Returns:
    - the loss as a Python float.
    """
    raise NotImplementedError('mean_squared_error: average over every element (not per row) and return a Python float, not a numpy scalar.')


def binary_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, epsilon: float = 1e-7) -> float:
    """Binary cross-entropy of probabilities (``keras.losses.binary_crossentropy``).

    ``p = clip(y_pred, epsilon, 1 - epsilon)`` and the loss is
    ``-mean(y_true * log(p) + (1 - y_true) * log(1 - p))`` over ALL elements.
    The clipping makes probabilities of exactly 0 or 1 safe: the result stays finite
    (at most ``-log(epsilon)`` per element) with no warnings.

    This float64 formula is what is graded. Keras computes the same formula in float32,
    where ``1 - 1e-7`` rounds to 0.99999988: for probabilities at the clip (0 or 1) Keras's
    value differs from it by up to about 1%; elsewhere the two agree to about 1e-6.

    Inputs:
    - y_true: array-like of 0/1 targets (any shape, e.g. (N,) or (N, 1)).
    - y_pred: array-like of probabilities in [0, 1], same shape as y_true.
    - epsilon: clipping constant (Keras's ``backend.epsilon()``, 1e-7).

    Returns:
    - the loss as a Python float.
    """
    raise NotImplementedError('binary_crossentropy: clip y_pred to [epsilon, 1 - epsilon] BEFORE taking any log.')


def categorical_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, epsilon: float = 1e-7) -> float:
    """Categorical cross-entropy of probabilities (``keras.losses.categorical_crossentropy``).

    Steps, exactly as Keras does them:
    1. renormalise each row of y_pred so it sums to 1:
       ``p = y_pred / y_pred.sum(axis=1, keepdims=True)`` (without ``keepdims`` the (N,)
       row sums would divide the COLUMNS, silently wrong when N == C);
    2. clip: ``p = clip(p, epsilon, 1 - epsilon)``;
    3. per row: ``-sum(y_true * log(p))``;
    4. mean over the rows.
    Entries of exactly 0 or 1 are safe: the result is finite, with no warnings.

    Inputs:
    - y_true: one-hot targets, shape (N, C).
    - y_pred: non-negative scores or probabilities, shape (N, C), each row with a positive sum.
      Entries may be exactly 0 or 1.
    - epsilon: clipping constant (1e-7).

    Returns:
    - the loss as a Python float.
    """
    raise NotImplementedError('categorical_crossentropy: follow the four steps in order; sum over the classes before averaging over the rows.')


def r2_score(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Coefficient of determination R^2 (``sklearn.metrics.r2_score``).

    ``R^2 = 1 - SS_res / SS_tot`` with ``SS_res = sum((y_true - y_pred)**2)`` and
    ``SS_tot = sum((y_true - mean(y_true))**2)``. 1 is a perfect fit, 0 is no better than
    predicting the mean, and it can be negative.

    Edge case (as scikit-learn): when y_true is constant (``SS_tot == 0``) the result is
    1.0 if the predictions are perfect (``SS_res == 0``) and 0.0 otherwise.
    For 2-D inputs (N, K) the score is computed per column and averaged
    (scikit-learn's ``multioutput="uniform_average"``).

    Inputs:
    - y_true, y_pred: array-likes of the same shape, (N,) or (N, K), N >= 2.

    Returns:
    - R^2 as a Python float.
    """
    raise NotImplementedError('r2_score: compute SS_res and SS_tot per column (axis=0); handle SS_tot == 0 separately.')


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of correct predictions (``sklearn.metrics.accuracy_score``).

    Each argument is turned into labels (N,), then the labels are compared:
    - 1-D (N,): class labels, used as they are;
    - 2-D (N, C) with C >= 2: one-hot targets or class scores/probabilities, reduced with
      ``argmax`` over axis 1 (Keras's categorical accuracy);
    - 2-D (N, 1): 0/1 targets or sigmoid probabilities of the positive class, reduced to
      ``1`` where the value is ``> 0.5`` and ``0`` elsewhere (Keras's binary accuracy, so
      exactly 0.5 counts as 0). ``argmax`` of a single column would always give 0.
    The two arguments may be in different forms, e.g. integer labels against softmax
    probabilities, or (N,) labels against (N, 1) sigmoid outputs.

    Inputs:
    - y_true: labels (N,), one-hot (N, C) or a 0/1 column (N, 1).
    - y_pred: labels (N,), scores (N, C) or sigmoid probabilities (N, 1).

    Returns:
    - accuracy in [0, 1] as a Python float.
    """
    raise NotImplementedError('accuracy: make each 2-D argument labels (likeliest class per row; one column: P(class 1)).')
