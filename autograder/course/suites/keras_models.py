"""Keras models and histories that come back from the worker, judged on the trusted side.

The worker's Keras bridge (``autograder/sandbox/worker/keras_bridge.py``) sends a model as
``{"keras_model": {"class", "config", "weights"}}`` and a History as
``{"keras_history": {"history", "params", "model"}}``. That is plain data, but written by
student code, so nothing in it is believed:

- its shape is checked (``returned_model``, ``returned_history``): a wrong answer fails the
  test with a sentence saying what came back, never a grader error;
- the architecture and compile settings are read from the config JSON as data
  (``layer_summary``, ``compile_summary``), with no Keras object built;
- every object a config names must be on an allow-list of built-in Keras classes
  (``check_allowed``): no custom classes, no lambdas, no modules outside Keras;
- a model is never rebuilt with Keras here: ``numpy_model`` reads its layers and weight
  shapes from the config as data and computes its forward pass in numpy, so the trusted
  side never imports TensorFlow.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.grading.testing import ModelData

MAX_CONFIG_CHARS = 4 * 2**20
MAX_CONFIG_DEPTH = 40
MAX_WEIGHTS = 200

# Built-in Keras classes a graded model may contain, by the module its config names.
ALLOWED_CLASSES: dict[str, frozenset[str]] = {
    "keras": frozenset({"Sequential", "DTypePolicy", "FloatDTypePolicy"}),
    "keras.layers": frozenset({"InputLayer", "Dense", "Dropout", "BatchNormalization",
                               "Activation", "ReLU", "Softmax", "Flatten"}),
    "keras.initializers": frozenset({
        "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
        "LecunNormal", "RandomUniform", "RandomNormal", "TruncatedNormal", "VarianceScaling",
        "Zeros", "Ones", "Constant", "Orthogonal"}),
    "keras.regularizers": frozenset({"L1", "L2", "L1L2"}),
    "keras.optimizers": frozenset({"SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax",
                                   "Nadam", "AdamW"}),
    "keras.losses": frozenset({"CategoricalCrossentropy"}),
    "keras.metrics": frozenset({"CategoricalAccuracy", "Accuracy"}),
}
# Plain containers Keras writes without a module.
MODULELESS_CLASSES = frozenset({"__tuple__"})


@dataclass(frozen=True)
class ReturnedModel:
    """A model the worker sent: its class name, parsed config, config text and weights."""

    cls: str
    config: dict[str, Any]
    config_json: str
    weights: tuple[np.ndarray, ...]

    def as_argument(self) -> ModelData:
        """The same model, to pass to a student function (the worker rebuilds it)."""
        return ModelData(self.config_json, self.weights)


@dataclass(frozen=True)
class ReturnedHistory:
    """A History the worker sent: per-epoch values, fit's params and the trained model."""

    history: dict[str, np.ndarray]
    params: dict[str, Any]
    model: ReturnedModel | None


# ----- what came back ------------------------------------------------------------------
def returned_model(value: Any, what: str) -> ReturnedModel:
    """The model ``what`` returned, or an AssertionError saying what came back instead."""
    if not (isinstance(value, dict) and set(value) == {"keras_model"}):
        raise AssertionError(f"`{what}` should return a Keras model, got {_kind(value)}")
    return _model_fields(value["keras_model"], what)


def returned_history(value: Any, what: str) -> ReturnedHistory:
    """The History ``what`` returned (the object ``model.fit`` returns)."""
    if not (isinstance(value, dict) and set(value) == {"keras_history"}):
        raise AssertionError(f"`{what}` should return the keras.callbacks.History that "
                             f"model.fit returns, got {_kind(value)}")
    fields = value["keras_history"]
    if not (isinstance(fields, dict) and {"history", "params", "model"} <= set(fields)):
        raise AssertionError(f"`{what}` returned a malformed History")
    history, params = fields["history"], fields["params"]
    if not (isinstance(history, dict) and all(
            isinstance(k, str) and isinstance(v, np.ndarray) and v.ndim == 1
            for k, v in history.items())):
        raise AssertionError(f"`{what}`: history.history should map names to per-epoch "
                             "numbers")
    if not isinstance(params, dict):
        raise AssertionError(f"`{what}`: history.params should be a dict")
    model = None if fields["model"] is None else _model_fields(fields["model"], what)
    return ReturnedHistory({k: v.astype(np.float64) for k, v in history.items()},
                           dict(params), model)


def _model_fields(fields: Any, what: str) -> ReturnedModel:
    if not (isinstance(fields, dict) and {"class", "config", "weights"} <= set(fields)):
        raise AssertionError(f"`{what}` returned a malformed Keras model")
    config_json, weights = fields["config"], fields["weights"]
    if not isinstance(config_json, str) or len(config_json) > MAX_CONFIG_CHARS:
        raise AssertionError(f"`{what}`: the model's config should be a JSON text")
    if not (isinstance(weights, list) and len(weights) <= MAX_WEIGHTS and all(
            isinstance(w, np.ndarray) and w.dtype.kind == "f" for w in weights)):
        raise AssertionError(f"`{what}`: the model's weights should be float arrays")
    try:
        config = json.loads(config_json)
    except (ValueError, RecursionError):
        raise AssertionError(f"`{what}`: the model's config is not valid JSON") from None
    if not isinstance(config, dict):
        raise AssertionError(f"`{what}`: the model's config should be a JSON object")
    return ReturnedModel(str(fields["class"]), config, config_json, tuple(weights))


def _kind(value: Any) -> str:
    if isinstance(value, dict) and len(value) == 1:
        return f"a dict with key {next(iter(value))!r}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


# ----- the config as data ---------------------------------------------------------------
def check_allowed(config: Any, what: str, depth: int = 0) -> None:
    """AssertionError unless every object the config names is an allowed built-in class."""
    if depth > MAX_CONFIG_DEPTH:
        raise AssertionError(f"`{what}`: the model's config is nested too deeply")
    if isinstance(config, list):
        for item in config:
            check_allowed(item, what, depth + 1)
        return
    if not isinstance(config, dict):
        return
    if "class_name" in config:
        _check_object(config, what)
    for value in config.values():
        check_allowed(value, what, depth + 1)


def _check_object(spec: dict[str, Any], what: str) -> None:
    name, module = spec.get("class_name"), spec.get("module")
    registered = spec.get("registered_name")
    allowed = (name in MODULELESS_CLASSES and module is None) or (
        isinstance(module, str) and name in ALLOWED_CLASSES.get(module, ()))
    if not allowed or registered not in (None, name):
        label = f"{module}.{name}" if module else str(name)
        raise AssertionError(f"`{what}`: the model contains {label[:80]!r}, which the grader "
                             "does not accept: use the standard Keras layers the docstring "
                             "names (no custom classes or Lambda layers)")


def layers_of(config: dict[str, Any], what: str) -> list[dict[str, Any]]:
    """The layer configs of a Sequential model's config."""
    if config.get("class_name") != "Sequential":
        raise AssertionError(f"`{what}` should return a keras.Sequential model, got a "
                             f"{str(config.get('class_name'))[:40]}")
    layers = _mapping(config.get("config")).get("layers")
    if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers):
        raise AssertionError(f"`{what}`: the Sequential config has no list of layers")
    return layers


def layer_summary(config: dict[str, Any], what: str) -> list[str]:
    """One line per layer, the contract's arguments only (names and dtypes left out)."""
    return [_describe_layer(layer) for layer in layers_of(config, what)]


def _describe_layer(layer: dict[str, Any]) -> str:
    kind, args = layer.get("class_name"), _mapping(layer.get("config"))
    if kind == "InputLayer":
        shape = args.get("batch_shape") or args.get("batch_input_shape")
        return f"Input(shape={tuple(shape[1:]) if isinstance(shape, list) else shape!r:.40})"
    if kind == "Dense":
        return (f"Dense({args.get('units')}, activation={args.get('activation')!r}, "
                f"kernel_initializer={_class(args.get('kernel_initializer'))}, "
                f"kernel_regularizer={_regularizer(args.get('kernel_regularizer'))})")
    if kind == "BatchNormalization":
        return (f"BatchNormalization(momentum={_num(args.get('momentum'))}, "
                f"epsilon={_num(args.get('epsilon'))})")
    if kind == "Dropout":
        return f"Dropout(rate={_num(args.get('rate'))})"
    return f"{str(kind)[:40]}(...)"


def compile_summary(config: dict[str, Any]) -> dict[str, Any]:
    """Optimizer class and learning rate, loss and metrics from the compile config (None
    for an uncompiled model)."""
    compiled = config.get("compile_config")
    if not isinstance(compiled, dict):
        return {"optimizer": None, "learning_rate": None, "loss": None, "metrics": None}
    optimizer = compiled.get("optimizer")
    rate = _mapping(_mapping(optimizer).get("config")).get("learning_rate")
    return {"optimizer": _class(optimizer) if isinstance(optimizer, dict) else optimizer,
            "learning_rate": rate if isinstance(rate, (int, float)) else None,
            "loss": _loss_name(compiled.get("loss")),
            "metrics": sorted(_metric_name(m) for m in _as_list(compiled.get("metrics")))}


def _class(spec: Any) -> str:
    if isinstance(spec, dict):
        return str(spec.get("class_name"))[:40]
    return repr(spec)[:40]


def _regularizer(spec: Any) -> str:
    if not isinstance(spec, dict):
        return "None" if spec is None else repr(spec)[:40]
    args = _mapping(spec.get("config"))
    values = ", ".join(f"{k}={_num(v)}" for k, v in sorted(args.items()) if v)
    return f"{_class(spec)}({values})"


def _num(value: Any) -> str:
    """Numbers to 6 significant digits (Keras stores learning rates as float32)."""
    return f"{value:.6g}" if isinstance(value, (int, float)) and not isinstance(
        value, bool) else repr(value)[:40]


_LOSS_ALIASES = {"categorical_crossentropy": "categorical_crossentropy",
                 "CategoricalCrossentropy": "categorical_crossentropy"}
_METRIC_ALIASES = {"accuracy": "accuracy", "acc": "accuracy",
                   "categorical_accuracy": "accuracy", "CategoricalAccuracy": "accuracy"}


def _loss_name(loss: Any) -> str:
    if isinstance(loss, dict):
        from_logits = _mapping(loss.get("config")).get("from_logits")
        name = _LOSS_ALIASES.get(str(loss.get("class_name")), str(loss.get("class_name")))
        return name + (" (from_logits)" if from_logits else "")
    return _LOSS_ALIASES.get(str(loss), str(loss)[:40])


def _metric_name(metric: Any) -> str:
    if isinstance(metric, dict):
        metric = metric.get("class_name")
    return _METRIC_ALIASES.get(str(metric), str(metric)[:40])


def _mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one: a list or number where the
    config should hold an object reads as "nothing there" (a wrong answer), never a crash."""
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


# ----- models built by the grader (generators and tests) ---------------------------------
def model_data(model: Any) -> ModelData:
    """A trusted Keras model as the argument a student function receives."""
    return ModelData(model.to_json(), tuple(np.asarray(w) for w in model.get_weights()))


def trusted_model(model: Any) -> ReturnedModel:
    """A model built here, in the same form as one that came back from the worker."""
    data = model_data(model)
    return ReturnedModel(type(model).__name__, json.loads(data.config), data.config,
                         data.weights)


def fit_steps(samples: int, batch_size: int, validation_split: float) -> int:
    """Batches per epoch of ``fit``: Keras trains on the first floor(N * (1 - split))
    samples (``history.params["steps"]``, which shows batch_size and the split at work)."""
    return math.ceil(math.floor(samples * (1.0 - validation_split)) / batch_size)
