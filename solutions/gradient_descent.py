"""Learning rate and gradient descent (lecture section 1).

A linear model ``y_hat = X @ w + b`` trained on the mean squared error is what Keras
builds for ``Dense(1, input_dim=3)`` with ``loss="mse"``. Full-batch gradient descent
repeats ``w <- w - learning_rate * dL/dw``. Too small a learning rate converges slowly;
too large a one overshoots and diverges (the loss grows to inf or NaN).

Lecture erratum: Keras 3 spells it ``SGD(learning_rate=0.1)``; ``lr=`` raises an error.

Every function accepts array-likes and never modifies its inputs (the grader checks that
every argument comes back unchanged). Arrays returned are ``float64``; scalars are Python
floats. To reuse a function of another exercise module, import it by its bare module name
(see ``assignments/__init__.py``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def predict(X: ArrayLike, w: ArrayLike, b: float) -> np.ndarray:
    """Predictions of the linear model: ``X @ w + b``.

    Inputs:
    - X: features, shape (N, D).
    - w: weights, shape (D,).
    - b: bias, a number.

    Returns:
    - predictions, float64 array of shape (N,).
    """
    # BEGIN SOLUTION
    # HINT: one matrix-vector product plus the bias.
    X = np.asarray(X, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    return X @ w + float(b)
    # END SOLUTION


def mse_loss_and_grads(
    X: ArrayLike, y: ArrayLike, w: ArrayLike, b: float
) -> tuple[float, np.ndarray, float]:
    """Mean squared error of the linear model and its gradients.

    With residuals ``r = X @ w + b - y`` (shape (N,)):
    - ``loss = mean(r**2)``
    - ``dw = 2/N * X.T @ r``  (shape (D,))
    - ``db = 2/N * sum(r)``

    Inputs:
    - X: features (N, D); y: targets (N,); w: weights (D,); b: bias (number).

    Returns a tuple ``(loss, dw, db)``:
    - loss: Python float.
    - dw: float64 array of shape (D,).
    - db: Python float.
    """
    # BEGIN SOLUTION
    # HINT: compute the residuals once and reuse them for the loss and both gradients.
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    r = predict(X, w, b) - y
    n = X.shape[0]
    return float(np.mean(r**2)), (2.0 / n) * (X.T @ r), float(2.0 / n * np.sum(r))
    # END SOLUTION


def gradient_descent(
    X: ArrayLike,
    y: ArrayLike,
    learning_rate: float,
    epochs: int,
    w0: ArrayLike | None = None,
    b0: float = 0.0,
) -> tuple[np.ndarray, float, np.ndarray]:
    """Full-batch gradient descent on the MSE of the linear model.

    Each epoch: compute ``loss, dw, db`` at the current ``(w, b)``, record the loss, then
    update ``w -= learning_rate * dw`` and ``b -= learning_rate * db``.
    So ``history[i]`` is the loss BEFORE update i, and ``len(history) == epochs``.

    This is exactly what Keras does for ``Dense(1)`` + ``SGD(learning_rate)`` +
    ``loss="mse"`` fitted with ``batch_size=N, shuffle=False`` from the same initial
    weights (Keras's ``history.history["loss"]`` is the same list).

    A learning rate that is too large makes the loss grow to inf or NaN: that is an
    expected outcome, not an error. Do not stop early: always make all ``epochs`` updates
    and record every loss, so a run that overflows ends its history in inf or NaN. No
    warnings: wrap the loop in ``with np.errstate(over="ignore", invalid="ignore"):`` (not
    ``np.seterr``, which would silence numpy for the whole program); the grader runs your
    function under numpy's default settings and fails it if it warns.

    Inputs:
    - X: features (N, D); y: targets (N,).
    - learning_rate: step size, > 0.
    - epochs: number of updates, >= 0.
    - w0: initial weights (D,); None means zeros.
    - b0: initial bias.

    Returns a tuple ``(w, b, history)``:
    - w: final weights, float64 (D,).
    - b: final bias, Python float.
    - history: float64 array of shape (epochs,).
    """
    # BEGIN SOLUTION
    # HINT: reuse mse_loss_and_grads; record each loss BEFORE its update; never modify w0 in place.
    X = np.asarray(X, dtype=np.float64)
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=np.float64)
    b = float(b0)
    history = np.empty(int(epochs))
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is a lesson, not an error
        for i in range(int(epochs)):
            history[i], dw, db = mse_loss_and_grads(X, y, w, b)
            w = w - learning_rate * dw
            b = b - learning_rate * db
    return w, float(b), history
    # END SOLUTION


def least_squares(X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, float]:
    """The closed-form optimum of the MSE: the ``(w, b)`` gradient descent converges to.

    Solve the least-squares problem for ``[X, 1] @ [w; b] ≈ y`` (append a column of ones
    for the bias), e.g. with ``np.linalg.lstsq``; equals
    ``sklearn.linear_model.LinearRegression().fit(X, y)`` (``coef_``, ``intercept_``).

    Only inputs where ``[X, 1]`` has full column rank are graded (N > D, no constant
    column and no column that is a combination of the others): the optimum is then unique
    and every correct method finds it. (When ``[X, 1]`` is rank deficient there are many
    optima: ``lstsq`` returns the one with the smallest norm of ``[w; b]``,
    ``LinearRegression`` the smallest ``w`` of the centred problem; neither is graded.)

    Inputs:
    - X: features (N, D), with ``[X, 1]`` of full column rank; y: targets (N,).

    Returns a tuple ``(w, b)``: w float64 (D,), b Python float.
    """
    # BEGIN SOLUTION
    # HINT: the bias is the weight of an extra all-ones column: solve that problem, split off b.
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    design = np.column_stack([X, np.ones(X.shape[0])])
    theta = np.linalg.lstsq(design, y, rcond=None)[0]
    return theta[:-1], float(theta[-1])
    # END SOLUTION


def diagnose_learning_rate(history: ArrayLike, optimum: float, rtol: float = 0.01) -> str:
    """Classify a training run from its loss history.

    Rules, checked in this order (``first = history[0]``, ``last = history[-1]``):
    1. ``"diverged"`` if any loss is not finite (inf or NaN) or ``last > first``;
    2. ``"converged"`` if ``last - optimum <= rtol * (first - optimum)``, i.e. the run
       closed at least ``1 - rtol`` of the gap to the optimal loss;
    3. ``"too_slow"`` otherwise (the learning rate is too small for this many epochs).

    Use rule 2 exactly as written, as a product (never divide by ``first - optimum``).
    When ``first <= optimum`` (the run starts at, or through rounding just below, the
    optimum given) there is no gap to close, and rule 2 holds for every history that
    passed rule 1: the result is ``"converged"``.

    Inputs:
    - history: the losses of a run, at least one value.
    - optimum: the optimal loss (e.g. the MSE at ``least_squares``).
    - rtol: the fraction of the initial gap allowed to remain.

    Returns:
    - one of the strings ``"diverged"``, ``"converged"``, ``"too_slow"``.
    """
    # BEGIN SOLUTION
    # HINT: apply the docstring's three rules in order; the first must also catch NaN and inf.
    history = np.asarray(history, dtype=np.float64)
    first, last = history[0], history[-1]
    if not np.all(np.isfinite(history)) or last > first:
        return "diverged"
    if last - optimum <= rtol * (first - optimum):
        return "converged"
    return "too_slow"
    # END SOLUTION
