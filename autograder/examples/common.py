"""What every lecture example shares: quiet Keras, the course modules, data, figures.

Examples are demonstrations for the lecture (``dltips examples``), not grading: they may
import TensorFlow, Keras and matplotlib, and nothing in the grading path imports them.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from autograder.course.contract import REPO_ROOT

SOURCE_DATA = REPO_ROOT / "source_data"


@dataclass
class ExampleResult:
    """An example's figure and the numbers behind it (what the tests check)."""

    name: str
    figure: Path
    numbers: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send what C/C++ code writes to file descriptor 2 to /dev/null for a while.

    TensorFlow's import prints a start-up banner (absl ``I0000 ...`` lines) straight to
    descriptor 2 before any log setting applies; in Jupyter that shows as red stderr output
    (and nbgrader scores a cell with stderr 0). Python exceptions are unaffected.
    """
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def keras(progress: bool = False) -> ModuleType:
    """Keras 3 on TensorFlow, imported without TensorFlow's banner and info logs.

    ``progress=False`` also turns Keras's interactive output off (progress bars and
    ``model.summary()`` print nothing); a notebook that shows summaries passes True.
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "keras" not in sys.modules:
        with native_stderr_silenced():
            import keras as keras_module
            import tensorflow
    import keras as keras_module
    import tensorflow

    tensorflow.get_logger().setLevel("ERROR")  # e.g. retracing notices on repeated predict
    if not progress:
        keras_module.config.disable_interactive_logging()
    return keras_module


def pyplot() -> ModuleType:
    """matplotlib's pyplot on the Agg backend (figures are files; no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def course_module(name: str) -> ModuleType:
    """A course module: the reference solution in the instructor's repository, the
    student's own ``assignments/<name>.py`` in the student release (no solutions)."""
    try:
        return importlib.import_module(f"solutions.{name}")
    except ModuleNotFoundError:
        return importlib.import_module(f"assignments.{name}")


def load_csv(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A numeric dataset of ``source_data/`` as ``(X, y)`` (y is the last column)."""
    path = SOURCE_DATA / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the examples run from the dltips "
                                "repository (or the student release), which holds "
                                "source_data/")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return data[:, :-1], data[:, -1]


def save(fig: Any, out_dir: Path, name: str) -> Path:
    """Write the figure as ``out_dir/name.png`` and close it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    pyplot().close(fig)
    return path


def say(text: str = "") -> None:
    """Print a line of an example's numbers (flushed, so it interleaves with progress)."""
    print(text, flush=True)


def train_epochs(model: Any, x: np.ndarray, y: np.ndarray, epochs: int, batch_size: int,
                 seed: int = 0, after_epoch: Any = None) -> list[float]:
    """Mini-batch training with ``model.train_on_batch``: the mean batch loss per epoch.

    The same steps as ``fit(x, y, batch_size, epochs)`` with shuffling, minus fit's fixed
    cost per epoch (callbacks, data adapters), which dominates on these tiny datasets: a
    demo of hundreds of epochs then takes seconds instead of minutes. ``after_epoch(model)``
    runs after each epoch (e.g. to record a validation loss).
    """
    rng = np.random.default_rng(seed)
    x, y = np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.float32)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        batch_losses = []
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            result = model.train_on_batch(x[batch], y[batch])
            batch_losses.append(float(np.ravel(result)[0]))
        losses.append(float(np.mean(batch_losses)))
        if after_epoch is not None:
            after_epoch(model)
    return losses


def digits_split(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits: flat pixels in [0, 1] and one-hot labels, 75/25 split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images.reshape(len(digits.images), -1) / 16.0).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[digits.target]
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=seed, stratify=digits.target)
    return x_train, y_train, x_test, y_test


def accuracy(model: Any, x: np.ndarray, y_onehot: np.ndarray) -> float:
    """Share of samples whose argmax prediction (inference mode) is the true class."""
    probabilities = np.asarray(model(np.asarray(x, dtype=np.float32), training=False))
    return float(np.mean(probabilities.argmax(axis=1) == np.asarray(y_onehot).argmax(axis=1)))
