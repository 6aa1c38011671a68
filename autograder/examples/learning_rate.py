"""Learning rate (lecture section 1): the deck's ``Dense(1, input_dim=3)`` regression
trained with Keras ``SGD`` at a rate that diverges (10), one that is too slow (0.001) and a
good one (0.1), beside the course's ``gradient_descent`` from the same initial weights.

Full-batch Keras ``fit`` (``batch_size=N, shuffle=False``) is exactly the course's
gradient descent, so the two loss curves coincide; ``diagnose_learning_rate`` names each.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autograder.examples.common import (
    ExampleResult,
    course_module,
    keras,
    load_csv,
    pyplot,
    save,
    say,
)

RATES = (10.0, 0.001, 0.1)
EPOCHS, QUICK_EPOCHS = 100, 40


def keras_history(X: np.ndarray, y: np.ndarray, learning_rate: float, epochs: int,
                  weights: list[np.ndarray]) -> np.ndarray:
    """Loss per epoch of Dense(1) + SGD + mse fitted full-batch from ``weights``."""
    k = keras()
    model = k.Sequential([k.Input(shape=(X.shape[1],)), k.layers.Dense(1)])
    model.set_weights(weights)
    model.compile(optimizer=k.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    fit = model.fit(X, y, batch_size=len(X), epochs=epochs, shuffle=False, verbose=0)
    return np.asarray(fit.history["loss"], dtype=np.float64)


def agreement(a: np.ndarray, b: np.ndarray, ceiling: float = 1e6) -> float:
    """Largest relative difference between two loss curves while both are below
    ``ceiling`` (past it a diverging run is only float32 vs float64 overflow)."""
    both = np.isfinite(a) & np.isfinite(b) & (np.abs(a) < ceiling) & (np.abs(b) < ceiling)
    if not both.any():
        return float("nan")
    return float(np.max(np.abs(a[both] - b[both]) / np.maximum(np.abs(b[both]), 1e-12)))


def run(out_dir: Path, quick: bool = False) -> ExampleResult:
    """Train at each rate with Keras and with gradient_descent; plot, print.

    Inputs:
    - out_dir: where ``learning_rate.png`` is written (created if missing).
    - quick: 40 epochs (else 100).

    Returns:
    - an ExampleResult: the figure's path and ``numbers``:
      "optimum", "runs" -> per rate: keras and numpy loss curves, verdict, max_rel_diff.
    """
    k = keras()
    gd = course_module("gradient_descent")
    X, y = load_csv("linear_regression_3f")
    epochs = QUICK_EPOCHS if quick else EPOCHS
    w_best, b_best = gd.least_squares(X, y)
    optimum = gd.mse_loss_and_grads(X, y, w_best, b_best)[0]
    k.utils.set_random_seed(0)
    start = k.Sequential([k.Input(shape=(3,)), k.layers.Dense(1)]).get_weights()
    runs = {}
    say(f"learning rate: Dense(1, input_dim=3) + SGD, {epochs} full-batch epochs, "
        f"optimal MSE {optimum:.4f}")
    for rate in RATES:
        from_keras = keras_history(X, y, rate, epochs, start)
        with np.errstate(all="ignore"):
            _, _, from_numpy = gd.gradient_descent(X, y, rate, epochs, w0=start[0].ravel(),
                                                   b0=float(start[1][0]))
        verdict = gd.diagnose_learning_rate(from_keras, optimum)
        runs[rate] = {"keras": from_keras, "numpy": np.asarray(from_numpy), "verdict": verdict,
                      "max_rel_diff": agreement(from_keras, np.asarray(from_numpy))}
        say(f"  learning_rate={rate:<6g} {verdict:<9}  final loss Keras {from_keras[-1]:.4g}, "
            f"gradient_descent {from_numpy[-1]:.4g}; curves differ by at most "
            f"{runs[rate]['max_rel_diff']:.1e} (relative)")
    figure = _plot(runs, optimum, out_dir)
    return ExampleResult("learning_rate", figure, {"optimum": optimum, "runs": runs})


def _plot(runs: dict, optimum: float, out_dir: Path) -> Path:
    plt = pyplot()
    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 3.4))
    for ax, (rate, r) in zip(axes, runs.items(), strict=True):
        epochs = np.arange(len(r["keras"]))
        with np.errstate(all="ignore"):
            shown = np.where(np.isfinite(r["keras"]), r["keras"], np.nan)
            numpy_shown = np.where(np.isfinite(r["numpy"]), r["numpy"], np.nan)
        ax.semilogy(epochs, shown, lw=2.5, label="Keras SGD")
        ax.semilogy(epochs, numpy_shown, "--", lw=1.5, color="black",
                    label="gradient_descent")
        ax.axhline(optimum, color="gray", lw=0.8, ls=":", label="optimal MSE")
        ax.set_title(f"learning_rate={rate:g}: {r['verdict']}")
        ax.set_xlabel("epoch")
    axes[0].set_ylabel("MSE (log scale)")
    axes[0].legend(fontsize=8)
    fig.suptitle("Learning rate: too large diverges, too small crawls")
    return save(fig, out_dir, "learning_rate")
