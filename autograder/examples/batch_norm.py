"""Batch normalization (lecture section 5): the same deep network (8 hidden ReLU layers of
64 units) trained on the 8x8 digits with Adam at its default rate (0.001) and at a high
rate (0.05), without and with ``BatchNormalization`` between each Dense and its ReLU.

The deck's claim, measured: at the default rate both train; at the high rate the plain
network dies (its loss sticks at ln 10 = 2.30, chance accuracy) while the normalized one
still learns. ``BatchNormalization(momentum=0.9)``: with the few hundred steps of this demo
the default 0.99 would leave the moving statistics (used at test time) unsettled.
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

RATES = (0.001, 0.05)
DEPTH, WIDTH = 8, 64
EPOCHS, QUICK_EPOCHS = 8, 5


def deep_network(batch_norm: bool) -> object:
    """DEPTH hidden layers of WIDTH units, ReLU, softmax over 10 classes (uncompiled);
    with ``batch_norm`` each hidden layer is Dense -> BatchNormalization -> ReLU."""
    k = keras()
    layers = [k.Input(shape=(64,))]
    for _ in range(DEPTH):
        if batch_norm:
            layers += [k.layers.Dense(WIDTH), k.layers.BatchNormalization(momentum=0.9),
                       k.layers.Activation("relu")]
        else:
            layers.append(k.layers.Dense(WIDTH, activation="relu"))
    layers.append(k.layers.Dense(10, activation="softmax"))
    return k.Sequential(layers)


def train(batch_norm: bool, rate: float, epochs: int) -> dict[str, object]:
    """Train one variant from seed 0 on the 8x8 digits with Adam at ``rate``.

    Returns ``{"loss": per-epoch training loss (epochs,), "final_loss", "accuracy"}``
    (test accuracy in inference mode).
    """
    k = keras()
    x_train, y_train, x_test, y_test = digits_split()
    k.utils.set_random_seed(0)
    model = deep_network(batch_norm)
    model.compile(optimizer=k.optimizers.Adam(learning_rate=rate),
                  loss="categorical_crossentropy")
    losses = train_epochs(model, x_train, y_train, epochs, batch_size=64, seed=0)
    return {"loss": np.array(losses), "final_loss": losses[-1],
            "accuracy": accuracy(model, x_test, y_test)}


def run(out_dir: Path, quick: bool = False) -> ExampleResult:
    """Train the deep network with and without BN at each rate; plot, print.

    Inputs:
    - out_dir: where ``batch_norm.png`` is written (created if missing).
    - quick: 5 epochs and only the high rate (else 8, both).

    Returns:
    - an ExampleResult: the figure's path and ``numbers``:
      "plain@0.05" / "bn@0.05" ... -> final_loss, accuracy.
    """
    epochs = QUICK_EPOCHS if quick else EPOCHS
    rates = RATES[-1:] if quick else RATES
    say(f"batch normalization: {DEPTH} x Dense({WIDTH}, relu) on the 8x8 digits, Adam, "
        f"batches of 64, {epochs} epochs")
    runs = {}
    for rate in rates:
        for batch_norm in (False, True):
            r = train(batch_norm, rate, epochs)
            runs[(rate, batch_norm)] = r
            say(f"  learning_rate={rate:<6g} {'with' if batch_norm else 'without':<7} "
                f"BatchNormalization: final training loss {r['final_loss']:.3f}, "
                f"test accuracy {r['accuracy']:.3f}")
    figure = _plot(runs, out_dir)
    numbers = {f"{'bn' if bn else 'plain'}@{rate:g}": {"final_loss": r["final_loss"],
                                                      "accuracy": r["accuracy"]}
               for (rate, bn), r in runs.items()}
    return ExampleResult("batch_norm", figure, numbers)


def _plot(runs: dict, out_dir: Path) -> Path:
    plt = pyplot()
    rates = sorted({rate for rate, _ in runs})
    # constrained layout keeps the suptitle clear of the panel titles
    fig, axes = plt.subplots(1, len(rates), figsize=(4.8 * len(rates), 4.2), squeeze=False,
                             layout="constrained")
    for ax, rate in zip(axes[0], rates, strict=True):
        for batch_norm, color in ((False, "crimson"), (True, "seagreen")):
            r = runs[(rate, batch_norm)]
            label = (f"{'with' if batch_norm else 'without'} BN "
                     f"(test accuracy {r['accuracy']:.2f})")
            ax.plot(np.arange(1, len(r["loss"]) + 1), r["loss"], "o-", color=color,
                    label=label)
        ax.axhline(np.log(10), color="gray", ls=":", lw=1, label="chance (ln 10)")
        ax.set_title(f"Adam, learning_rate={rate:g}")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        ax.legend(fontsize=8)
    fig.suptitle(f"Batch normalization: the same {DEPTH}-layer network at a high learning rate")
    return save(fig, out_dir, "batch_norm")
