"""The reference ``mnist_classifier`` against Keras 3 and scikit-learn, and the pieces that
carry Keras models across the sandbox boundary (worker bridge, trusted-side judging).

No network: ``load_mnist(path)`` reads a small Keras-format file written here, and the
download path is checked with Keras's loader replaced.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from autograder.course.suites import keras_models, numpy_model
from autograder.sandbox.worker import keras_bridge
from autograder.sandbox.worker.protocol import ModelData
from solutions import mnist_classifier as mc


def _mnist_file(tmp_path, **drop):
    rng = np.random.default_rng(3)
    arrays = {"x_train": rng.integers(0, 256, (7, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 7, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 3, dtype=np.uint8)}
    kept = {k: v for k, v in arrays.items() if k not in drop}
    path = tmp_path / "mnist.npz"
    np.savez(path, **kept)
    return path, arrays


# ----- data ----------------------------------------------------------------------------
def test_load_mnist_reads_a_keras_format_file(tmp_path):
    path, arrays = _mnist_file(tmp_path)
    (x_train, y_train), (x_test, y_test) = mc.load_mnist(str(path))
    for name, got in zip(("x_train", "y_train", "x_test", "y_test"),
                         (x_train, y_train, x_test, y_test), strict=True):
        assert got.dtype == arrays[name].dtype and np.array_equal(got, arrays[name]), name


def test_load_mnist_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError):
        mc.load_mnist(str(tmp_path / "absent.npz"))
    path, _ = _mnist_file(tmp_path, y_test=True)
    with pytest.raises(ValueError, match="y_test"):
        mc.load_mnist(str(path))


def test_load_mnist_without_a_path_is_keras_load_data(keras, monkeypatch):
    """The real download is Keras's loader itself (replaced here: no network)."""
    sentinel = ((np.zeros((1, 28, 28), np.uint8), np.zeros(1, np.uint8)),) * 2
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: sentinel)
    assert mc.load_mnist() is sentinel


def test_load_digits_dataset_is_sklearns_stratified_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    for test_size, seed in ((0.25, 0), (0.4, 7)):
        (x_train, y_train), (x_test, y_test) = mc.load_digits_dataset(test_size, seed)
        want = train_test_split(digits.images, digits.target, test_size=test_size,
                                random_state=seed, stratify=digits.target)
        for got, expected in zip((x_train, x_test, y_train, y_test), want, strict=True):
            assert got.dtype == np.uint8 and np.array_equal(got, expected)
        assert len(x_test) == math.ceil(test_size * len(digits.images))
        # Stratified: every class keeps its share (within one image) in the test part.
        shares = np.bincount(y_test, minlength=10) / len(y_test)
        overall = np.bincount(digits.target, minlength=10) / len(digits.target)
        assert np.all(np.abs(shares - overall) * len(y_test) <= 1.0)


def test_preprocess_matches_keras_to_categorical(keras):
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (9, 28, 28), dtype=np.uint8), rng.integers(0, 10, 9)
    x, y = mc.preprocess(images, labels)
    assert x.dtype == y.dtype == np.float32 and x.shape == (9, 784) and y.shape == (9, 10)
    np.testing.assert_allclose(x, images.reshape(9, -1) / 255.0, rtol=1e-6)
    assert x.min() >= 0 and x.max() <= 1
    np.testing.assert_array_equal(y, keras.utils.to_categorical(labels, 10))
    x16, y3 = mc.preprocess(images[:, :8, :8] % 17, labels % 3, num_classes=3,
                            max_value=16.0)
    np.testing.assert_allclose(x16, (images[:, :8, :8] % 17).reshape(9, -1) / 16.0, rtol=1e-6)
    np.testing.assert_array_equal(y3, keras.utils.to_categorical(labels % 3, 3))


@pytest.mark.parametrize("labels, kwargs", [
    (np.array([0, 1, 10]), {}), (np.array([0, 1]), {}), (np.array([0, 1, 2]), {"max_value": 0}),
    (np.array([0.5, 1, 2]), {}),
])
def test_preprocess_rejects_bad_input(labels, kwargs):
    with pytest.raises(ValueError):
        mc.preprocess(np.zeros((3, 4, 4)), labels, **kwargs)


# ----- the network ---------------------------------------------------------------------
def _dense_params(sizes: list[int]) -> int:
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def test_build_model_is_the_lecture_network(keras):
    model = mc.build_model(784)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Dense", "Dropout"] * 5 + ["Dense"]
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [d.units for d in dense] == [256] * 5 + [10]
    assert [d.activation.__name__ for d in dense] == ["relu"] * 5 + ["softmax"]
    assert all(isinstance(d.kernel_initializer, keras.initializers.GlorotUniform)
               for d in dense)
    assert all(d.kernel_regularizer is None for d in dense)
    assert all(layer.rate == 0.2 for layer in model.layers
               if isinstance(layer, keras.layers.Dropout))
    assert model.count_params() == _dense_params([784] + [256] * 5 + [10])
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.001)
    assert model.loss == "categorical_crossentropy"
    assert model.input_shape == (None, 784) and model.output_shape == (None, 10)


def test_build_model_options(keras):
    model = mc.build_model(64, num_classes=3, hidden_units=(32, 16), dropout_rate=0.0,
                           batch_norm=True, l2=0.01, learning_rate=0.005)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Dense", "BatchNormalization"] * 2 + ["Dense"]
    hidden = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)][:-1]
    assert all(float(d.kernel_regularizer.l2) == pytest.approx(0.01) for d in hidden)
    assert model.layers[-1].kernel_regularizer is None
    assert float(model.optimizer.learning_rate) == pytest.approx(0.005)
    # The L2 penalty is part of the loss Keras minimises: sum of l2 * w^2 over hidden kernels.
    penalty = sum(0.01 * float(np.sum(np.square(d.kernel))) for d in hidden)
    assert float(sum(model.losses)) == pytest.approx(penalty, rel=1e-5)
    regression = mc.build_model(20, num_classes=4, hidden_units=())
    assert [type(layer).__name__ for layer in regression.layers] == ["Dense"]


@pytest.mark.parametrize("bad", [{"dropout_rate": 1.0}, {"dropout_rate": -0.1}, {"l2": -1.0},
                                 {"learning_rate": 0.0}, {"num_classes": 1},
                                 {"hidden_units": (8, 0)}])
def test_build_model_rejects_bad_arguments(bad):
    with pytest.raises(ValueError):
        mc.build_model(64, **bad)


def test_build_model_rejects_input_dim_zero():
    with pytest.raises(ValueError, match="input_dim"):
        mc.build_model(0)


@pytest.mark.slow
def test_train_model_is_fit_and_the_steps_rule_matches_keras(keras):
    """The hidden suite checks batch_size and validation_split through history.params
    ['steps']; its rule (floor for the split, ceil for the batches) is Keras's own."""
    (x_train, y_train), _ = mc.load_digits_dataset()
    x, y = mc.preprocess(x_train[:300], y_train[:300], max_value=16.0)
    keras.utils.set_random_seed(0)
    model = mc.build_model(64, hidden_units=(16,), dropout_rate=0.0)
    for kwargs, epochs in (({"epochs": 3, "batch_size": 32, "validation_split": 0.25}, 3),
                           ({"epochs": 2, "batch_size": 7, "validation_split": 0.1}, 2)):
        history = mc.train_model(model, x, y, **kwargs)
        assert isinstance(history, keras.callbacks.History) and history.model is model
        assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
        assert all(len(v) == epochs for v in history.history.values())
        steps = keras_models.fit_steps(len(x), kwargs["batch_size"],
                                       kwargs["validation_split"])
        assert history.params["steps"] == steps


def test_predict_digits_is_argmax_of_predict(keras):
    (_, _), (x_test, _) = mc.load_digits_dataset()
    keras.utils.set_random_seed(1)
    model = mc.build_model(64, hidden_units=(16,), dropout_rate=0.0)
    want = np.argmax(model.predict(x_test.reshape(len(x_test), -1) / 16.0, verbose=0), axis=1)
    got = mc.predict_digits(model, x_test, max_value=16.0)
    assert got.dtype == np.int64 and np.array_equal(got, want)
    single = mc.predict_digits(model, x_test[4], max_value=16.0)
    assert type(single) is int and single == want[4]
    with pytest.raises(ValueError, match="64 inputs"):
        mc.predict_digits(model, np.zeros((2, 28, 28)))


def test_confusion_matrix_matches_sklearn():
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(4)
    for classes in (10, 3):
        y_true = rng.integers(0, classes, 500)
        y_pred = np.where(rng.random(500) < 0.6, y_true, rng.integers(0, classes, 500))
        y_true[y_true == classes - 1] = 0  # one class never occurs as a true label
        got = mc.confusion_matrix(y_true, y_pred, classes)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, confusion_matrix(y_true, y_pred,
                                                            labels=np.arange(classes)))
    with pytest.raises(ValueError):
        mc.confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError):
        mc.confusion_matrix([0, 5], [0, 1], num_classes=3)


# ----- Keras objects across the boundary -----------------------------------------------
@pytest.mark.slow
def test_bridge_exports_models_and_histories_and_rebuilds_grader_models(keras):
    """Worker side: a model or History becomes plain data; ModelData becomes a compiled
    model with the same weights. Trusted side: the export rebuilds to the same predictions."""
    keras.utils.set_random_seed(2)
    model = mc.build_model(64, hidden_units=(8,), batch_norm=True, l2=0.01)
    exported = keras_bridge.export_value((model, [1, {"m": model}]))
    assert set(exported[0]) == {"keras_model"} and exported[1][0] == 1
    assert exported[1][1]["m"]["keras_model"]["config"] == exported[0]["keras_model"]["config"]
    returned = keras_models.returned_model(exported[0], "build_model")
    x = np.random.default_rng(0).random((5, 64)).astype(np.float32)
    np.testing.assert_allclose(numpy_model.probabilities(returned, x, "build_model"),
                               model.predict(x, verbose=0), rtol=1e-5, atol=1e-7)
    in_worker = keras_bridge.import_value([returned.as_argument()], ModelData)[0]
    assert in_worker.compiled and in_worker.loss == "categorical_crossentropy"
    for a, b in zip(in_worker.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    (x_train, y_train), _ = mc.load_digits_dataset()
    xs, ys = mc.preprocess(x_train[:128], y_train[:128], max_value=16.0)
    history = keras_models.returned_history(
        keras_bridge.export_value(mc.train_model(in_worker, xs, ys, epochs=2)), "train_model")
    assert history.params["epochs"] == 2 and len(history.history["loss"]) == 2
    assert history.model is not None and history.model.config == json.loads(
        in_worker.to_json())


def test_layer_and_compile_summaries_read_the_config(keras):
    model = keras_models.trusted_model(mc.build_model(64, hidden_units=(32,), batch_norm=True,
                                                      l2=0.01, learning_rate=0.005))
    assert keras_models.layer_summary(model.config, "m") == [
        "Input(shape=(64,))",
        "Dense(32, activation='relu', kernel_initializer=GlorotUniform, "
        "kernel_regularizer=L2(l2=0.01))",
        "BatchNormalization(momentum=0.99, epsilon=0.001)", "Dropout(rate=0.2)",
        "Dense(10, activation='softmax', kernel_initializer=GlorotUniform, "
        "kernel_regularizer=None)"]
    summary = keras_models.compile_summary(model.config)
    assert summary["optimizer"] == "Adam" and summary["loss"] == "categorical_crossentropy"
    assert summary["metrics"] == ["accuracy"]
    assert summary["learning_rate"] == pytest.approx(0.005)


def _forged(config: dict) -> dict:
    return {"keras_model": {"class": "Sequential", "config": json.dumps(config),
                            "weights": []}}


@pytest.mark.parametrize("evil, named", [
    ({"module": "os", "class_name": "system", "config": {}}, "os.system"),
    ({"module": "keras.layers", "class_name": "Lambda", "config": {}}, "Lambda"),
    ({"module": "builtins", "class_name": "function", "config": "exec"}, "function"),
    ({"module": "keras.layers", "class_name": "Dense", "config": {},
      "registered_name": "evil>Dense"}, "Dense"),
    ({"module": "keras.utils", "class_name": "get_file", "config": {}}, "get_file"),
])
def test_forged_configs_are_refused_before_keras_sees_them(evil, named):
    config = {"module": "keras", "class_name": "Sequential",
              "config": {"layers": [{"module": "keras.layers", "class_name": "InputLayer",
                                     "config": {"batch_shape": [None, 4]}}, evil]}}
    returned = keras_models.returned_model(_forged(config), "build_model")
    with pytest.raises(AssertionError, match="does not accept") as info:
        numpy_model.network(returned.config, "build_model")
    assert named in str(info.value)


@pytest.mark.parametrize("value", [
    None, 3, {"keras_model": None}, {"keras_model": {"class": "S", "config": "{", "weights": []}},
    {"keras_model": {"class": "S", "config": "{}", "weights": [np.array(["a"])]}},
    {"other": 1},
])
def test_malformed_model_exports_fail_as_wrong_answers(value):
    with pytest.raises(AssertionError):
        keras_models.returned_model(value, "build_model")


def test_weights_that_do_not_fit_the_layers_are_refused(keras):
    model = keras_models.trusted_model(mc.build_model(8, hidden_units=(4,)))
    wrong = keras_models.ReturnedModel(model.cls, model.config, model.config_json,
                                       model.weights[::-1])
    with pytest.raises(AssertionError, match="do not fit"):
        numpy_model.checked_weights(wrong, "build_model")
    nan = keras_models.ReturnedModel(model.cls, model.config, model.config_json,
                                     (np.full_like(model.weights[0], np.nan),
                                      *model.weights[1:]))
    with pytest.raises(AssertionError, match="not all finite"):
        numpy_model.checked_weights(nan, "build_model")


def test_numpy_forward_pass_matches_keras_for_every_evaluated_layer(keras):
    """Dense (each activation), BatchNormalization with trained statistics, Dropout,
    Activation, ReLU and Softmax layers: numpy's output equals Keras's predict."""
    rng = np.random.default_rng(4)
    model = keras.Sequential([
        keras.Input((6,)), keras.layers.Dense(5, "tanh"), keras.layers.BatchNormalization(),
        keras.layers.Dropout(0.3), keras.layers.Dense(4, "sigmoid"),
        keras.layers.Dense(4, use_bias=False), keras.layers.ReLU(),
        keras.layers.BatchNormalization(center=False, scale=False, epsilon=0.01),
        keras.layers.Activation("relu"), keras.layers.Dense(3), keras.layers.Softmax()])
    model.set_weights([rng.normal(0, 1, w.shape).astype(np.float32) + (
        2.0 if "variance" in v.path else 0.0) for w, v in zip(model.get_weights(),
                                                              model.weights, strict=True)])
    returned = keras_models.trusted_model(model)
    x = rng.normal(0, 1, (7, 6)).astype(np.float32)
    np.testing.assert_allclose(numpy_model.probabilities(returned, x, "m"),
                               model.predict(x, verbose=0), rtol=1e-4, atol=1e-6)


def _sequential(layers: list) -> dict:
    return {"module": "keras", "class_name": "Sequential", "config": {"layers": [
        {"module": "keras.layers", "class_name": "InputLayer",
         "config": {"batch_shape": [None, 64]}}, *layers]}}


def _dense(units, config=None) -> dict:
    return {"module": "keras.layers", "class_name": "Dense",
            "config": config if config is not None else {"units": units}}


@pytest.mark.parametrize("config, words", [
    (_sequential([_dense(5000), _dense(5000)]), "parameters"),
    (_sequential([_dense(10000)]), "units should be an integer"),
    (_sequential([_dense(-3)]), "units should be an integer"),
    (_sequential([_dense(4, ["units", 4])]), "config should be a JSON object"),
    ({"module": "keras", "class_name": "Sequential", "config": [["layers"]]},
     "no list of layers"),
    (_sequential([_dense(4, {"units": 4, "activation": "gelu"})]), "activation 'gelu'"),
    ({"module": "keras", "class_name": "Sequential", "config": {"layers": [_dense(3)]}},
     "should start with keras.Input"),
])
def test_configs_are_read_as_data_and_malformed_ones_are_wrong_answers(config, words):
    """Issue 14.6: shapes and parameter count come from the config as data, before any
    array is built; what is malformed fails as an AssertionError (the student's)."""
    with pytest.raises(AssertionError, match=re.escape(words)):
        numpy_model.network(config, "build_model")
    assert keras_models.compile_summary(config)["optimizer"] is None  # no crash either
