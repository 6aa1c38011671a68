"""MNIST classifier written from the contract (the stub's docstrings) alone.

Deliberately different from the obvious code where that stays within the contract:
Keras is imported once at module level; the network is grown with ``Sequential.add``;
the loss and metric are passed as objects (``CategoricalCrossentropy()``,
``CategoricalAccuracy(name="accuracy")``) rather than strings; pixels are multiplied by
the float32 reciprocal of max_value; one-hot labels come from fancy indexing, not
``to_categorical``; predictions call the model directly with
``training=False`` instead of ``predict``; the confusion matrix uses ``np.add.at``.
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402

REQUIRED = ("x_train", "y_train", "x_test", "y_test")


def load_mnist(path=None):
    if path is None:
        return keras.datasets.mnist.load_data()
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path}")
    arrays = {}
    with np.load(path, allow_pickle=False) as archive:
        absent = sorted(set(REQUIRED) - set(archive.files))
        if absent:
            raise ValueError(f"missing arrays in {path}: {absent}")
        for key in REQUIRED:
            arrays[key] = archive[key]
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def load_digits_dataset(test_size=0.25, seed=0):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    flat, target = load_digits(return_X_y=True)
    images = flat.reshape(-1, 8, 8)
    # Splitting the images together with the labels, as the contract says.
    x_train, x_test, y_train, y_test = train_test_split(
        images, target, test_size=test_size, random_state=seed, stratify=target)
    return ((np.uint8(x_train), np.uint8(y_train)), (np.uint8(x_test), np.uint8(y_test)))


def preprocess(images, labels, num_classes=10, max_value=255.0):
    images = np.asarray(images)
    labels = np.asarray(labels)
    if not max_value > 0:
        raise ValueError("max_value must be positive")
    if labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError("images and labels must hold the same number of samples")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError("labels must be integers")
    if np.any((labels < 0) | (labels >= num_classes)):
        raise ValueError(f"labels must lie in [0, {num_classes})")
    # Multiplying by the reciprocal: within float32 rounding of dividing by max_value.
    x = images.reshape(images.shape[0], -1).astype(np.float32) * np.float32(1.0 / max_value)
    onehot = np.zeros((labels.shape[0], num_classes), dtype=np.float32)
    onehot[np.arange(labels.shape[0]), labels] = 1.0
    return x, onehot


def build_model(input_dim, num_classes=10, hidden_units=(256, 256, 256, 256, 256),
                dropout_rate=0.2, batch_norm=False, l2=0.0, learning_rate=0.001):
    if input_dim < 1 or num_classes < 2:
        raise ValueError("input_dim must be >= 1 and num_classes >= 2")
    if min(hidden_units, default=1) < 1:
        raise ValueError("every hidden layer needs at least one unit")
    if dropout_rate < 0 or dropout_rate >= 1:
        raise ValueError("dropout_rate must be in [0, 1)")
    if l2 < 0 or learning_rate <= 0:
        raise ValueError("l2 must be >= 0 and learning_rate > 0")
    model = keras.Sequential()
    model.add(keras.Input(shape=(input_dim,)))
    for width in hidden_units:
        model.add(keras.layers.Dense(
            width, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(),
            kernel_regularizer=keras.regularizers.L2(l2) if l2 > 0 else None))
        if batch_norm:
            model.add(keras.layers.BatchNormalization())
        if dropout_rate > 0:
            model.add(keras.layers.Dropout(rate=dropout_rate))
    model.add(keras.layers.Dense(num_classes, activation="softmax",
                                 kernel_initializer=keras.initializers.GlorotUniform()))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss=keras.losses.CategoricalCrossentropy(),
                  metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")])
    return model


def train_model(model, x, y, epochs=5, batch_size=128, validation_split=0.1):
    history = model.fit(x=np.asarray(x, dtype=np.float32), y=np.asarray(y, dtype=np.float32),
                        batch_size=batch_size, epochs=epochs, verbose=0,
                        validation_split=validation_split)
    return history


def predict_digits(model, images, max_value=255.0):
    images = np.asarray(images)
    single = images.ndim == 2
    if images.ndim not in (2, 3):
        raise ValueError("images must be (H, W) or (N, H, W)")
    batch = images.reshape((1 if single else images.shape[0], -1))
    if batch.shape[1] != model.inputs[0].shape[-1]:
        raise ValueError(f"the model expects {model.inputs[0].shape[-1]} pixels per image, "
                         f"not {batch.shape[1]}")
    probabilities = np.asarray(model(batch.astype(np.float32) / np.float32(max_value),
                                     training=False))
    labels = probabilities.argmax(axis=-1).astype(np.int64)
    return int(labels[0]) if single else labels


def confusion_matrix(y_true, y_pred, num_classes=10):
    truth = np.asarray(y_true, dtype=np.int64).reshape(-1)
    guess = np.asarray(y_pred, dtype=np.int64).reshape(-1)
    if truth.size != guess.size:
        raise ValueError("y_true and y_pred must have the same length")
    for labels in (truth, guess):
        if np.any((labels < 0) | (labels >= num_classes)):
            raise ValueError(f"labels must lie in [0, {num_classes})")
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (truth, guess), 1)
    return counts
