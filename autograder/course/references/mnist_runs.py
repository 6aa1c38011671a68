"""The grader's own training runs of the MNIST module's networks, cached in ``mnist_runs.npz``.

The hidden mnist suite sends ``train_model`` a model of its own (the reference config) with
initial weights it drew itself, and checks that what comes back is what ``model.fit`` gives
from exactly those weights on exactly that data under the worker's call seed
(``KERAS_CALL_SEED``): the same trained weights and the same per-epoch history. Training
it on the trusted side for every student would cost a TensorFlow import and a training
run there, so the runs are made once with the reference solution and cached, like
``keras_refs.npz``; ``tests/test_mnist_runs.py`` trains them again live and checks the
cache. Also cached: the configs of the reference models that the suite compares a
student's architecture with (read as data, never rebuilt).

    python -m autograder.course.references.mnist_runs     # rewrites mnist_runs.npz

A run repeats the worker's order (``autograder/sandbox/worker/keras_bridge.py``): seed,
rebuild the sent model from its config, set its weights, then ``train_model``. With
TensorFlow's deterministic ops the result does not depend on the thread count or on
oneDNN (measured: bit-identical); a new TensorFlow or Keras version may train otherwise,
so the cache records the versions it was made with.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograder.grading.testing import KERAS_CALL_SEED

CACHE = Path(__file__).resolve().with_name("mnist_runs.npz")

# The lecture network trained for the accuracy test: epochs as the contract states them.
# 10, not the lecture's 20: over 20 seeds the held-out accuracy after 10 epochs is 95.3 %
# at worst (median 96.9 %), after 20 epochs 96.2 % (median 97.6 %); half the training
# time of every grading run for the same check (benchmarks/bench_mnist.py --epochs 10).
ACCURACY_EPOCHS = 10
SMALL_NETWORK = {"input_dim": 64, "hidden_units": (32,), "dropout_rate": 0.0}

# name -> (build_model arguments, train_model arguments): the runs the grader trains itself.
RUNS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "lecture": ({"input_dim": 64}, {"epochs": ACCURACY_EPOCHS}),
    "small_fit": (SMALL_NETWORK, {"epochs": 3, "batch_size": 64, "validation_split": 0.2}),
    "small_defaults": (SMALL_NETWORK, {}),
}
# name -> build_model arguments: reference models compared as configs only.
CONFIGS: dict[str, dict[str, Any]] = {
    "lecture_784": {"input_dim": 784},
    "options_bn_l2": {"input_dim": 64, "num_classes": 3, "hidden_units": (32, 16),
                      "dropout_rate": 0.0, "batch_norm": True, "l2": 0.01,
                      "learning_rate": 0.005},
    "options_dropout": {"input_dim": 64, "hidden_units": (8,), "dropout_rate": 0.5,
                        "l2": 0.001},
    "options_softmax_regression": {"input_dim": 20, "hidden_units": (), "num_classes": 4},
    "predict_64": {"input_dim": 64, "hidden_units": (16,), "dropout_rate": 0.0},
    "predict_784": {"input_dim": 784, "hidden_units": (16,), "dropout_rate": 0.0},
}
WEIGHT_SEED = 15  # the grader's initial weights (a numpy generator, no Keras)


@dataclass(frozen=True)
class Run:
    """A reference model: its config, and for a training run the weights the grader sends,
    the trained weights and the history that ``train_model`` gives from them."""

    config: str
    initial: tuple[np.ndarray, ...] = ()
    trained: tuple[np.ndarray, ...] = ()
    history: dict[str, np.ndarray] | None = None


# ----- scikit-learn's answers, cached like the runs ----------------------------------------
# The splits load_digits_dataset must return (test_size, seed), and the confusion-matrix
# cases: computed with live scikit-learn by ``generate`` and ``tests/test_mnist_runs.py``,
# read from the cache by the hidden suite, so that a grading run imports no scikit-learn
# (0.7 s of every student's grading).
SPLITS = ((0.25, 0), (0.2, 3))
SPLIT_PARTS = ("x_train", "y_train", "x_test", "y_test")


def live_digits_split(test_size: float, seed: int) -> tuple[np.ndarray, ...]:
    """scikit-learn's 8x8 digits split with train_test_split (stratified), as uint8 arrays
    (x_train, y_train, x_test, y_test): what load_digits_dataset returns."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        data.images, data.target, test_size=test_size, random_state=seed,
        stratify=data.target)
    return tuple(a.astype(np.uint8) for a in (x_train, y_train, x_test, y_test))


def confusion_cases() -> list[tuple[np.ndarray, np.ndarray, int]]:
    """(y_true, y_pred, num_classes) for the hidden confusion_matrix test: 300 labels of 10
    classes, 70 % right, and 6 labels of 4 classes, class 2 never seen."""
    rng = np.random.default_rng(21)
    y_true = rng.integers(0, 10, 300)
    y_pred = np.where(rng.random(300) < 0.7, y_true, rng.integers(0, 10, 300))
    return [(y_true, y_pred, 10),
            (np.array([0, 1, 1, 3, 3, 3]), np.array([0, 3, 1, 3, 0, 1]), 4)]


def live_confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y_true, y_pred, labels=np.arange(classes))


def scikit_learn_answers() -> dict[str, np.ndarray]:
    """The cache entries of scikit-learn's answers, computed live."""
    out = {}
    for test_size, seed in SPLITS:
        out.update({f"split/{test_size}/{seed}/{part}": array for part, array
                    in zip(SPLIT_PARTS, live_digits_split(test_size, seed), strict=True)})
    for i, (y_true, y_pred, classes) in enumerate(confusion_cases()):
        out[f"confusion/{i}"] = live_confusion(y_true, y_pred, classes)
    return out


@functools.cache
def _cached(path: Path = CACHE) -> dict[str, np.ndarray]:
    """Every array of the cache, read once per process (never unpickles); read-only, as
    every grading of the process shares them."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    for array in arrays.values():
        array.setflags(write=False)
    return arrays


def digits_split(test_size: float, seed: int) -> tuple[np.ndarray, ...]:
    """The cached ``live_digits_split(test_size, seed)`` (one of SPLITS)."""
    answers = _cached()
    return tuple(answers[f"split/{test_size}/{seed}/{part}"].copy() for part in SPLIT_PARTS)


def confusion_answers() -> list[np.ndarray]:
    """The cached scikit-learn confusion matrices of ``confusion_cases()``, in order."""
    answers = _cached()
    return [answers[f"confusion/{i}"].copy() for i in range(len(confusion_cases()))]


# ----- the grader's data and initial weights ---------------------------------------------
@functools.cache
def digits(live: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 8x8 digits split as load_digits_dataset's defaults split them, scaled here:
    (x_train float32 (1347, 64), one-hot y_train, x_test float32 (450, 64), labels y_test).
    From the cache, or from live scikit-learn (``live``: when the cache is made)."""
    x_train, y_train, x_test, y_test = (live_digits_split if live else digits_split)(0.25, 0)
    flat = [(a.reshape(len(a), -1).astype(np.float32) / np.float32(16.0))
            for a in (x_train, x_test)]
    return flat[0], np.eye(10, dtype=np.float32)[y_train], flat[1], y_test.astype(np.int64)


def initial_weights(shapes: list[tuple[int, ...]], seed: int = WEIGHT_SEED) -> tuple:
    """Glorot-uniform kernels and zero biases, as Keras initialises the lecture's Dense
    layers, but drawn here so that the grader knows them."""
    rng = np.random.default_rng(seed)
    weights = []
    for shape in shapes:
        if len(shape) == 2:
            limit = np.sqrt(6.0 / (shape[0] + shape[1]))
            weights.append(rng.uniform(-limit, limit, shape).astype(np.float32))
        else:
            weights.append(np.zeros(shape, np.float32))
    return tuple(weights)


# ----- the cache ---------------------------------------------------------------------------
def load(path: Path = CACHE) -> dict[str, Run]:
    """The cached runs and configs by name (never unpickles). The initial weights are
    drawn again from WEIGHT_SEED rather than stored."""
    data = _cached(path)
    runs = {}
    for name in [*RUNS, *CONFIGS]:
        def arrays(field: str, name: str = name) -> tuple[np.ndarray, ...]:
            count = sum(1 for key in data if key.startswith(f"{name}/{field}/"))
            return tuple(data[f"{name}/{field}/{i}"] for i in range(count))
        history = {key.split("/")[-1]: value for key, value in data.items()
                   if key.startswith(f"{name}/history/")}
        trained = arrays("trained")
        initial = initial_weights([w.shape for w in trained]) if trained else ()
        runs[name] = Run(str(data[f"{name}/config"]), initial, trained, history or None)
    return runs


def versions() -> str:
    """The TensorFlow and Keras versions installed here, as the cache records them."""
    import importlib.metadata as metadata

    return f"tensorflow {metadata.version('tensorflow')}, keras {metadata.version('keras')}"


def cached_versions(path: Path = CACHE) -> str:
    with np.load(path, allow_pickle=False) as npz:
        return str(npz["versions"])


def generate() -> dict[str, np.ndarray]:
    """Every run and config, computed with the reference solution and live Keras."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tensorflow as tf

    from solutions import mnist_classifier as reference

    tf.config.experimental.enable_op_determinism()
    keras.config.disable_interactive_logging()
    out: dict[str, np.ndarray] = {"versions": np.array(versions()), **scikit_learn_answers()}
    x, y, _, _ = digits(live=True)
    for name, (build, fit) in RUNS.items():
        config = reference.build_model(**build).to_json()
        shapes = [tuple(w.shape) for w in reference.build_model(**build).get_weights()]
        initial = initial_weights(shapes)
        keras.utils.set_random_seed(KERAS_CALL_SEED)  # the worker's order: seed, rebuild,
        model = keras.models.model_from_json(config)  # set the weights, call
        model.set_weights(list(initial))
        history = reference.train_model(model, x, y, **fit)
        out[f"{name}/config"] = np.array(config)
        out.update({f"{name}/trained/{i}": np.asarray(w)
                    for i, w in enumerate(model.get_weights())})
        out.update({f"{name}/history/{key}": np.asarray(values, dtype=np.float64)
                    for key, values in history.history.items()})
    for name, build in CONFIGS.items():
        out[f"{name}/config"] = np.array(reference.build_model(**build).to_json())
    return out


def config_of(run: Run) -> dict[str, Any]:
    return json.loads(run.config)


def main() -> None:
    np.savez_compressed(CACHE, **generate())
    print(f"wrote {CACHE} ({versions()})")


if __name__ == "__main__":
    main()
