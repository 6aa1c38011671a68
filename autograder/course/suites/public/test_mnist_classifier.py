"""Public checks for ``mnist_classifier`` (run them with ``dltips check mnist_classifier``).

Your module runs in a worker with TensorFlow; Keras models and histories come back as
their config and weights, so these checks read your network's layers from its config and
measure a trained model's accuracy here (in numpy, from the config and weights), as the
grader does.
"""

from __future__ import annotations

import functools
import io

import numpy as np
import pytest

from autograder.course.suites import as_array, keras_models, numpy_model, unpack
from autograder.course.suites.public import case, hint
from autograder.grading.testing import check_close, check_equal

pytestmark = pytest.mark.module("mnist_classifier")

MNIST_FILE = "check_data/mnist_tiny.npz"
# The accuracy check, as the hidden suite makes it (the lecture network, 10 epochs).
ACCURACY_EPOCHS, ACCURACY_TARGET = 10, 0.94


@functools.cache
def worker_files() -> dict[str, bytes]:
    """A tiny Keras-format mnist.npz, put next to your module for load_mnist(path)."""
    rng = np.random.default_rng(2024)
    buffer = io.BytesIO()
    np.savez(buffer, x_train=rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
             y_train=np.array([3, 1, 4, 1], dtype=np.uint8),
             x_test=rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
             y_test=np.array([5, 9], dtype=np.uint8))
    return {MNIST_FILE: buffer.getvalue()}


@pytest.mark.points(1)
@pytest.mark.functions("load_mnist")
def test_load_mnist_from_a_file(student):
    """load_mnist(path) returns the four arrays of a small mnist.npz as stored."""
    (x_train, y_train), (x_test, y_test) = (unpack(part, 2, "load_mnist") for part in unpack(
        student.load_mnist(MNIST_FILE), 2, "load_mnist"))
    with np.load(io.BytesIO(worker_files()[MNIST_FILE])) as data, hint(
            "np.load(path, allow_pickle=False); return ((x_train, y_train), (x_test, y_test))."):
        for name, got in zip(("x_train", "y_train", "x_test", "y_test"),
                             (x_train, y_train, x_test, y_test), strict=True):
            check_close(name, as_array(got, name, data[name].shape), data[name], rtol=0)


@pytest.mark.points(1)
@pytest.mark.functions("load_digits_dataset")
def test_load_digits_dataset(student):
    """The 8x8 digits as uint8 images (1347 + 450) with the stratified split's labels."""
    (x_train, y_train), (x_test, y_test) = (unpack(part, 2, "load_digits_dataset") for part in
                                            unpack(student.load_digits_dataset(), 2,
                                                   "load_digits_dataset"))
    c = case("mnist_digits")
    with hint("train_test_split(digits.images, digits.target, test_size=test_size, "
              "random_state=seed, stratify=digits.target), then .astype(np.uint8)."):
        check_equal("dtype of x_train", str(np.asarray(x_train).dtype), "uint8")
        as_array(x_train, "x_train", (1347, 8, 8))
        as_array(x_test, "x_test", (450, 8, 8))
        check_close("y_train", y_train, c["want_y_train"], rtol=0)
        check_close("y_test", y_test, c["want_y_test"], rtol=0)


@pytest.mark.points(1)
@pytest.mark.functions("preprocess")
def test_preprocess(student):
    """Five 8x8 digits scaled by max_value=16 to float32, labels one-hot."""
    c = case("mnist_preprocess")
    x, y = unpack(student.preprocess(c["images"], c["labels"], max_value=16.0), 2, "preprocess")
    with hint("x = images.reshape(N, -1).astype(np.float32) / max_value; "
              "y = keras.utils.to_categorical(labels, num_classes), both float32."):
        check_equal("dtype of x", str(np.asarray(x).dtype), "float32")
        check_close("x", x, c["want_x"])
        check_close("y", y, c["want_y"], rtol=0)


@pytest.mark.points(2)
@pytest.mark.functions("build_model")
def test_build_model_layers_and_compile(student):
    """build_model(64, hidden_units=(32, 16), batch_norm=True, l2=0.01): the layers, in
    order, and Adam / categorical_crossentropy / accuracy."""
    c = case("mnist_model")
    label = "build_model(64, hidden_units=(32, 16), batch_norm=True, l2=0.01)"
    got = keras_models.returned_model(student.build_model(64, hidden_units=(32, 16),
                                                          batch_norm=True, l2=0.01), label)
    keras_models.check_allowed(got.config, label)
    with hint("Dense(relu, glorot_uniform, L2 when l2 > 0) -> BatchNormalization() if "
              "batch_norm -> Dropout(rate) if rate > 0, then Dense(num_classes, softmax)."):
        check_equal("layers", keras_models.layer_summary(got.config, label),
                    [str(line) for line in c["want_layers"]])
    summary = keras_models.compile_summary(got.config)
    with hint("compile with Adam at the given learning_rate, the loss "
              "'categorical_crossentropy' and the metric 'accuracy' (loss='softmax' is the "
              "deck's erratum)."):
        check_equal("optimizer", summary["optimizer"], "Adam")
        check_equal("loss", summary["loss"], "categorical_crossentropy")
        check_equal("metrics", summary["metrics"], ["accuracy"])
        check_close("learning_rate", summary["learning_rate"], c["want_learning_rate"])


def _digits() -> tuple[np.ndarray, ...]:
    """The 8x8 digits split as load_digits_dataset's contract says, scaled here."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.images, digits.target, test_size=0.25, random_state=0, stratify=digits.target)
    flat = [(a.reshape(len(a), -1) / 16.0).astype(np.float32) for a in (x_train, x_test)]
    return flat[0], np.eye(10, dtype=np.float32)[y_train], flat[1], y_test


@pytest.mark.points(3)
@pytest.mark.functions("build_model", "train_model")
def test_trained_network_reaches_94_percent(student):
    """build_model(64) trained by train_model for 10 epochs classifies at least 94 % of
    450 held-out digits (measured here, on the returned model)."""
    built = keras_models.returned_model(student.build_model(64), "build_model(64)")
    x, y, x_test, y_test = _digits()
    history = keras_models.returned_history(
        student.train_model(built.as_argument(), x, y, epochs=ACCURACY_EPOCHS), "train_model")
    with hint("return the History of model.fit, passing epochs, batch_size and "
              "validation_split on (verbose=0)."):
        check_equal("history keys", sorted(history.history),
                    ["accuracy", "loss", "val_accuracy", "val_loss"])
        check_equal("epochs in the history", len(history.history["loss"]), ACCURACY_EPOCHS)
        check_equal("the History carries the trained model", history.model is not None, True)
    labels = numpy_model.predicted_labels(history.model, x_test, "train_model")
    accuracy = float(np.mean(labels == y_test))
    with hint("the lecture network (5 x Dense(256) + Dropout(0.2), Adam 0.001) gets about "
              "97 % here; check build_model's layers and that train_model passes every "
              "argument on."):
        check_equal(f"test accuracy {accuracy:.3f} >= {ACCURACY_TARGET}",
                    accuracy >= ACCURACY_TARGET, True)


@pytest.mark.points(1)
@pytest.mark.functions("predict_digits")
def test_predict_digits(student):
    """Labels for a batch (an int array of N labels) and for one image (an int)."""
    built = keras_models.returned_model(student.build_model(64, hidden_units=(8,)),
                                        "build_model(64, hidden_units=(8,))")
    images = (np.arange(3 * 64).reshape(3, 8, 8) % 17).astype(np.uint8)
    want = numpy_model.predicted_labels(built, images.reshape(3, -1) / 16.0, "build_model")
    with hint("scale like preprocess, model.predict(x, verbose=0), np.argmax(..., axis=1); "
              "a single (H, W) image gets a batch axis first and returns int(label)."):
        check_close("labels of 3 images", as_array(student.predict_digits(
            built.as_argument(), images, max_value=16.0), "predict_digits", (3,)), want, rtol=0)
        check_equal("label of one image", student.predict_digits(
            built.as_argument(), images[0], max_value=16.0), int(want[0]))


@pytest.mark.points(1)
@pytest.mark.functions("confusion_matrix")
def test_confusion_matrix(student):
    """Counts of (true, predicted) pairs for 4 classes: rows true, columns predicted."""
    c = case("mnist_confusion")
    with hint("counts[i, j] = number of samples with true label i predicted as j."):
        check_close("confusion_matrix", student.confusion_matrix(c["y_true"], c["y_pred"], 4),
                    c["want_counts"], rtol=0)
