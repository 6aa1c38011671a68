"""Hidden suite for ``mnist_classifier``: data loading against scikit-learn and a file the
grader writes, preprocessing against Keras, the network's architecture and compile
settings read from its config, training, the accuracy the lecture network reaches on
held-out digits (measured here, on the grader's side), predictions and the confusion
matrix against scikit-learn (20 points).

The submission runs in the ``keras`` worker profile (TensorFlow visible, its own limits).
Models and histories come back as config + weights (``autograder/course/suites/keras_models.py``):
nothing the worker says about accuracy or predictions is believed, the grader rebuilds the
model and measures it. Keras and scikit-learn are imported only after a student call has
returned, so a missing or unimplemented module costs no TensorFlow start-up here.
"""

from __future__ import annotations

import functools
import io
import time
from typing import Any

import numpy as np
import pytest

from autograder.course.suites import as_array, keras_models, unpack
from autograder.grading.testing import check_close, check_equal, check_raises

pytestmark = pytest.mark.module("mnist_classifier")

MNIST_FILE = "grader_data/mnist_small.npz"
BROKEN_FILE = "grader_data/not_mnist.npz"
ACCURACY_EPOCHS = 20
ACCURACY_TARGET = 0.95
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def session_files() -> dict[str, bytes]:
    """A small Keras-format mnist.npz with fresh random digits each grading run, and an
    npz that lacks y_test: written into the worker's copy before it starts."""
    rng = np.random.default_rng()
    arrays = {"x_train": rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 12, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 5, dtype=np.uint8)}
    broken = {k: v for k, v in arrays.items() if k != "y_test"}
    return {MNIST_FILE: _npz_bytes(arrays), BROKEN_FILE: _npz_bytes(broken)}


@functools.cache
def _digits_split(test_size: float, seed: int) -> tuple:
    """What load_digits_dataset must return, straight from scikit-learn."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.images, digits.target, test_size=test_size, random_state=seed,
        stratify=digits.target)
    return tuple(a.astype(np.uint8) for a in (x_train, y_train, x_test, y_test))


def _trusted_xy(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The grader's own scaling of the digits (never the submission's preprocess)."""
    x = images.reshape(len(images), -1).astype(np.float32) / np.float32(16.0)
    return x, np.eye(10, dtype=np.float32)[labels]


def _split_parts(value: Any, what: str) -> list[Any]:
    train, test = unpack(value, 2, what)
    return [*unpack(train, 2, f"{what}[0]"), *unpack(test, 2, f"{what}[1]")]


def _check_arrays(label: str, got: list[Any], want: list[np.ndarray]) -> None:
    for name, g, w in zip(MNIST_KEYS, got, want, strict=True):
        array = as_array(g, f"{label}: {name}", w.shape)
        check_equal(f"{label}: dtype of {name}", str(np.asarray(g).dtype), str(w.dtype))
        check_close(f"{label}: {name}", array, w, rtol=0, atol=0)


# ----- data ----------------------------------------------------------------------------
@pytest.mark.points(2)
@pytest.mark.functions("load_digits_dataset")
def test_load_digits_dataset(student):
    """load_digits_dataset is scikit-learn's 8x8 digits split with train_test_split
    (stratified), as uint8 arrays, for the defaults and for test_size=0.2, seed=3."""
    for kwargs in ({}, {"test_size": 0.2, "seed": 3}):
        got = _split_parts(student.load_digits_dataset(**kwargs), "load_digits_dataset")
        want = _digits_split(kwargs.get("test_size", 0.25), kwargs.get("seed", 0))
        _check_arrays(f"load_digits_dataset({', '.join(f'{k}={v}' for k, v in kwargs.items())})",
                      got, list(want))


@pytest.mark.points(2)
@pytest.mark.functions("load_mnist")
def test_load_mnist_reads_a_local_file(student, session_files):
    """load_mnist(path) returns the four arrays of a Keras-format mnist.npz as stored; a
    missing file raises FileNotFoundError, a file without y_test ValueError."""
    got = _split_parts(student.load_mnist(MNIST_FILE), "load_mnist")
    with np.load(io.BytesIO(session_files[MNIST_FILE]), allow_pickle=False) as data:
        want = [data[key] for key in MNIST_KEYS]
    _check_arrays(f"load_mnist({MNIST_FILE!r})", got, want)
    check_raises("FileNotFoundError", student.load_mnist, "grader_data/no_such_file.npz")
    check_raises("ValueError", student.load_mnist, BROKEN_FILE)


@pytest.mark.points(2)
@pytest.mark.functions("preprocess")
def test_preprocess(student, reference):
    """preprocess flattens and scales to float32 and one-hot encodes like Keras's
    to_categorical: MNIST-sized uint8 images, 8x8 digits with max_value=16, flat inputs with
    3 classes; bad labels and mismatched lengths raise ValueError."""
    rng = np.random.default_rng(11)
    cases = [
        ((rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), rng.integers(0, 10, 6)), {}),
        ((rng.integers(0, 17, (7, 8, 8), dtype=np.uint8), rng.integers(0, 10, 7)),
         {"max_value": 16.0}),
        ((rng.uniform(0, 2, (5, 4)), np.array([0, 2, 1, 2, 0])),
         {"num_classes": 3, "max_value": 2.0}),
    ]
    for (images, labels), kwargs in cases:
        x, y = unpack(student.preprocess(images, labels, **kwargs), 2, "preprocess")
        label = f"preprocess of images {images.shape}" + "".join(
            f", {k}={v}" for k, v in kwargs.items())
        want_x, want_y = reference.preprocess(images, labels, **kwargs)
        check_equal(f"{label}: dtype of x", str(np.asarray(x).dtype), "float32")
        check_equal(f"{label}: dtype of y", str(np.asarray(y).dtype), "float32")
        unscaled = images.reshape(len(images), -1).astype(np.float32)
        check_close(f"{label}: x", x, want_x, rtol=1e-6, atol=0,
                    mistakes={"preprocess_unscaled": unscaled})
        check_close(f"{label}: y (one-hot labels)", y, want_y, rtol=0, atol=0)
    images, labels = cases[0][0]
    check_raises("ValueError", student.preprocess, images, np.full(6, 10))
    check_raises("ValueError", student.preprocess, images, labels[:4])


# ----- the network ---------------------------------------------------------------------
def _check_same_network(label: str, got: keras_models.ReturnedModel,
                        want: keras_models.ReturnedModel) -> None:
    """Layers and compile settings as the config states them, then the weight shapes."""
    keras_models.check_allowed(got.config, label)
    got_layers = keras_models.layer_summary(got.config, label)
    want_layers = keras_models.layer_summary(want.config, label)
    for i, (g, w) in enumerate(zip(got_layers, want_layers, strict=False)):
        if g != w:
            raise AssertionError(f"`{label}`: layer {i} should be {w}, got {g}")
    check_equal(f"{label}: number of layers", len(got_layers), len(want_layers))
    got_compile = keras_models.compile_summary(got.config)
    want_compile = keras_models.compile_summary(want.config)
    for key in ("optimizer", "loss", "metrics"):
        check_equal(f"{label}: compiled {key}", got_compile[key], want_compile[key])
    check_close(f"{label}: Adam's learning_rate", got_compile["learning_rate"],
                want_compile["learning_rate"], rtol=1e-6)
    check_equal(f"{label}: weight shapes", [w.shape for w in got.weights],
                [w.shape for w in want.weights])


def _reference_model(reference, *args: Any, **kwargs: Any) -> keras_models.ReturnedModel:
    return keras_models.trusted_model(reference.build_model(*args, **kwargs))


@pytest.mark.points(2)
@pytest.mark.functions("build_model")
def test_build_model_is_the_lecture_network(student, reference):
    """build_model(784) with the defaults: Input(784), five Dense(256, relu, glorot_uniform)
    each followed by Dropout(0.2), Dense(10, softmax); Adam(0.001),
    categorical_crossentropy, accuracy."""
    got = keras_models.returned_model(student.build_model(784), "build_model")
    _check_same_network("build_model(784)", got, _reference_model(reference, 784))


@pytest.mark.points(1.5)
@pytest.mark.functions("build_model")
def test_build_model_options(student, reference):
    """build_model's options: hidden widths, BatchNormalization after each hidden Dense,
    L2 on the hidden kernels, no Dropout at rate 0, the number of classes, the learning
    rate; and a softmax regression (no hidden layer)."""
    for args, kwargs in [
        ((64,), {"num_classes": 3, "hidden_units": (32, 16), "dropout_rate": 0.0,
                 "batch_norm": True, "l2": 0.01, "learning_rate": 0.005}),
        ((64,), {"hidden_units": (8,), "dropout_rate": 0.5, "l2": 0.001}),
        ((20,), {"hidden_units": (), "num_classes": 4}),
    ]:
        label = f"build_model(input_dim={args[0]}" + "".join(
            f", {k}={v}" for k, v in kwargs.items()) + ")"
        got = keras_models.returned_model(student.build_model(*args, **kwargs), label)
        _check_same_network(label, got, _reference_model(reference, *args, **kwargs))


@pytest.mark.points(0.5)
@pytest.mark.functions("build_model")
def test_build_model_rejects_bad_arguments(student):
    """build_model raises ValueError for dropout_rate=1, l2<0 and learning_rate=0."""
    for bad in ({"dropout_rate": 1.0}, {"l2": -0.1}, {"learning_rate": 0.0}):
        check_raises("ValueError", student.build_model, 64, **bad)


# ----- training and accuracy -----------------------------------------------------------
def _check_history(label: str, got: keras_models.ReturnedHistory, epochs: int,
                   steps: int) -> None:
    check_equal(f"{label}: history.history keys", sorted(got.history),
                ["accuracy", "loss", "val_accuracy", "val_loss"])
    for key, values in got.history.items():
        check_equal(f"{label}: number of {key!r} values", len(values), epochs)
    check_equal(f"{label}: history.params['epochs']", got.params.get("epochs"), epochs)
    check_equal(f"{label}: history.params['steps'] (batches per epoch: batch_size and "
                "validation_split at work)", got.params.get("steps"), steps)
    if got.model is None:
        raise AssertionError(f"`{label}`: the History carries no model (return what "
                             "model.fit returns)")


@pytest.mark.points(3)
@pytest.mark.functions("train_model")
def test_train_model(student, reference):
    """train_model fits the model it is given (the grader's small network): per-epoch
    loss, accuracy, val_loss and val_accuracy; epochs, batch_size and validation_split
    used (3 epochs of 64 with 20 % held out, then the defaults 5, 128, 10 %); the same
    architecture comes back with trained weights and a falling loss."""
    student._require_import()  # before TensorFlow starts here for the grader's model
    x_train, y_train, _, _ = _digits_split(0.25, 0)
    x, y = _trusted_xy(x_train, y_train)
    for kwargs, epochs, steps in [
        ({"epochs": 3, "batch_size": 64, "validation_split": 0.2}, 3,
         keras_models.fit_steps(len(x), 64, 0.2)),
        ({}, 5, keras_models.fit_steps(len(x), 128, 0.1)),
    ]:
        label = "train_model(model, x, y" + "".join(f", {k}={v}" for k, v in kwargs.items()) + ")"
        sent = _reference_model(reference, 64, hidden_units=(32,), dropout_rate=0.0)
        got = keras_models.returned_history(
            student.train_model(sent.as_argument(), x, y, **kwargs), label)
        _check_history(label, got, epochs, steps)
        _check_same_network(f"the model trained by {label}", got.model, sent)
        moved = max(float(np.max(np.abs(g - s))) for g, s in zip(got.model.weights,
                                                                   sent.weights, strict=True))
        if moved == 0.0:
            raise AssertionError(f"`{label}`: the returned model's weights are unchanged")
        if not got.history["loss"][-1] < got.history["loss"][0]:
            raise AssertionError(f"`{label}`: the training loss did not fall "
                                 f"({got.history['loss'][0]:.4f} -> "
                                 f"{got.history['loss'][-1]:.4f})")


@pytest.mark.points(3)
@pytest.mark.functions("build_model", "train_model")
def test_lecture_network_accuracy_on_digits(student):
    """build_model(64) trained by train_model for 20 epochs on the 8x8 digits reaches at
    least 95 % accuracy on 450 held-out digits, measured by the grader on the returned
    model, within the call time limit."""
    built = keras_models.returned_model(student.build_model(64), "build_model(64)")
    x_train, y_train, x_test, y_test = _digits_split(0.25, 0)
    x, y = _trusted_xy(x_train, y_train)
    started = time.monotonic()
    label = f"train_model(build_model(64), x, y, epochs={ACCURACY_EPOCHS})"
    history = keras_models.returned_history(
        student.train_model(built.as_argument(), x, y, epochs=ACCURACY_EPOCHS), label)
    seconds = time.monotonic() - started
    if history.model is None:
        raise AssertionError(f"`{label}`: the History carries no model (return what "
                             "model.fit returns)")
    model = keras_models.rebuild(history.model, label)
    x_test_flat, _ = _trusted_xy(x_test, y_test)
    accuracy = float(np.mean(keras_models.predicted_labels(model, x_test_flat) == y_test))
    if accuracy < ACCURACY_TARGET:
        raise AssertionError(
            f"`{label}`: the trained network classifies {100 * accuracy:.1f} % of the "
            f"held-out digits correctly (measured by the grader), below the required "
            f"{100 * ACCURACY_TARGET:.0f} % (training took {seconds:.1f} s)")


# ----- predictions ---------------------------------------------------------------------
def _random_model(reference, input_dim: int, seed: int) -> Any:
    """A small network with large random weights: its predictions vary from image to image."""
    model = reference.build_model(input_dim, hidden_units=(16,), dropout_rate=0.0)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 1.5, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    return model


@pytest.mark.points(2)
@pytest.mark.functions("predict_digits")
def test_predict_digits(student, reference):
    """predict_digits returns the argmax of the model's probabilities for a batch of raw
    images (an int array) and for one image (a Python int): 8x8 digits with
    max_value=16, 28x28 images with the default 255; a size mismatch raises ValueError."""
    student._require_import()  # before TensorFlow starts here for the grader's model
    _, _, x_test, _ = _digits_split(0.25, 0)
    mnist_like = np.random.default_rng(5).integers(0, 256, (30, 28, 28), dtype=np.uint8)
    for images, kwargs, input_dim in [(x_test[:60], {"max_value": 16.0}, 64),
                                      (mnist_like, {}, 784)]:
        model = _random_model(reference, input_dim, seed=input_dim)
        data = keras_models.model_data(model)
        scale = kwargs.get("max_value", 255.0)
        want = keras_models.predicted_labels(
            model, images.reshape(len(images), -1).astype(np.float32) / np.float32(scale))
        label = f"predict_digits on {len(images)} images of {images.shape[1:]}"
        got = student.predict_digits(data, images, **kwargs)
        check_equal(f"{label}: dtype kind", np.asarray(got).dtype.kind in "iu", True)
        check_close(label, as_array(got, label, want.shape), want, rtol=0, atol=0)
        single = student.predict_digits(data, images[7], **kwargs)
        check_equal(f"predict_digits on one image {images.shape[1:]}", single, int(want[7]))
    # The last model takes 784 inputs: 8x8 digits do not fit it.
    check_raises("ValueError", student.predict_digits, data, x_test[:3])


# ----- evaluation ----------------------------------------------------------------------
@pytest.mark.points(2)
@pytest.mark.functions("confusion_matrix")
def test_confusion_matrix(student):
    """confusion_matrix equals scikit-learn's (rows true, columns predicted) for 10 classes
    and for 4 classes with one never seen; it is an integer array; lengths that differ
    raise ValueError."""
    rng = np.random.default_rng(21)
    y_true = rng.integers(0, 10, 300)
    y_pred = np.where(rng.random(300) < 0.7, y_true, rng.integers(0, 10, 300))
    few_true, few_pred = np.array([0, 1, 1, 3, 3, 3]), np.array([0, 3, 1, 3, 0, 1])
    for true, pred, classes in [(y_true, y_pred, 10), (few_true, few_pred, 4)]:
        label = f"confusion_matrix with {classes} classes"
        got = student.confusion_matrix(true, pred, num_classes=classes)
        from sklearn.metrics import confusion_matrix as sk_confusion  # after the student call

        want = sk_confusion(true, pred, labels=np.arange(classes))
        check_equal(f"{label}: integer dtype", np.asarray(got).dtype.kind in "iu", True)
        check_close(label, as_array(got, label, want.shape), want, rtol=0, atol=0,
                    mistakes={"confusion_matrix_transposed": want.T})
    check_raises("ValueError", student.confusion_matrix, y_true, y_pred[:-1])
