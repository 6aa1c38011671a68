# Student exercise: replace every `raise NotImplementedError(...)` with your code.
# Generated from the reference solutions by `dltips release stubs`; the function names,
# parameters and docstrings are the contract the grader checks.
"""MNIST digit classifier in Keras 3 (lecture section 6).

The deck's last example in four steps: analyse the image data, build and evaluate a
network, recognise an image and show the result, apply the tips of the earlier sections.
The network is a multi-layer perceptron on flattened images:

    Input(D) -> [Dense(h, relu) -> BatchNormalization? -> Dropout(rate)?] x len(hidden_units)
             -> Dense(num_classes, softmax)

compiled with Adam, ``categorical_crossentropy`` and the ``accuracy`` metric.

Lecture errata (Keras 3):
- ``loss='softmax'`` is not a loss: softmax is the output layer's *activation*, and the
  softmax classifier is trained with ``loss='categorical_crossentropy'`` (one-hot labels).
- ``Adam(lr=0.001, momentum=0.9, nesterov=True)`` raises ``ValueError``: Adam takes
  ``learning_rate=``; ``beta_1`` plays momentum's role and there is no ``nesterov``
  argument (Nesterov-momentum Adam is ``keras.optimizers.Nadam``).
- ``np_utils.to_categorical`` is now ``keras.utils.to_categorical``.

Data: ``load_mnist`` reads the real MNIST (28x28, pixel values 0..255, Keras downloads it
once); ``load_digits_dataset`` gives scikit-learn's bundled 8x8 digits (values 0..16) in the
same layout, so everything also runs offline (use ``max_value=16.0`` with them).

TensorFlow takes seconds to import, so import Keras inside the functions that need it;
``import mnist_classifier`` then stays fast.

The functions never modify their array arguments (``images``, ``labels``, ``x``, ``y``,
``y_true``, ``y_pred``); ``train_model`` trains the ``model`` it is given, as
``model.fit`` does. To reuse a function of another exercise module, import it by its bare
module name (see ``assignments/__init__.py``).

How this module is graded (in a sandbox with TensorFlow, scikit-learn and numpy): the
grader calls each function on its own data and judges the returned data itself. Keras
models and histories you return are sent to the grader as their JSON config and weights,
and models the grader passes in are rebuilt the same way, so only standard Keras layers
count. Before every call the grader's worker seeds Python, numpy and TensorFlow
(``keras.utils.set_random_seed``) and makes TensorFlow's ops deterministic, so the same
files always grade the same. ``train_model`` is given the grader's models with initial
weights the grader drew, and must return what ``model.fit`` makes of them: the grader
trains the same model from the same weights itself and compares the weights and history
you return. For accuracy it checks that ``build_model(64)`` is the lecture network, has
``train_model(model, x, y, epochs=10)`` train that network on the 8x8 digits scaled by
``preprocess(..., max_value=16.0)`` and expects at least 94 % accuracy on held-out digits,
measured by the grader; each call must finish within 60 seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

MNIST_ARRAYS = ("x_train", "y_train", "x_test", "y_test")

Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def load_mnist(path: str | None = None) -> Split:
    """The MNIST digits as ``((x_train, y_train), (x_test, y_test))``.

    With ``path=None`` this is ``keras.datasets.mnist.load_data()``, which downloads
    ``mnist.npz`` once into ``~/.keras/datasets/`` (it needs the network the first time).
    With a path, read that local Keras-format ``mnist.npz`` yourself: a numpy ``.npz``
    holding the four arrays ``x_train``, ``y_train``, ``x_test``, ``y_test`` (load it
    with ``np.load(path, allow_pickle=False)``; Keras's own ``path=`` argument is only a
    file name inside its cache, so it cannot read an arbitrary file).

    Inputs:
    - path: a local ``mnist.npz`` file, or None for Keras's download.

    Returns ``((x_train, y_train), (x_test, y_test))``, the arrays exactly as stored (for
    the real MNIST: uint8 images (60000, 28, 28) and (10000, 28, 28) with values 0..255,
    uint8 labels (60000,) and (10000,) in 0..9).

    Raises:
    - FileNotFoundError if ``path`` does not exist;
    - ValueError naming the missing arrays if the file lacks any of the four.
    """
    raise NotImplementedError('load_mnist: np.load(path, allow_pickle=False) and check that all four arrays are in `files`.')


def load_digits_dataset(test_size: float = 0.25, seed: int = 0) -> Split:
    """scikit-learn's bundled 8x8 handwritten digits, split like ``load_mnist``'s data.

    The 1797 images of ``sklearn.datasets.load_digits()`` (``images``: (1797, 8, 8) with
    integer values 0..16; ``target``: labels 0..9) are split with
    ``sklearn.model_selection.train_test_split(images, target, test_size=test_size,
    random_state=seed, stratify=target)``: every class keeps its share in both parts.

    Inputs:
    - test_size: the fraction of the images held out for testing, in (0, 1).
    - seed: the random state of the split.

    Returns ``((x_train, y_train), (x_test, y_test))``:
    - x_train, x_test: uint8 images (N, 8, 8), values 0..16 (scale them with
      ``max_value=16.0``);
    - y_train, y_test: uint8 labels (N,) in 0..9.
    With the defaults: 1347 training and 450 test images.
    """
    raise NotImplementedError('load_digits_dataset: digits = load_digits(); train_test_split(digits.images, digits.target, ...).')


def preprocess(images: ArrayLike, labels: ArrayLike, num_classes: int = 10,
               max_value: float = 255.0) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels as the network takes them: flat scaled pixels, one-hot labels.

    - ``x = images.reshape(N, -1).astype(float32) / max_value``: every image flattened
      row by row to one vector, pixels in [0, 1] when the images are in [0, max_value];
    - ``y = keras.utils.to_categorical(labels, num_classes)`` as float32: row i is all
      zeros except a 1 at column ``labels[i]``.

    Inputs:
    - images: N images (N, H, W), or already flat (N, D); any numeric dtype.
    - labels: N integer labels (N,) in [0, num_classes).
    - num_classes: number of classes C.
    - max_value: the largest possible pixel value (255 for MNIST, 16 for the 8x8 digits).

    Returns a tuple ``(x, y)``:
    - x: float32 array (N, H*W) (or (N, D)).
    - y: float32 array (N, num_classes).

    Raises ValueError if images and labels differ in length, a label is not an integer in
    [0, num_classes), or ``max_value <= 0``.
    """
    raise NotImplementedError('preprocess: x = images.reshape(len(images), -1).astype(np.float32) / max_value.')


def build_model(input_dim: int, num_classes: int = 10,
                hidden_units: Sequence[int] = (256, 256, 256, 256, 256),
                dropout_rate: float = 0.2, batch_norm: bool = False, l2: float = 0.0,
                learning_rate: float = 0.001) -> Any:
    """The lecture's MNIST network as a compiled ``keras.Sequential`` model.

    Layers, in this order:
    - ``keras.Input(shape=(input_dim,))``;
    - for each ``h`` in ``hidden_units``:
      ``Dense(h, activation="relu", kernel_initializer="glorot_uniform",
      kernel_regularizer=keras.regularizers.L2(l2) if l2 > 0 else None)``, then
      ``BatchNormalization()`` (default arguments) if ``batch_norm``, then
      ``Dropout(dropout_rate)`` if ``dropout_rate > 0``;
    - ``Dense(num_classes, activation="softmax", kernel_initializer="glorot_uniform")``
      (no regularizer on the output layer).

    Compiled with ``optimizer=keras.optimizers.Adam(learning_rate=learning_rate)``,
    ``loss="categorical_crossentropy"`` and ``metrics=["accuracy"]`` (the deck's
    ``loss='softmax'`` and ``Adam(lr=..., momentum=..., nesterov=...)`` do not work in
    Keras 3; see the module docstring).

    Inputs:
    - input_dim: number of input features D (784 for MNIST, 64 for the 8x8 digits), >= 1.
    - num_classes: number of classes C, >= 2.
    - hidden_units: the width of each hidden Dense layer (may be empty: softmax regression).
    - dropout_rate: the drop rate of every Dropout layer, in [0, 1); 0 means no Dropout.
    - batch_norm: whether each hidden Dense is followed by BatchNormalization.
    - l2: the L2 factor of the hidden kernels' regularizer, >= 0; 0 means none.
    - learning_rate: Adam's learning rate, > 0.

    Returns:
    - a compiled ``keras.Sequential`` whose input is (batch, input_dim) and whose output is
      (batch, num_classes) class probabilities.

    Raises ValueError for input_dim < 1, num_classes < 2, a hidden width < 1,
    dropout_rate outside [0, 1), l2 < 0 or learning_rate <= 0.
    """
    raise NotImplementedError('build_model: layers = [keras.Input((input_dim,))]; per hidden width add Dense, BN?, Dropout?.')


def train_model(model: Any, x: ArrayLike, y: ArrayLike, epochs: int = 5,
                batch_size: int = 128, validation_split: float = 0.1) -> Any:
    """Train a compiled model with ``model.fit`` and return its History.

    Exactly ``model.fit(x, y, epochs=epochs, batch_size=batch_size,
    validation_split=validation_split, verbose=0)``: Keras holds out the LAST
    ``validation_split`` fraction of the samples (before shuffling) for validation and
    shuffles the rest every epoch. ``verbose=0``: nothing is printed.

    Inputs:
    - model: a compiled Keras model (e.g. from ``build_model``); it is trained in place.
    - x: inputs (N, D) as ``preprocess`` returns them.
    - y: one-hot labels (N, C).
    - epochs, batch_size: as in ``model.fit``.
    - validation_split: fraction of the samples used for validation, in [0, 1).

    Returns:
    - the ``keras.callbacks.History`` that ``fit`` returns: ``history.history`` maps
      ``"loss"``, ``"accuracy"`` (and, when validation_split > 0, ``"val_loss"``,
      ``"val_accuracy"``) to one value per epoch; ``history.params["epochs"]`` is
      ``epochs`` and ``history.params["steps"]`` the batches per epoch.
    """
    raise NotImplementedError('train_model: return model.fit(x, y, epochs=..., batch_size=..., validation_split=..., verbose=0).')


def predict_digits(model: Any, images: ArrayLike, max_value: float = 255.0) -> Any:
    """The digit a trained model sees in one raw image or in a batch of them.

    Each image is scaled as ``preprocess`` does (flattened, float32, divided by
    ``max_value``); the label is the argmax of ``model.predict(x, verbose=0)``.

    Inputs:
    - model: a trained Keras model whose input has H*W features.
    - images: one raw image (H, W) or a batch (N, H, W), e.g. as ``load_mnist`` or
      ``load_digits_dataset`` returns them.
    - max_value: the largest possible pixel value (255 for MNIST, 16 for the 8x8 digits).

    Returns:
    - for one image (H, W): its label as a Python int;
    - for a batch (N, H, W): an int64 array (N,) of labels.

    Raises ValueError if the images are not 2-D or 3-D, or their H*W differs from the
    model's number of inputs.
    """
    raise NotImplementedError('predict_digits: add a batch axis to a single image, predict, np.argmax(probabilities, axis=1).')


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, num_classes: int = 10) -> np.ndarray:
    """Counts of (true label, predicted label) pairs.

    ``counts[i, j]`` is the number of samples whose true label is i and whose predicted
    label is j: rows are true classes, columns predicted ones, the diagonal holds the
    correct predictions. Equals ``sklearn.metrics.confusion_matrix(y_true, y_pred,
    labels=range(num_classes))``, including all-zero rows and columns for classes that
    never occur.

    Inputs:
    - y_true: true integer labels (N,) in [0, num_classes).
    - y_pred: predicted integer labels (N,) in [0, num_classes).
    - num_classes: number of classes C.

    Returns:
    - int64 array (num_classes, num_classes) whose entries sum to N.

    Raises ValueError if y_true and y_pred differ in length or hold a label outside
    [0, num_classes).
    """
    raise NotImplementedError('confusion_matrix: np.add.at(counts, (y_true, y_pred), 1), or np.bincount(C * y_true + y_pred).')
