"""Recognise your own handwritten digit (``dltips predict IMAGE... [--model FILE]``).

A photo or scan (PNG, JPEG) becomes the model's input the way the training images were
made: grayscale, inverted when the background is light (the datasets have light ink on a
dark background), cropped to the ink, padded to a square, resized (8x8 for the offline
digits, a 20x20 digit centred in 28x28 for MNIST) and scaled to the dataset's pixel range.
The label, the top-3 probabilities and a figure of the input beside its probabilities come
out. Without ``--model``, the lecture network is trained once on the offline 8x8 digits
with ``mnist_classifier`` and cached.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograder.examples.common import course_module, keras, pyplot, save

INK_THRESHOLD = 0.1      # of the brightest pixel: what counts as ink when cropping
CACHE_NAME = "digits_lecture_mlp.keras"
CACHE_EPOCHS = 30


class ImageError(ValueError):
    """An image that cannot be read or holds no ink."""


@dataclass
class Prediction:
    """One image's verdict: label, top-3 (label, probability) and the model input."""

    path: Path
    label: int
    top3: list[tuple[int, float]]
    probabilities: np.ndarray
    pixels: np.ndarray          # (side, side), scaled to [0, max_value]
    figure: Path | None = None


def default_cache_dir() -> Path:
    """``$DLTIPS_CACHE`` or ``~/.cache/dltips``."""
    return Path(os.environ.get("DLTIPS_CACHE", Path.home() / ".cache" / "dltips"))


def read_gray(path: Path) -> np.ndarray:
    """The image as float grayscale in [0, 255] (alpha flattened onto white)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            if image.mode in ("RGBA", "LA") or "transparency" in image.info:
                background = Image.new("RGBA", image.size, "white")
                image = Image.alpha_composite(background, image.convert("RGBA"))
            return np.asarray(image.convert("L"), dtype=np.float64)
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError) as error:
        raise ImageError(f"{path}: not a readable PNG or JPEG image ({error})") from None


def to_input(gray: np.ndarray, side: int, max_value: float) -> np.ndarray:
    """A grayscale image as a (side, side) digit scaled to [0, max_value].

    ``side`` 8: the digit fills the frame, like scikit-learn's digits; ``side`` 28: the
    digit fits a 20x20 box centred in the frame, like MNIST.
    """
    from PIL import Image

    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    light = border.mean() > 127.5  # dark ink on paper: invert to light ink on black
    ink = 255.0 - gray if light else gray
    background = np.median(255.0 - border if light else border)
    ink = np.clip(ink - background, 0.0, None)  # the paper's own grey is not ink
    if ink.max() <= 0:
        raise ImageError("the image holds no ink (it is one flat colour)")
    rows, cols = np.nonzero(ink >= INK_THRESHOLD * ink.max())
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    size = max(crop.shape)
    square = np.zeros((size, size))
    top, left = (size - crop.shape[0]) // 2, (size - crop.shape[1]) // 2
    square[top:top + crop.shape[0], left:left + crop.shape[1]] = crop
    box = side if side < 20 else 20
    picture = Image.fromarray(np.uint8(np.round(255 * square / square.max())))
    small = np.asarray(picture.resize((box, box), Image.Resampling.BOX), dtype=np.float64)
    frame = np.zeros((side, side))
    offset = (side - box) // 2
    frame[offset:offset + box, offset:offset + box] = small
    return frame / frame.max() * max_value


def lecture_model(cache_dir: Path | None = None, say: Any = print) -> tuple[Any, float]:
    """The lecture network trained on the offline digits: loaded from the cache, or trained
    (``build_model(64)``, ``train_model(..., epochs=30)``) and saved there.
    Returns (model, max_value of its inputs)."""
    k = keras()
    path = (cache_dir or default_cache_dir()) / CACHE_NAME
    if path.exists():
        say(f"using the cached lecture model {path}")
        return k.models.load_model(path), 16.0
    mc = course_module("mnist_classifier")
    (x_train, y_train), (x_test, y_test) = mc.load_digits_dataset()
    x, y = mc.preprocess(x_train, y_train, max_value=16.0)
    k.utils.set_random_seed(0)
    model = mc.build_model(64)
    mc.train_model(model, x, y, epochs=CACHE_EPOCHS)
    predicted = mc.predict_digits(model, x_test, max_value=16.0)
    accuracy = float(np.mean(predicted == y_test))
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    say(f"trained the lecture model on the 8x8 digits ({CACHE_EPOCHS} epochs, test accuracy "
        f"{100 * accuracy:.1f} %), cached at {path}")
    return model, 16.0


def load_model(path: Path) -> tuple[Any, float]:
    """A saved Keras model (``.keras``) and the pixel scale its input size implies."""
    if not Path(path).exists():
        raise ImageError(f"{path}: no such model file")
    model = keras().models.load_model(path)  # safe mode: no arbitrary code from the file
    return model, (16.0 if model.input_shape[-1] == 64 else 255.0)


def predict(model: Any, image: Path, max_value: float) -> Prediction:
    """Read, prepare and classify one image file."""
    inputs = int(model.input_shape[-1])
    side = int(round(inputs**0.5))
    if side * side != inputs:
        raise ImageError(f"the model takes {inputs} inputs, not a square image")
    pixels = to_input(read_gray(Path(image)), side, max_value)
    x = (pixels.reshape(1, -1) / max_value).astype(np.float32)
    probabilities = np.asarray(model.predict(x, verbose=0))[0].astype(np.float64)
    order = np.argsort(probabilities)[::-1][:3]
    return Prediction(Path(image), int(order[0]),
                      [(int(i), float(probabilities[i])) for i in order], probabilities,
                      pixels)


def figure(prediction: Prediction, gray: np.ndarray, out_dir: Path) -> Path:
    """The photo, the model's input and the probability of each digit, side by side."""
    plt = pyplot()
    fig, (photo, seen, bars) = plt.subplots(1, 3, figsize=(11, 3.4),
                                            gridspec_kw={"width_ratios": [1, 1, 1.6]})
    photo.imshow(gray, cmap="gray", vmin=0, vmax=255)
    photo.set_title(prediction.path.name)
    seen.imshow(prediction.pixels, cmap="gray")
    seen.set_title(f"model input {prediction.pixels.shape[0]}x{prediction.pixels.shape[1]}")
    for ax in (photo, seen):
        ax.axis("off")
    colors = ["seagreen" if d == prediction.label else "steelblue" for d in range(10)]
    bars.bar(range(10), prediction.probabilities, color=colors)
    bars.set_xticks(range(10))
    bars.set_ylim(0, 1)
    bars.set_xlabel("digit")
    bars.set_ylabel("probability")
    bars.set_title(f"predicted {prediction.label} ({100 * prediction.top3[0][1]:.1f} %)")
    fig.tight_layout()
    return save(fig, out_dir, f"{prediction.path.stem}_prediction")
