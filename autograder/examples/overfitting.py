"""Overfitting and its remedies (lecture section 3): a small network fitted to 20 noisy
samples of ``sin(2 pi x)``, given ``x, x^2, x^3`` and four irrelevant random features,
learns the noise: its training error falls to ~0 while its validation error stays high.
Each of the deck's remedies closes that gap: more training data (200 samples), fewer
features (drop the irrelevant ones), L2 weight decay (``kernel_regularizer=L2(0.03)``)
and dropout (``Dropout(0.5)`` after each hidden layer).

Errors are mean squared errors in inference mode (dropout off) on the training set and
on 200 held-out samples, recorded after every epoch of full-batch Adam.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autograder.examples.common import (
    ExampleResult,
    keras,
    load_csv,
    pyplot,
    save,
    say,
    train_epochs,
)

EPOCHS = 300
NOISE_FEATURES = 4
REMEDIES = ("baseline", "more data", "fewer features", "L2", "dropout")


def samples(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """More draws from the generator of source_data/overfit_poly.csv (sin + noise 0.2)."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 1.0, n))
    return x, np.sin(2 * np.pi * x) + rng.normal(0.0, 0.2, n)


def features(x: np.ndarray, noise: int, seed: int) -> np.ndarray:
    """x, x^2, x^3, then ``noise`` columns of uniform noise unrelated to y."""
    rng = np.random.default_rng(seed)
    columns = [x, x**2, x**3] + [rng.uniform(0.0, 1.0, len(x)) for _ in range(noise)]
    return np.column_stack(columns).astype(np.float32)


def network(inputs: int, l2: float = 0.0, dropout: float = 0.0) -> object:
    """Dense(64, relu) x 2 -> Dense(1), compiled with Adam(0.01) and MSE; optional L2 on
    every kernel and Dropout after each hidden layer."""
    k = keras()
    regularizer = k.regularizers.L2(l2) if l2 else None
    layers = [k.Input(shape=(inputs,))]
    for _ in range(2):
        layers.append(k.layers.Dense(64, activation="relu", kernel_regularizer=regularizer))
        if dropout:
            layers.append(k.layers.Dropout(dropout))
    layers.append(k.layers.Dense(1, kernel_regularizer=regularizer))
    model = k.Sequential(layers)
    model.compile(optimizer=k.optimizers.Adam(learning_rate=0.01), loss="mse")
    return model


def _mse(model: object, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((np.asarray(model(x, training=False)).ravel() - y) ** 2))


def train(remedy: str, epochs: int) -> dict[str, object]:
    """Train one variant from seed 0; its per-epoch training and validation errors."""
    x_small, y_small = load_csv("overfit_poly")
    x_small = x_small[:, 0]
    x_train, y_train = samples(200, seed=8) if remedy == "more data" else (x_small, y_small)
    x_val, y_val = samples(200, seed=7)
    noise = 0 if remedy == "fewer features" else NOISE_FEATURES
    f_train, f_val = features(x_train, noise, seed=101), features(x_val, noise, seed=102)
    keras().utils.set_random_seed(0)
    model = network(f_train.shape[1], l2=0.03 if remedy == "L2" else 0.0,
                    dropout=0.5 if remedy == "dropout" else 0.0)
    curves: dict[str, list[float]] = {"train": [], "val": []}

    def record(m: object) -> None:
        curves["train"].append(_mse(m, f_train, y_train))
        curves["val"].append(_mse(m, f_val, y_val))

    train_epochs(model, f_train, y_train, epochs, batch_size=len(f_train), after_epoch=record)
    train_mse, val_mse = curves["train"][-1], curves["val"][-1]
    return {"train": np.array(curves["train"]), "val": np.array(curves["val"]),
            "train_mse": train_mse, "val_mse": val_mse, "gap": val_mse - train_mse,
            "samples": len(x_train), "features": f_train.shape[1]}


def run(out_dir: Path, quick: bool = False) -> ExampleResult:
    """Train the baseline and each remedy; plot curves and gaps; print.

    Inputs:
    - out_dir: where ``overfitting.png`` is written (created if missing).
    - quick: unused (every run is already a few seconds).

    Returns:
    - an ExampleResult: the figure's path and ``numbers``:
      per remedy: train_mse, val_mse, gap, samples, features.
    """
    epochs = EPOCHS  # full-batch epochs on 20 samples cost milliseconds: no quick variant
    say(f"overfitting: Dense(64)-Dense(64)-Dense(1), full-batch Adam(0.01), {epochs} epochs; "
        "errors are MSE in inference mode")
    runs = {}
    for remedy in REMEDIES:
        runs[remedy] = train(remedy, epochs)
        r = runs[remedy]
        say(f"  {remedy:<15} {r['samples']:>3} samples, {r['features']} features: training "
            f"MSE {r['train_mse']:.4f}, validation MSE {r['val_mse']:.4f}, gap {r['gap']:.4f}")
    figure = _plot(runs, out_dir)
    return ExampleResult("overfitting", figure, {
        remedy: {k: v for k, v in r.items() if k not in ("train", "val")}
        for remedy, r in runs.items()})


def _plot(runs: dict, out_dir: Path) -> Path:
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), sharey=False)
    flat = axes.ravel()
    for ax, (remedy, r) in zip(flat, runs.items(), strict=False):
        ax.semilogy(r["train"], label="training")
        ax.semilogy(r["val"], label="validation")
        ax.set_title(f"{remedy}: gap {r['gap']:.3f}")
        ax.set_xlabel("epoch")
        ax.set_ylim(1e-5, 10)
    flat[0].set_ylabel("MSE (log scale)")
    flat[0].legend()
    names = list(runs)
    flat[-1].bar(names, [runs[n]["gap"] for n in names],
                 color=["crimson"] + ["seagreen"] * (len(names) - 1))
    flat[-1].set_title("validation - training MSE at the end")
    flat[-1].tick_params(axis="x", rotation=30)
    fig.suptitle("Overfitting: each remedy closes the gap between training and validation")
    fig.tight_layout()
    return save(fig, out_dir, "overfitting")
