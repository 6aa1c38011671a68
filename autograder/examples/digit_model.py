"""The default ``dltips predict`` network: a small Keras CNN on 28x28 MNIST-style digits.

Trained once, offline, on ``digit_data.training_set`` (or on a Keras-format ``mnist.npz``)
and cached as a ``.keras`` file beside a ``.npz`` of its weights. A later call answers from
the ``.npz`` with ``forward``, a numpy pass through the same layers: importing TensorFlow
alone takes 5-7 s on the course machines, more than the 3 s a call may take. A test checks
that ``forward`` equals Keras's own ``predict`` on the saved model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

SAMPLES = 12_000            # re-drawn training digits (about 20 s to make on 2 cores)
EPOCHS = 6
BATCH = 64
Progress = Callable[[str, int, int], None]   # (stage, done, total)


def build() -> Any:
    """Conv(16) - pool - Conv(32) - pool - Dropout - Dense(64) - Dense(10, softmax)."""
    from autograder.examples.common import keras

    k = keras()
    return k.Sequential([
        k.Input((28, 28, 1)),
        k.layers.Conv2D(16, 3, activation="relu"),
        k.layers.MaxPooling2D(2),
        k.layers.Conv2D(32, 3, activation="relu"),
        k.layers.MaxPooling2D(2),
        k.layers.Flatten(),
        k.layers.Dropout(0.3),
        k.layers.Dense(64, activation="relu"),
        k.layers.Dense(10, activation="softmax"),
    ])


def train(x: np.ndarray, y: np.ndarray, progress: Progress | None = None,
          epochs: int = EPOCHS, seed: int = 0) -> Any:
    """The CNN fitted on (N, 28, 28) images in [0, 1] and int labels; ``progress`` is told
    after every epoch."""
    from autograder.examples.common import keras

    k = keras()
    k.utils.set_random_seed(seed)
    model = build()
    model.compile(optimizer=k.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])

    class Report(k.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            if progress is not None:
                progress("training", epoch + 1, epochs)

    model.fit(x[..., None].astype(np.float32), y, epochs=epochs, batch_size=BATCH,
              verbose=0, callbacks=[Report()])
    return model


def save(model: Any, path: Path) -> None:
    """``path`` (``.keras``) and ``path.with_suffix('.npz')``, the weights ``forward`` reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    layers, arrays = [], {}
    for index, layer in enumerate(model.layers):
        kind = type(layer).__name__
        config = layer.get_config()
        layers.append({"kind": kind, "activation": config.get("activation"),
                       "pool": config.get("pool_size")})
        for j, weight in enumerate(layer.get_weights()):
            arrays[f"w{index}_{j}"] = np.asarray(weight, dtype=np.float32)
    np.savez(path.with_suffix(".npz"), layers=np.array(json.dumps(layers)), **arrays)


def load_weights(path: Path) -> tuple[list[dict], dict[str, np.ndarray]]:
    """The layer list and weights ``save`` wrote (no pickle)."""
    with np.load(path) as data:  # allow_pickle is False by default
        return json.loads(str(data["layers"])), {k: data[k] for k in data.files
                                                 if k != "layers"}


def _activate(x: np.ndarray, name: str | None) -> np.ndarray:
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "softmax":
        shifted = np.exp(x - x.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)
    return x


def forward(layers: list[dict], weights: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Class probabilities for (N, 28, 28) images, layer by layer as Keras computes them
    (channels last, 'valid' convolutions, stride 1, flatten in row-major HWC order)."""
    out = x[..., None].astype(np.float32)
    for index, layer in enumerate(layers):
        kind = layer["kind"]
        if kind == "Conv2D":
            kernel, bias = weights[f"w{index}_0"], weights[f"w{index}_1"]
            size = kernel.shape[0]
            windows = np.lib.stride_tricks.sliding_window_view(out, (size, size), axis=(1, 2))
            out = _activate(np.einsum("nhwcij,ijco->nhwo", windows, kernel) + bias,
                            layer["activation"])
        elif kind == "MaxPooling2D":
            n, h, w, c = out.shape
            p = layer["pool"][0]
            out = out[:, :h - h % p, :w - w % p].reshape(n, h // p, p, w // p, p, c).max((2, 4))
        elif kind == "Flatten":
            out = out.reshape(len(out), -1)
        elif kind == "Dense":
            out = _activate(out @ weights[f"w{index}_0"] + weights[f"w{index}_1"],
                            layer["activation"])
        elif kind != "Dropout":
            raise ValueError(f"forward does not know the layer {kind}")
    return out
