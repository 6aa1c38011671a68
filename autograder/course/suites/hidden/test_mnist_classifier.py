"""Hidden suite for ``mnist_classifier``: data loading against scikit-learn and a file the
grader writes, preprocessing against to_categorical's definition, the network's
architecture and compile settings read from its config, training checked against the
grader's own run of model.fit, the accuracy the lecture network reaches on held-out digits
(measured here), predictions and the confusion matrix against scikit-learn (20 points).

The submission runs in the ``keras`` worker profile (TensorFlow visible, its own limits).
Models and histories come back as config + weights (``autograder/course/suites/keras_models.py``):
nothing the worker says is believed. This side never imports TensorFlow: configs are read
as data and returned models evaluated in numpy (``numpy_model``); the grader's own training
runs are cached (``autograder/course/references/mnist_runs.py``), and so are scikit-learn's
answers (the digits splits, the confusion matrices): a grading run imports neither
TensorFlow nor scikit-learn here.
"""

from __future__ import annotations

import functools
import io
import json
from typing import Any

import numpy as np
import pytest

from autograder.course import mistakes
from autograder.course.references import mnist_runs
from autograder.course.suites import as_array, keras_models, numpy_model, unpack
from autograder.grading.testing import WrongAnswer, check_close, check_equal, check_raises

pytestmark = pytest.mark.module("mnist_classifier")

MNIST_FILE = "grader_data/mnist_small.npz"
BROKEN_FILE = "grader_data/not_mnist.npz"
# Below the worst of 20 seeds after 10 epochs (95.3 %) by more than a point: a correct
# network clears it whatever the seed; a wrong one (no scaling, no hidden layers...) does not.
ACCURACY_TARGET = 0.94
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@functools.cache
def worker_files() -> dict[str, bytes]:
    """A small Keras-format mnist.npz with fresh random digits each grading run, and an
    npz that lacks y_test: written into the worker's copy before the worker starts (one
    value per run: the plugin writes it, the tests compare with it)."""
    rng = np.random.default_rng()
    arrays = {"x_train": rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 12, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 5, dtype=np.uint8)}
    broken = {k: v for k, v in arrays.items() if k != "y_test"}
    return {MNIST_FILE: _npz_bytes(arrays), BROKEN_FILE: _npz_bytes(broken)}


def warm_up() -> None:
    """The trusted side's data, loaded while the worker boots (the plugin calls this when
    the submission hands in this module): the cached runs and scikit-learn's answers."""
    _runs()
    mnist_runs.digits()


def _digits_split(test_size: float, seed: int) -> tuple:
    """What load_digits_dataset must return: scikit-learn's split, as cached."""
    return mnist_runs.digits_split(test_size, seed)


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
    student._require_import()  # a missing module fails before the costly data
    for kwargs in ({}, {"test_size": 0.2, "seed": 3}):
        got = _split_parts(student.load_digits_dataset(**kwargs), "load_digits_dataset")
        want = _digits_split(kwargs.get("test_size", 0.25), kwargs.get("seed", 0))
        _check_arrays(f"load_digits_dataset({', '.join(f'{k}={v}' for k, v in kwargs.items())})",
                      got, list(want))


@pytest.mark.points(2)
@pytest.mark.functions("load_mnist")
def test_load_mnist_reads_a_local_file(student):
    """load_mnist(path) returns the four arrays of a Keras-format mnist.npz as stored; a
    missing file raises FileNotFoundError, a file without y_test ValueError."""
    student._require_import()  # a missing module fails before the costly data
    got = _split_parts(student.load_mnist(MNIST_FILE), "load_mnist")
    with np.load(io.BytesIO(worker_files()[MNIST_FILE]), allow_pickle=False) as data:
        want = [data[key] for key in MNIST_KEYS]
    _check_arrays(f"load_mnist({MNIST_FILE!r})", got, want)
    check_raises("FileNotFoundError", student.load_mnist, "grader_data/no_such_file.npz")
    check_raises("ValueError", student.load_mnist, BROKEN_FILE)


@pytest.mark.points(2)
@pytest.mark.functions("preprocess")
def test_preprocess(student):
    """preprocess flattens and scales to float32 and one-hot encodes like Keras's
    to_categorical: MNIST-sized uint8 images, 8x8 digits with max_value=16, flat inputs with
    3 classes; bad labels and mismatched lengths raise ValueError."""
    student._require_import()  # a missing module fails before the costly data
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
        scale = np.float32(kwargs.get("max_value", 255.0))
        want_x = images.reshape(len(images), -1).astype(np.float32) / scale
        want_y = np.eye(kwargs.get("num_classes", 10), dtype=np.float32)[labels]  # to_categorical
        check_equal(f"{label}: dtype of x", str(np.asarray(x).dtype), "float32")
        check_equal(f"{label}: dtype of y", str(np.asarray(y).dtype), "float32")
        check_close(f"{label}: x", x, want_x, rtol=1e-6, atol=0,
                    mistakes=_preprocess_mistakes(images, labels, kwargs, part=0))
        check_close(f"{label}: y (one-hot labels)", y, want_y, rtol=0, atol=0,
                    mistakes=_preprocess_mistakes(images, labels, kwargs, part=1))
    images, labels = cases[0][0]
    check_raises("ValueError", student.preprocess, images, np.full(6, 10))
    check_raises("ValueError", student.preprocess, images, labels[:4])


def _preprocess_mistakes(images: np.ndarray, labels: np.ndarray, kwargs: dict[str, Any],
                         part: int) -> Any:
    """The catalogued preprocess mistakes' x (part 0) or y (part 1) for these inputs."""
    return mistakes.values("preprocess", lambda model: model(images, labels, **kwargs)[part])


# ----- the network ---------------------------------------------------------------------
@functools.cache
def _runs() -> dict[str, mnist_runs.Run]:
    return mnist_runs.load()


def _grader_model(name: str) -> keras_models.ReturnedModel:
    """A reference model from the cache: its config, and the grader's initial weights."""
    run = _runs()[name]
    return keras_models.ReturnedModel("Sequential", json.loads(run.config), run.config,
                                      run.initial)


def _check_same_network(label: str, got: keras_models.ReturnedModel,
                        want: keras_models.ReturnedModel) -> None:
    """Allowed classes, then shapes and size from the config as data, then the layers and
    compile settings the config states, then the weight shapes."""
    keras_models.check_allowed(got.config, label)
    got_shapes = numpy_model.network(got.config, label).weight_shapes()
    got_layers = keras_models.layer_summary(got.config, label)
    want_layers = keras_models.layer_summary(want.config, label)
    got_compile = keras_models.compile_summary(got.config)
    want_compile = keras_models.compile_summary(want.config)
    mistake = _network_mistake((got_layers, got_compile), (want_layers, want_compile))
    try:
        for i, (g, w) in enumerate(zip(got_layers, want_layers, strict=False)):
            if g != w:
                raise AssertionError(f"`{label}`: layer {i} should be {w}, got {g}")
        check_equal(f"{label}: number of layers", len(got_layers), len(want_layers))
        for key in ("optimizer", "loss", "metrics"):
            check_equal(f"{label}: compiled {key}", got_compile[key], want_compile[key])
    except AssertionError as error:  # the report names the mistake, if one matched
        raise WrongAnswer(str(error), mistake) from None
    check_close(f"{label}: Adam's learning_rate", got_compile["learning_rate"],
                want_compile["learning_rate"], rtol=1e-6)
    check_equal(f"{label}: weight shapes", [tuple(w.shape) for w in got.weights], got_shapes)
    check_equal(f"{label}: weight shapes", got_shapes,
                numpy_model.network(want.config, label).weight_shapes())


def _network_mistake(got: mistakes.Network, want: mistakes.Network) -> str | None:
    """The id of the catalogued build_model mistake the network matches, if any."""
    for mistake, model in mistakes.for_function("build_model").items():
        layers, compiled = model((list(want[0]), dict(want[1])))
        if layers == got[0] and all(compiled[k] == got[1][k] for k in ("loss", "optimizer")):
            return mistake
    return None


@pytest.mark.points(2)
@pytest.mark.functions("build_model")
def test_build_model_is_the_lecture_network(student):
    """build_model(784) with the defaults: Input(784), five Dense(256, relu, glorot_uniform)
    each followed by Dropout(0.2), Dense(10, softmax); Adam(0.001),
    categorical_crossentropy, accuracy."""
    student._require_import()  # a missing module fails before the costly data
    got = keras_models.returned_model(student.build_model(784), "build_model")
    _check_same_network("build_model(784)", got, _grader_model("lecture_784"))


@pytest.mark.points(1.5)
@pytest.mark.functions("build_model")
def test_build_model_options(student):
    """build_model's options: hidden widths, BatchNormalization after each hidden Dense,
    L2 on the hidden kernels, no Dropout at rate 0, the number of classes, the learning
    rate; and a softmax regression (no hidden layer)."""
    student._require_import()  # a missing module fails before the costly data
    for name in ("options_bn_l2", "options_dropout", "options_softmax_regression"):
        kwargs = dict(mnist_runs.CONFIGS[name])
        input_dim = kwargs.pop("input_dim")
        label = f"build_model(input_dim={input_dim}" + "".join(
            f", {k}={v}" for k, v in kwargs.items()) + ")"
        got = keras_models.returned_model(student.build_model(input_dim, **kwargs), label)
        _check_same_network(label, got, _grader_model(name))


@pytest.mark.points(0.5)
@pytest.mark.functions("build_model")
def test_build_model_rejects_bad_arguments(student):
    """build_model raises ValueError for dropout_rate=1, l2<0 and learning_rate=0."""
    student._require_import()  # a missing module fails before the costly data
    for bad in ({"dropout_rate": 1.0}, {"l2": -0.1}, {"learning_rate": 0.0}):
        check_raises("ValueError", student.build_model, 64, **bad)


# ----- training and accuracy -----------------------------------------------------------
# How far a student's trained weights may be from the grader's own run of model.fit from
# the same initial weights, as a fraction of how far that run moved them. The worker's run
# and the grader's are bit-identical on one machine (deterministic ops, same seed); the
# margin covers another CPU's rounding. Any other training (another seed, more data, no
# fit at all) lands at a distance of the order of the whole change.
WEIGHT_TOLERANCE = 0.01
HISTORY_RTOL, HISTORY_ATOL = 1e-3, 1e-4


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


def _check_trained_by_fit(label: str, got: keras_models.ReturnedHistory,
                          sent: keras_models.ReturnedModel, run: mnist_runs.Run,
                          x: np.ndarray, y: np.ndarray) -> keras_models.ReturnedModel:
    """The returned model is the sent one, trained as model.fit trains it: the same
    architecture, finite weights, a training loss (measured here) below the sent
    weights', and the weights and history of the grader's own run from the same start."""
    model = got.model
    if model is None:
        raise AssertionError(f"`{label}`: the History carries no model (return what "
                             "model.fit returns)")
    _check_same_network(f"the model trained by {label}", model, sent)
    _, weights = numpy_model.checked_weights(model, label)
    before = numpy_model.crossentropy(sent, x, y, label)
    after = numpy_model.crossentropy(model, x, y, label)
    if not after < before:
        raise AssertionError(f"`{label}`: the returned model's loss on the training data, "
                             f"measured by the grader, did not fall ({before:.4f} with the "
                             f"weights sent, {after:.4f} returned)")
    change = sum(float(np.sum((t.astype(np.float64) - i) ** 2))
                 for t, i in zip(run.trained, run.initial, strict=True))
    off = sum(float(np.sum((w - t) ** 2)) for w, t in zip(weights, run.trained, strict=True))
    if off > WEIGHT_TOLERANCE**2 * change:
        raise AssertionError(
            f"`{label}`: the returned weights are not what model.fit gives from the weights "
            f"the grader sent (they differ from the grader's own run by "
            f"{100 * (off / change) ** 0.5:.0f} % of that run's change; the worker seeds "
            "every call, so model.fit trains the same way each time): train the model you "
            "are given with model.fit, exactly as the docstring says, and nothing else")
    for key, values in run.history.items():
        check_close(f"{label}: history.history[{key!r}] (the grader's own run gives "
                    f"{np.round(values, 4).tolist()})", got.history[key], values,
                    rtol=HISTORY_RTOL, atol=HISTORY_ATOL)
    return model


@pytest.mark.points(3)
@pytest.mark.functions("train_model")
def test_train_model(student):
    """train_model fits the model it is given (the grader's small network, from weights
    the grader drew): per-epoch loss, accuracy, val_loss and val_accuracy; epochs,
    batch_size and validation_split used (3 epochs of 64 with 20 % held out, then the
    defaults 5, 128, 10 %); the trained weights and the history are model.fit's, as the
    grader's own run from the same weights shows."""
    student._require_import()  # a missing module fails before the costly data
    x, y, _, _ = mnist_runs.digits()
    for name in ("small_fit", "small_defaults"):
        kwargs = mnist_runs.RUNS[name][1]
        label = "train_model(model, x, y" + "".join(f", {k}={v}" for k, v in kwargs.items()) + ")"
        sent = _grader_model(name)
        got = keras_models.returned_history(
            student.train_model(sent.as_argument(), x, y, **kwargs), label)
        epochs = kwargs.get("epochs", 5)
        _check_history(label, got, epochs, keras_models.fit_steps(
            len(x), kwargs.get("batch_size", 128), kwargs.get("validation_split", 0.1)))
        _check_trained_by_fit(label, got, sent, _runs()[name], x, y)


@pytest.mark.points(3)
@pytest.mark.functions("build_model", "train_model")
def test_lecture_network_accuracy_on_digits(student):
    """build_model(64) is the lecture network; trained by train_model for 10 epochs from
    the grader's initial weights it becomes what model.fit makes of them, and classifies at
    least 94 % of 450 held-out digits (measured by the grader on the returned weights)."""
    student._require_import()  # a missing module fails before the costly data
    built = keras_models.returned_model(student.build_model(64), "build_model(64)")
    _check_same_network("build_model(64)", built, _grader_model("lecture"))
    x, y, x_test, y_test = mnist_runs.digits()
    epochs = mnist_runs.RUNS["lecture"][1]["epochs"]
    label = f"train_model(build_model(64), x, y, epochs={epochs})"
    sent = _grader_model("lecture")
    history = keras_models.returned_history(
        student.train_model(sent.as_argument(), x, y, epochs=epochs), label)
    model = _check_trained_by_fit(label, history, sent, _runs()["lecture"], x, y)
    accuracy = float(np.mean(numpy_model.predicted_labels(model, x_test, label) == y_test))
    if accuracy < ACCURACY_TARGET:
        raise AssertionError(
            f"`{label}`: the trained network classifies {100 * accuracy:.1f} % of the "
            f"held-out digits correctly (measured by the grader), below the required "
            f"{100 * ACCURACY_TARGET:.0f} %")


# ----- predictions ---------------------------------------------------------------------
def _random_model(name: str, seed: int) -> keras_models.ReturnedModel:
    """A small network with large random weights: its predictions vary from image to image."""
    config = _grader_model(name)
    rng = np.random.default_rng(seed)
    shapes = numpy_model.network(config.config, name).weight_shapes()
    weights = tuple(rng.normal(0, 1.5, shape).astype(np.float32) for shape in shapes)
    return keras_models.ReturnedModel("Sequential", config.config, config.config_json,
                                      weights)


@pytest.mark.points(2)
@pytest.mark.functions("predict_digits")
def test_predict_digits(student):
    """predict_digits returns the argmax of the model's probabilities for a batch of raw
    images (an int array) and for one image (a Python int): 8x8 digits with
    max_value=16, 28x28 images with the default 255; a size mismatch raises ValueError."""
    student._require_import()  # a missing module fails before the costly data
    _, _, x_test, _ = _digits_split(0.25, 0)
    mnist_like = np.random.default_rng(5).integers(0, 256, (30, 28, 28), dtype=np.uint8)
    for images, kwargs, name in [(x_test[:60], {"max_value": 16.0}, "predict_64"),
                                 (mnist_like, {}, "predict_784")]:
        model = _random_model(name, seed=len(name) + images.shape[1])
        scale = kwargs.get("max_value", 255.0)
        want = numpy_model.predicted_labels(
            model, images.reshape(len(images), -1).astype(np.float32) / np.float32(scale),
            name)
        label = f"predict_digits on {len(images)} images of {images.shape[1:]}"
        got = student.predict_digits(model.as_argument(), images, **kwargs)
        check_equal(f"{label}: dtype kind", np.asarray(got).dtype.kind in "iu", True)
        check_close(label, as_array(got, label, want.shape), want, rtol=0, atol=0)
        single = student.predict_digits(model.as_argument(), images[7], **kwargs)
        check_equal(f"predict_digits on one image {images.shape[1:]}", single, int(want[7]))
    # The last model takes 784 inputs: 8x8 digits do not fit it.
    check_raises("ValueError", student.predict_digits, model.as_argument(), x_test[:3])


# ----- evaluation ----------------------------------------------------------------------
@pytest.mark.points(2)
@pytest.mark.functions("confusion_matrix")
def test_confusion_matrix(student):
    """confusion_matrix equals scikit-learn's (rows true, columns predicted) for 10 classes
    and for 4 classes with one never seen; it is an integer array; lengths that differ
    raise ValueError."""
    student._require_import()  # a missing module fails before the costly data
    cases = mnist_runs.confusion_cases()
    for (true, pred, classes), want in zip(cases, mnist_runs.confusion_answers(), strict=True):
        label = f"confusion_matrix with {classes} classes"
        got = student.confusion_matrix(true, pred, num_classes=classes)
        check_equal(f"{label}: integer dtype", np.asarray(got).dtype.kind in "iu", True)
        check_close(label, as_array(got, label, want.shape), want, rtol=0, atol=0,
                    mistakes={"confusion_matrix_transposed": want.T})
    y_true, y_pred, _ = cases[0]
    check_raises("ValueError", student.confusion_matrix, y_true, y_pred[:-1])
