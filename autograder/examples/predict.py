"""Recognise your own handwritten digit (``dltips predict IMAGE... [--model FILE]``).

A photo or scan becomes the network's input the way MNIST was made (``digit_image``), and
the label, the top-3 probabilities and a figure come out; ``--explain`` draws every step
(the input, the crop, the network's input, the top 3).

The models: by default a small CNN trained once, offline, on re-drawn font and scanned
digits (``digit_data``, ``digit_model``) and cached; ``--mnist PATH`` trains the same CNN on
a Keras-format ``mnist.npz`` instead; ``--model FILE`` takes a Keras model a student saved,
with an 8x8 (64 inputs, sklearn digits) or 28x28 (784 inputs, MNIST) input. A model file is
checked as data before Keras reads it (size, archive members, then its config: input shape,
every layer's size, ``model_check``) and loaded in Keras's safe mode; its output shape is
checked once loaded; anything refused is a ``ModelError`` of one line.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import zipfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from autograder.examples import digit_image, digit_model, model_check
from autograder.examples.digit_image import ImageError, Prepared

DEFAULT_NAME = "digits28_cnn"
MAX_MODEL_BYTES = 64 * 2**20          # a saved course model is well under 5 MB
MAX_UNPACKED_BYTES = 128 * 2**20      # all members of a .keras archive together
INPUT_SIDES = {64: 8, 784: 28}        # flat inputs -> image side
Progress = Callable[[str, int, int], None]

__all__ = ["ImageError", "ModelError", "Prediction", "default_model", "mnist_model",
           "load_model", "predict", "figure"]


class ModelError(ValueError):
    """A model file that is refused (missing, malformed, too large, wrong shapes)."""


@dataclass
class Model:
    """What ``predict`` needs of a model: its input side and a way to get probabilities."""

    side: int
    probabilities: Callable[[np.ndarray], np.ndarray]    # (N, side, side) in [0, 1] -> (N, 10)
    source: str


@dataclass
class Prediction:
    """One image's verdict: label, top-3 (label, probability) and every preparation step."""

    path: Path
    label: int
    top3: list[tuple[int, float]]
    probabilities: np.ndarray
    prepared: Prepared
    figure: Path | None = None


def default_cache_dir() -> Path:
    """``$DLTIPS_CACHE`` or ``~/.cache/dltips``."""
    return Path(os.environ.get("DLTIPS_CACHE", Path.home() / ".cache" / "dltips"))


def _from_weights(path: Path, source: str) -> Model:
    layers, weights = digit_model.load_weights(path)
    return Model(28, lambda x: digit_model.forward(layers, weights, x), source)


def _make_data(count: int, progress: Progress | None) -> tuple[np.ndarray, np.ndarray]:
    """The training digits, made in two processes started before TensorFlow is imported,
    while this process imports it (5-7 s of the first minute)."""
    from autograder.examples.common import keras
    from autograder.examples.digit_data import training_set

    parts, done = 8, 0
    share = -(-count // parts)
    # fork is cheap, but unsafe once TensorFlow's threads run (a test session, a notebook)
    method = "spawn" if "tensorflow" in sys.modules else "fork"
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context(method)) as pool:
        futures = [pool.submit(training_set, share, seed) for seed in range(parts)]
        keras()
        results = []
        for future in as_completed(futures):
            results.append(future.result())
            done += share
            if progress is not None:
                progress("drawing training digits", min(done, count), count)
    results.sort(key=lambda part: -len(part[0]))
    return (np.concatenate([x for x, _ in results])[:count],
            np.concatenate([y for _, y in results])[:count])


def default_model(cache_dir: Path | None = None, progress: Progress | None = None,
                  say: Callable[[str], None] = print) -> Model:
    """The offline default CNN: from the cache, or trained (about a minute) and cached."""
    path = (cache_dir or default_cache_dir()) / f"{DEFAULT_NAME}.keras"
    if not path.with_suffix(".npz").exists():
        x, y = _make_data(digit_model.SAMPLES, progress)
        model = digit_model.train(x, y, progress)
        digit_model.save(model, path)
        say(f"trained the default digit model on {len(x)} re-drawn font and scanned digits "
            f"({digit_model.EPOCHS} epochs), cached at {path}")
    return _from_weights(path.with_suffix(".npz"), f"the default model ({path})")


def read_mnist(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``x_train`` (N, 28, 28) in [0, 1] and ``y_train`` of a Keras-format ``mnist.npz``."""
    try:
        with np.load(path) as data:  # allow_pickle is False by default
            x, y = data["x_train"], data["y_train"]
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file") from None
    except Exception as error:  # noqa: BLE001 - any defect of the file is the file's
        raise ModelError(f"{path}: not a Keras-format mnist.npz ({error})") from None
    if x.ndim != 3 or x.shape[1:] != (28, 28) or y.shape != (len(x),) or len(x) == 0:
        raise ModelError(f"{path}: x_train must be (N, 28, 28) and y_train (N,), "
                         f"not {x.shape} and {y.shape}")
    if not (np.issubdtype(y.dtype, np.integer) and 0 <= y.min() and y.max() <= 9):
        raise ModelError(f"{path}: y_train must hold the labels 0..9")
    return (x.astype(np.float32) / max(float(x.max()), 1.0)), y.astype(np.int64)


def mnist_model(mnist: Path, cache_dir: Path | None = None, progress: Progress | None = None,
                say: Callable[[str], None] = print) -> Model:
    """The same CNN trained on a real ``mnist.npz`` (cached per file content)."""
    mnist = Path(mnist)
    if not mnist.is_file():
        raise ModelError(f"{mnist}: no such file")
    digest = hashlib.sha256(mnist.read_bytes()).hexdigest()[:12]
    path = (cache_dir or default_cache_dir()) / f"mnist_{digest}_cnn.keras"
    if not path.with_suffix(".npz").exists():
        x, y = read_mnist(mnist)
        model = digit_model.train(x, y, progress)
        digit_model.save(model, path)
        say(f"trained the digit model on {len(x)} MNIST images of {mnist} "
            f"({digit_model.EPOCHS} epochs), cached at {path}")
    return _from_weights(path.with_suffix(".npz"), f"the MNIST model ({path})")


def _check_archive(path: Path) -> Any:
    """A ``.keras`` file is a zip with config.json: check it as data before Keras opens it;
    returns the parsed config."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
                raise ModelError(f"{path}: unpacks to more than "
                                 f"{MAX_UNPACKED_BYTES >> 20} MB; not a course model")
            return json.loads(archive.read("config.json"))
    except ModelError:
        raise
    except Exception as error:  # noqa: BLE001
        raise ModelError(f"{path}: not a saved Keras model ({_first_line(error)})") from None


def _h5_config(path: Path) -> Any:
    """A legacy ``.h5`` model's config (its ``model_config`` attribute), read as data."""
    try:
        import h5py

        with h5py.File(path, "r") as handle:
            text = handle.attrs["model_config"]
        return json.loads(text.decode("utf-8") if isinstance(text, bytes) else str(text))
    except Exception as error:  # noqa: BLE001
        raise ModelError(f"{path}: not a saved Keras model ({_first_line(error)})") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__


def _input_side(model: Any, path: Path) -> int:
    """8 or 28 from the model's input shape; anything else is refused."""
    shape = tuple(model.input_shape[1:]) if not isinstance(model.input_shape, list) else None
    output = model.output_shape
    if shape in ((64,), (784,)):
        side = INPUT_SIDES[shape[0]]
    elif shape in ((8, 8), (8, 8, 1), (28, 28), (28, 28, 1)):
        side = shape[0]
    else:
        raise ModelError(f"{path}: the model takes input {shape}; dltips predict feeds 8x8 "
                         "(64) or 28x28 (784) grayscale digits")
    if isinstance(output, list) or tuple(output[1:]) != (10,):
        raise ModelError(f"{path}: the model outputs {output}; a digit model outputs 10 "
                         "probabilities")
    return side


def load_model(path: Path) -> Model:
    """A Keras model a student saved (``.keras``, or a legacy ``.h5``), checked first."""
    from autograder.examples.common import keras

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise ModelError(f"{path}: {path.stat().st_size >> 20} MB is too large for a course "
                         f"model (at most {MAX_MODEL_BYTES >> 20} MB)")
    if path.suffix not in (".keras", ".h5"):
        raise ModelError(f"{path}: give a model saved with model.save('name.keras')")
    config = _check_archive(path) if path.suffix == ".keras" else _h5_config(path)
    try:
        model_check.check_config(config)  # before Keras allocates a single layer
    except model_check.ConfigError as error:
        raise ModelError(f"{path}: {error}") from None
    try:
        model = keras().models.load_model(path, compile=False)  # safe mode: no code runs
    except Exception as error:  # noqa: BLE001 - a hostile file must not crash the command
        raise ModelError(f"{path}: Keras cannot load it ({_first_line(error)})") from None
    side = _input_side(model, path)
    shape = (-1, *model.input_shape[1:])

    def probabilities(x: np.ndarray) -> np.ndarray:
        return np.asarray(model.predict(x.reshape(shape).astype(np.float32), verbose=0))

    return Model(side, probabilities, str(path))


def predict(model: Model, image: Path) -> Prediction:
    """Read, prepare and classify one image file."""
    prepared = digit_image.prepare(digit_image.read_gray(Path(image)), model.side)
    probabilities = np.asarray(model.probabilities(prepared.pixels[None]))[0]
    probabilities = probabilities.astype(np.float64)
    order = np.argsort(probabilities)[::-1][:3]
    return Prediction(Path(image), int(order[0]),
                      [(int(i), float(probabilities[i])) for i in order], probabilities,
                      prepared)


def figure(prediction: Prediction, out_dir: Path, explain: bool = False) -> Path:
    """The input, (with ``explain``) the crop, the network's input, and the probabilities."""
    from autograder.examples.common import pyplot, save

    plt = pyplot()
    prepared = prediction.prepared
    panels = 4 if explain else 3
    fig, axes = plt.subplots(1, panels, figsize=(2.1 * panels + 0.6, 2.6),
                             gridspec_kw={"width_ratios": [1] * (panels - 1) + [1.5]})
    pictures = [(prepared.gray, "your image", {"vmin": 0, "vmax": 255})]
    if explain:
        crop_title = "crop" + (", inverted" if prepared.inverted else "")
        pictures.append((prepared.crop, crop_title, {"vmin": 0, "vmax": 1}))
    side = prepared.pixels.shape[0]
    pictures.append((prepared.pixels, f"network input {side}x{side}", {"vmin": 0, "vmax": 1}))
    for ax, (pixels, title, scale) in zip(axes, pictures, strict=False):
        ax.imshow(pixels, cmap="gray", **scale)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    _top3_bars(axes[-1], prediction)
    fig.tight_layout()
    return save(fig, out_dir, f"{prediction.path.stem}_prediction")


def _top3_bars(ax: Any, prediction: Prediction) -> None:
    labels = [str(d) for d, _ in prediction.top3][::-1]
    values = [p for _, p in prediction.top3][::-1]
    colors = ["steelblue", "steelblue", "seagreen"]
    ax.barh(labels, values, color=colors)
    for y, value in enumerate(values):
        inside = value > 0.7        # a long bar carries its label inside, in white
        ax.text(value - 0.02 if inside else value + 0.02, y, f"{100 * value:.1f} %",
                va="center", ha="right" if inside else "left", fontsize=8,
                color="white" if inside else "black")
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability", fontsize=8)
    ax.set_ylabel("top 3", fontsize=8)
    ax.set_title(f"predicted {prediction.label}", fontsize=9)
