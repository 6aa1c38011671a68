"""Data normalization (lecture section 2): the deck's x1/x2 table and a larger badly
scaled regression set, raw, standardized (Keras ``Normalization``) and min-max scaled
(scikit-learn ``MinMaxScaler``).

Each version is trained with full-batch gradient descent (the course's
``gradient_descent``, which is Keras ``SGD`` full-batch, see the learning-rate example) at
its own largest safe learning rate ``1 / L`` (``L`` the largest curvature of the MSE), and
the epochs it needs to close 99 % of the gap to the optimum are counted. Scaling makes the
loss surface round instead of a narrow valley: the contours show why.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autograder.examples.common import (
    SOURCE_DATA,
    ExampleResult,
    course_module,
    keras,
    load_csv,
    pyplot,
    save,
    say,
)

CAP, QUICK_CAP = 20000, 5000
SCALINGS = ("raw", "standardized", "min-max")


def lecture_table() -> np.ndarray:
    """The deck's table: x1 in single digits, x2 in thousands (labels dropped)."""
    return np.loadtxt(SOURCE_DATA / "lecture_table.csv", delimiter=",", skiprows=1,
                      usecols=(0, 1), ndmin=2)


def scaled(X: np.ndarray) -> dict[str, np.ndarray]:
    """X raw, standardized by Keras's Normalization layer, min-max scaled by scikit-learn."""
    from sklearn.preprocessing import MinMaxScaler

    layer = keras().layers.Normalization()
    layer.adapt(X)
    return {"raw": X, "standardized": np.asarray(layer(X), dtype=np.float64),
            "min-max": MinMaxScaler().fit_transform(X)}


def curvature(X: np.ndarray) -> tuple[float, float]:
    """Largest eigenvalue and condition number of the MSE's Hessian 2/N [X 1]^T [X 1]."""
    design = np.column_stack([X, np.ones(len(X))])
    eigenvalues = np.linalg.eigvalsh(2.0 / len(X) * design.T @ design)
    return float(eigenvalues[-1]), float(eigenvalues[-1] / eigenvalues[0])


def epochs_to_converge(history: np.ndarray, optimum: float, rtol: float = 0.01) -> int | None:
    """First epoch whose loss closed 1 - rtol of the initial gap (None: never, in the run)."""
    gap = history - optimum
    done = np.flatnonzero(gap <= rtol * gap[0])
    return int(done[0]) if done.size else None


def run(out_dir: Path, quick: bool = False) -> ExampleResult:
    """Scale the table and the badly scaled set three ways; count epochs.

    Inputs:
    - out_dir: where ``normalization.png`` is written (created if missing).
    - quick: cap gradient descent at 5000 epochs (else 20000).

    Returns:
    - an ExampleResult: the figure's path and ``numbers``:
      "table", "runs" -> learning_rate, condition, epochs, "cap".
    """
    gd = course_module("gradient_descent")
    table = scaled(lecture_table())
    say("normalization: the deck's table (x1, x2)")
    for name, values in table.items():
        rows = "  ".join(f"({a:.3g}, {b:.3g})" for a, b in values)
        say(f"  {name:<12} {rows}")
    X, y = load_csv("badly_scaled_2f")
    cap = QUICK_CAP if quick else CAP
    runs = {}
    say(f"badly scaled set ({len(X)} rows, x1 ~ 0..10, x2 ~ 5000 +- 2000): full-batch "
        f"gradient descent at learning rate 1/L, at most {cap} epochs")
    for name, data in scaled(X).items():
        top, condition = curvature(data)
        rate = 1.0 / top
        w_best, b_best = gd.least_squares(data, y)
        optimum = gd.mse_loss_and_grads(data, y, w_best, b_best)[0]
        _, _, history = gd.gradient_descent(data, y, rate, cap)
        epochs = epochs_to_converge(np.asarray(history), optimum)
        runs[name] = {"X": data, "learning_rate": rate, "condition": condition,
                      "epochs": epochs, "history": np.asarray(history), "optimum": optimum,
                      "w_best": w_best, "b_best": b_best}
        shown = f"{epochs}" if epochs is not None else f"more than {cap}"
        say(f"  {name:<12} condition number {condition:10.3g}  learning rate {rate:9.3g}  "
            f"epochs to converge: {shown}")
    figure = _plot(table, runs, y, gd, out_dir)
    return ExampleResult("normalization", figure, {
        "table": table, "runs": {k: {f: v[f] for f in ("learning_rate", "condition", "epochs")}
                                 for k, v in runs.items()}, "cap": cap})


def _path(gd, X: np.ndarray, y: np.ndarray, rate: float, b: float, steps: int) -> np.ndarray:
    """The first ``steps`` weight vectors of gradient descent (bias held at its optimum, so
    the path lives in the plotted (w1, w2) plane)."""
    w = np.zeros(X.shape[1])
    path = [w]
    for _ in range(steps):
        _, dw, _ = gd.mse_loss_and_grads(X, y, w, b)
        w = w - rate * dw
        path.append(w)
    return np.array(path)


def _plot(table: dict, runs: dict, y: np.ndarray, gd, out_dir: Path) -> Path:
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(13, 8))
    for ax, (name, values) in zip(axes[0], table.items(), strict=True):
        ax.scatter(values[:, 0], values[:, 1], s=40)
        for i, (a, b) in enumerate(values):
            ax.annotate(str(i + 1), (a, b), textcoords="offset points", xytext=(4, 4))
        ax.set_title(f"deck's table, {name}")
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
    for ax, (name, r) in zip(axes[1], runs.items(), strict=True):
        w1, w2 = r["w_best"]
        s1, s2 = max(abs(w1), 1e-3) * 1.6, max(abs(w2), 1e-6) * 1.6
        g1, g2 = np.meshgrid(np.linspace(w1 - s1, w1 + s1, 120),
                             np.linspace(w2 - s2, w2 + s2, 120))
        residual = (r["X"] @ np.stack([g1.ravel(), g2.ravel()]) + r["b_best"]
                    - y[:, None])
        loss = np.mean(residual**2, axis=0).reshape(g1.shape)
        ax.contour(g1, g2, np.log10(loss), levels=18, cmap="viridis")
        path = _path(gd, r["X"], y, r["learning_rate"], r["b_best"], 60)
        ax.plot(path[:, 0], path[:, 1], ".-", color="crimson", lw=1, ms=3,
                label="gradient descent, 60 steps")
        ax.plot([w1], [w2], "k*", ms=12, label="optimum")
        epochs = r["epochs"] if r["epochs"] is not None else f"> {len(r['history'])}"
        unit = "epoch" if epochs == 1 else "epochs"
        ax.set_title(f"{name}: condition {r['condition']:.2g}, {epochs} {unit}")
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
    axes[1][0].legend(fontsize=8, loc="lower left")
    fig.suptitle("Normalization: scaled features give a round loss surface and fast descent")
    fig.tight_layout()
    return save(fig, out_dir, "normalization")
