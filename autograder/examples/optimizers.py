"""Optimizers (lecture section 4): SGD, momentum, Nesterov, Adagrad, RMSprop, Adadelta and
Adam training the same small digits classifier from the same initial weights (loss
curves), and their paths on a 2-D loss surface, a long narrow valley
``f(w) = 0.05 w1^2 + 2 w2^2``.

Learning rates are Keras's defaults except where the default is meant for a different
scale: plain and momentum SGD use 0.05 on the classifier; Adadelta uses 1.0, the rate of
its paper (Keras's default 0.001 barely moves it, which the docs point out).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autograder.examples.common import (
    ExampleResult,
    accuracy,
    digits_split,
    keras,
    pyplot,
    save,
    say,
    train_epochs,
)

EPOCHS, QUICK_EPOCHS = 12, 5
STEPS = 60
START = np.array([-4.5, 1.5])


def optimizers(scale: str) -> dict[str, object]:
    """A fresh optimizer per name; ``scale`` is "classifier" or "surface" (its rates)."""
    k = keras().optimizers
    surface = scale == "surface"
    return {
        "SGD": k.SGD(learning_rate=0.2 if surface else 0.05),
        "momentum": k.SGD(learning_rate=0.05 if surface else 0.05, momentum=0.9),
        "Nesterov": k.SGD(learning_rate=0.05 if surface else 0.05, momentum=0.9,
                          nesterov=True),
        "Adagrad": k.Adagrad(learning_rate=0.5 if surface else 0.01),
        "RMSprop": k.RMSprop(learning_rate=0.1 if surface else 0.001),
        "Adadelta": k.Adadelta(learning_rate=1.0),
        "Adam": k.Adam(learning_rate=0.2 if surface else 0.001),
    }


def classifier_curves(epochs: int) -> dict[str, dict[str, object]]:
    """Training loss per epoch and test accuracy of each optimizer, same start weights."""
    k = keras()
    x_train, y_train, x_test, y_test = digits_split()
    k.utils.set_random_seed(0)
    template = k.Sequential([k.Input(shape=(64,)), k.layers.Dense(32, activation="relu"),
                             k.layers.Dense(10, activation="softmax")])
    start = template.get_weights()
    results = {}
    for name, optimizer in optimizers("classifier").items():
        model = k.models.clone_model(template)
        model.set_weights(start)
        model.compile(optimizer=optimizer, loss="categorical_crossentropy")
        losses = train_epochs(model, x_train, y_train, epochs, batch_size=64, seed=0)
        results[name] = {"loss": np.array(losses), "final_loss": losses[-1],
                         "accuracy": accuracy(model, x_test, y_test)}
    return results


def surface(w: np.ndarray) -> float:
    """The valley 0.05 w1^2 + 2 w2^2 at w (2,): minimum 0 at the origin."""
    return float(0.05 * w[0] ** 2 + 2.0 * w[1] ** 2)


def surface_gradient(w: np.ndarray) -> np.ndarray:
    """Gradient (2,) of ``surface`` at w (2,)."""
    return np.array([0.1 * w[0], 4.0 * w[1]])


def surface_paths(steps: int) -> dict[str, np.ndarray]:
    """Each Keras optimizer's path over the valley from START (optimizer.apply)."""
    k = keras()
    paths = {}
    for name, optimizer in optimizers("surface").items():
        variable = k.Variable(START.astype(np.float32))
        path = [START.copy()]
        for _ in range(steps):
            grad = surface_gradient(np.asarray(variable, dtype=np.float64))
            optimizer.apply([k.ops.convert_to_tensor(grad.astype(np.float32))], [variable])
            path.append(np.asarray(variable, dtype=np.float64))
        paths[name] = np.array(path)
    return paths


def run(out_dir: Path, quick: bool = False) -> ExampleResult:
    """Train the classifier with every optimizer and trace their paths.

    Inputs:
    - out_dir: where ``optimizers.png`` is written (created if missing).
    - quick: 5 epochs on the classifier (else 12).

    Returns:
    - an ExampleResult: the figure's path and ``numbers``:
      "classifier" -> final_loss, accuracy per optimizer; "surface_distance" per optimizer.
    """
    epochs = QUICK_EPOCHS if quick else EPOCHS
    say(f"optimizers: Dense(32)-Dense(10) on the 8x8 digits, batches of 64, {epochs} epochs, "
        "same initial weights")
    curves = classifier_curves(epochs)
    for name, r in curves.items():
        say(f"  {name:<9} final training loss {r['final_loss']:.4f}, "
            f"test accuracy {r['accuracy']:.3f}")
    paths = surface_paths(STEPS)
    say(f"  2-D valley f = 0.05 w1^2 + 2 w2^2 from ({START[0]:g}, {START[1]:g}), {STEPS} steps:")
    distances = {}
    for name, path in paths.items():
        distances[name] = float(np.linalg.norm(path[-1]))
        say(f"    {name:<9} ends at ({path[-1][0]:+.3f}, {path[-1][1]:+.3f}), "
            f"f = {surface(path[-1]):.4f}, distance to the minimum {distances[name]:.3f}")
    figure = _plot(curves, paths, out_dir)
    return ExampleResult("optimizers", figure, {
        "classifier": {n: {"final_loss": r["final_loss"], "accuracy": r["accuracy"]}
                       for n, r in curves.items()},
        "surface_distance": distances})


def _plot(curves: dict, paths: dict, out_dir: Path) -> Path:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    for name, r in curves.items():
        left.plot(np.arange(1, len(r["loss"]) + 1), r["loss"], marker="o", ms=3, label=name)
    left.set_yscale("log")
    left.set_xlabel("epoch")
    left.set_ylabel("training loss (log scale)")
    left.set_title("the same classifier, the same start")
    left.legend(fontsize=8)
    g1, g2 = np.meshgrid(np.linspace(-5, 1.5, 200), np.linspace(-2, 2, 200))
    right.contour(g1, g2, 0.05 * g1**2 + 2.0 * g2**2, levels=np.geomspace(0.005, 8, 14),
                  cmap="Greys")
    for name, path in paths.items():
        right.plot(path[:, 0], path[:, 1], ".-", ms=3, lw=1.2, label=name)
    right.plot([0], [0], "k*", ms=12)
    right.set_title("paths on f = 0.05 w1^2 + 2 w2^2")
    right.set_xlabel("w1")
    right.set_ylabel("w2")
    right.legend(fontsize=8)
    fig.suptitle("Optimizers: momentum and adaptive rates speed up descent")
    return save(fig, out_dir, "optimizers")
