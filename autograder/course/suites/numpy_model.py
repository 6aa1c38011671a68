"""A returned Keras model judged in numpy: its layers read from the config as data, the
weight shapes that config implies checked against caps, its forward pass computed here.

The trusted side never builds a Keras object from a student's config. A config is text the
student wrote, and building it can cost minutes and gigabytes before anything could refuse
it (two ``Dense(10000)`` layers: 155 s and 3.1 GB). Here the layer list, every weight's
shape and the parameter count come from the config as plain data first, and are capped;
only then are the weights (already bounded arrays from the protocol) compared or used.
Nor does the trusted side need TensorFlow: the layers a graded model may contain are few
(``keras_models.ALLOWED_CLASSES``) and at inference each is a line of numpy.

Anything malformed (a list where a dict belongs, a width of -3, an activation the grader
does not evaluate) is an AssertionError that names the problem: the student's wrong
answer, never a grader error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.course.suites import keras_models

MAX_PARAMETERS = 2_000_000  # the lecture network on full MNIST has 0.47 M
MAX_UNITS = 8192
ACTIVATIONS = ("linear", "relu", "softmax", "sigmoid", "tanh")


@dataclass(frozen=True)
class Layer:
    """One layer as the forward pass needs it: its kind, weight shapes and settings."""

    kind: str  # "dense", "batchnorm", "activation", "identity"
    shapes: tuple[tuple[int, ...], ...] = ()
    activation: str = "linear"
    epsilon: float = 1e-3
    scale: bool = True
    center: bool = True


@dataclass(frozen=True)
class Network:
    """A Sequential model's input width and layers, read from its config."""

    input_dim: int
    layers: tuple[Layer, ...]

    def weight_shapes(self) -> list[tuple[int, ...]]:
        return [shape for layer in self.layers for shape in layer.shapes]

    def parameters(self) -> int:
        return sum(int(np.prod(shape)) for shape in self.weight_shapes())


# ----- the config as data ---------------------------------------------------------------
def network(config: dict[str, Any], what: str) -> Network:
    """The layers of a Sequential config, with shapes and caps checked, or AssertionError."""
    keras_models.check_allowed(config, what)
    specs = keras_models.layers_of(config, what)
    if not specs or specs[0].get("class_name") != "InputLayer":
        raise AssertionError(f"`{what}`: the model should start with keras.Input(shape=(D,))")
    width = _input_width(_args(specs[0], what, 0), what)
    layers, parameters = [], 0
    for index, spec in enumerate(specs[1:], start=1):
        layer, width = _layer(spec, width, what, index)
        parameters += sum(int(np.prod(shape)) for shape in layer.shapes)
        if parameters > MAX_PARAMETERS:
            raise AssertionError(f"`{what}`: the model has more than {MAX_PARAMETERS:,} "
                                 f"parameters (at layer {index}), far more than the lecture "
                                 "network; the grader does not evaluate it")
        layers.append(layer)
    return Network(_input_width(_args(specs[0], what, 0), what), tuple(layers))


def _args(spec: dict[str, Any], what: str, index: int) -> dict[str, Any]:
    args = spec.get("config", {})
    if not isinstance(args, dict):
        raise AssertionError(f"`{what}`: layer {index}'s config should be a JSON object, got "
                             f"a {type(args).__name__}")
    return args


def _input_width(args: dict[str, Any], what: str) -> int:
    shape = args.get("batch_shape") or args.get("batch_input_shape")
    if not (isinstance(shape, list) and len(shape) == 2 and _count(shape[1])):
        raise AssertionError(f"`{what}`: the model's input should be flat, (batch, D), got "
                             f"{str(shape)[:60]}")
    return int(shape[1])


def _count(value: Any, most: int = MAX_UNITS) -> bool:
    return type(value) is int and 1 <= value <= most


def _layer(spec: dict[str, Any], width: int, what: str, index: int) -> tuple[Layer, int]:
    kind, args = spec.get("class_name"), _args(spec, what, index)
    where = f"`{what}`: layer {index} ({str(kind)[:40]})"
    if kind == "Dense":
        units = args.get("units")
        if not _count(units):
            raise AssertionError(f"{where}: units should be an integer in 1..{MAX_UNITS}, "
                                 f"got {str(units)[:40]}")
        shapes = ((width, units), (units,)) if args.get("use_bias", True) is not False \
            else ((width, units),)
        return Layer("dense", shapes, _activation(args.get("activation"), where)), units
    if kind == "BatchNormalization":
        axis, epsilon = args.get("axis", -1), args.get("epsilon", 1e-3)
        if axis not in (-1, 1, [-1], [1]) or not _positive_number(epsilon):
            raise AssertionError(f"{where}: only axis=-1 and a positive epsilon are evaluated")
        scale, center = args.get("scale", True) is not False, args.get("center", True) is not False
        shapes = ((width,),) * (int(scale) + int(center) + 2)
        return Layer("batchnorm", shapes, epsilon=float(epsilon), scale=scale,
                     center=center), width
    if kind in ("Dropout", "Flatten"):
        return Layer("identity"), width  # Dropout is the identity at inference
    if kind == "Activation":
        return Layer("activation", activation=_activation(args.get("activation"), where)), width
    if kind == "Softmax":
        return Layer("activation", activation="softmax"), width
    if kind == "ReLU":
        if any(args.get(k) not in (None, 0, 0.0) for k in ("max_value", "negative_slope",
                                                          "threshold")):
            raise AssertionError(f"{where}: only the plain ReLU() is evaluated")
        return Layer("activation", activation="relu"), width
    raise AssertionError(f"{where}: the grader does not evaluate this layer")


def _activation(value: Any, where: str) -> str:
    name = "linear" if value is None else value
    if name not in ACTIVATIONS:
        raise AssertionError(f"{where}: activation {str(value)[:40]!r} is not one the "
                             f"grader evaluates ({', '.join(ACTIVATIONS)})")
    return str(name)


def _positive_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def checked_weights(model: keras_models.ReturnedModel, what: str) -> tuple[Network, list]:
    """The network and its weights as float64, once the shapes fit the config and every
    weight is finite."""
    net = network(model.config, what)
    want = net.weight_shapes()
    got = [tuple(w.shape) for w in model.weights]
    if got != want:
        raise AssertionError(f"`{what}`: the model's weights do not fit its layers (shapes "
                             f"{got[:6]} for layers that need {want[:6]})")
    weights = [np.asarray(w, dtype=np.float64) for w in model.weights]
    if not all(np.all(np.isfinite(w)) for w in weights):
        raise AssertionError(f"`{what}`: the model's weights are not all finite (NaN or "
                             "inf): it cannot classify anything")
    return net, weights


# ----- the forward pass ------------------------------------------------------------------
def probabilities(model: keras_models.ReturnedModel, x: np.ndarray, what: str) -> np.ndarray:
    """The model's output for inputs ``x`` (N, D), at inference, computed here in float64."""
    net, weights = checked_weights(model, what)
    x = np.array(x, dtype=np.float64)  # a float64 copy: the layers below rebind it
    if x.ndim != 2 or x.shape[1] != net.input_dim:
        raise AssertionError(f"`{what}`: the model takes {net.input_dim} inputs, the grader's "
                             f"data has {x.shape[1:]}")
    remaining = iter(weights)
    for layer in net.layers:
        own = [next(remaining) for _ in layer.shapes]
        x = _apply(layer, own, x)
    return x


def _apply(layer: Layer, weights: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    if layer.kind == "dense":
        z = x @ weights[0] + (weights[1] if len(weights) == 2 else 0.0)
        return _activate(layer.activation, z)
    if layer.kind == "batchnorm":
        parts = list(weights)
        gamma = parts.pop(0) if layer.scale else 1.0
        beta = parts.pop(0) if layer.center else 0.0
        mean, variance = parts
        return (x - mean) / np.sqrt(variance + layer.epsilon) * gamma + beta
    if layer.kind == "activation":
        return _activate(layer.activation, x)
    return x


def _activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * z))
    if name == "tanh":
        return np.tanh(z)
    return z


def predicted_labels(model: keras_models.ReturnedModel, x: np.ndarray, what: str) -> np.ndarray:
    """argmax of the model's probabilities, computed here (never trusted from the worker)."""
    return np.argmax(probabilities(model, x, what), axis=1)


def crossentropy(model: keras_models.ReturnedModel, x: np.ndarray, y: np.ndarray,
                 what: str) -> float:
    """The mean categorical cross-entropy of the model on one-hot labels ``y``, as Keras
    computes it (probabilities clipped to [1e-7, 1 - 1e-7])."""
    p = np.clip(probabilities(model, x, what), 1e-7, 1.0 - 1e-7)
    return float(np.mean(-np.sum(y * np.log(p), axis=1)))
