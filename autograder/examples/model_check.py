"""A saved Keras model's layers, checked as data before Keras builds them (``dltips predict
--model FILE``).

Keras allocates every layer's weights while it loads a model, before anything can look at
the model's shapes, so a crafted file (say a ``Dense`` layer of 10**9 units) would make
``dltips predict`` allocate gigabytes before it refused. ``check_config`` reads the model's
``config.json`` (or a legacy ``.h5`` file's ``model_config``) instead: it follows the input
shape through the layers (a ``Sequential`` chain, a ``Functional`` graph of one-input
layers, nested ``Sequential`` models), counts the weights each layer would allocate, and
refuses with a one-line ``ValueError`` a model that

- takes an input other than 8x8 (64) or 28x28 (784) grayscale digits,
- would hold more than ``MAX_PARAMETERS`` weights, or a layer output of more than
  ``MAX_ACTIVATION`` values for one image, or more than ``MAX_LAYERS`` layers,
- has a layer this check does not know (``KNOWN_LAYERS``): its size cannot be told.

Nothing here imports Keras or allocates in proportion to the sizes the file declares.
"""

from __future__ import annotations

import math
from typing import Any

MAX_PARAMETERS = 20_000_000    # 80 MB of float32; the course CNN has about 120,000
MAX_ACTIVATION = 4_000_000     # values one layer outputs for one image
MAX_LAYERS = 200
MAX_NESTING = 4
ACCEPTED_INPUTS = ((64,), (784,), (8, 8), (8, 8, 1), (28, 28), (28, 28, 1))

_SAME_SHAPE = {"Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
               "AlphaDropout", "Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax",
               "Rescaling", "Identity", "ActivityRegularization"}
_POOLING = {"MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AvgPool2D"}
_GLOBAL_POOLING = {"GlobalAveragePooling2D", "GlobalMaxPooling2D", "GlobalAvgPool2D",
                   "GlobalMaxPool2D"}
KNOWN_LAYERS = frozenset({"InputLayer", "Dense", "Conv2D", "Flatten", "Reshape",
                          "BatchNormalization", "LayerNormalization", "Sequential",
                          *_SAME_SHAPE, *_POOLING, *_GLOBAL_POOLING})


class ConfigError(ValueError):
    """A model config refused (one line, without the file's name)."""


def check_config(config: Any) -> tuple[int, ...] | None:
    """Check a saved model's config (the parsed ``config.json``) as the module docstring
    says; returns its input shape without the batch axis (None when the config declares
    none and no layer would hold weights: Keras then builds nothing). Raises ConfigError."""
    if not isinstance(config, dict):
        raise ConfigError("its config is not a Keras model config")
    kind = config.get("class_name")
    inner = config.get("config")
    if kind not in ("Sequential", "Functional", "Model") or not isinstance(inner, dict):
        raise ConfigError(f"its config is a {_text(kind)}, not a Sequential or Functional "
                          "Keras model")
    layers = inner.get("layers", [])
    if not isinstance(layers, list):
        raise ConfigError("its config's layers are not a list")
    shape = _declared_input(config, layers)
    if shape is None:
        if any(_layer_kind(layer) not in _SAME_SHAPE | {"InputLayer", "Flatten"}
               for layer in layers):
            raise ConfigError("its config declares no input shape, so its layers' sizes "
                              "cannot be checked")
        return None
    if shape not in ACCEPTED_INPUTS:
        raise ConfigError(f"the model takes input {shape}; dltips predict feeds 8x8 (64) or "
                          "28x28 (784) grayscale digits")
    tally = _Tally()
    if kind == "Sequential":
        _sequential(layers, shape, tally, 0)
    else:
        _functional(layers, shape, tally)
    return shape


class _Tally:
    """Weights and layers counted so far, refused as soon as a cap is passed."""

    def __init__(self) -> None:
        self.parameters = 0
        self.layers = 0

    def add(self, name: str, parameters: int, out: tuple[int, ...]) -> None:
        self.layers += 1
        self.parameters += parameters
        if self.layers > MAX_LAYERS:
            raise ConfigError(f"it has more than {MAX_LAYERS} layers; not a course model")
        if self.parameters > MAX_PARAMETERS:
            raise ConfigError(f"layer {name} takes it over {MAX_PARAMETERS:,} weights "
                              f"({self.parameters:,}); not a course model")
        values = math.prod(out)
        if values > MAX_ACTIVATION:
            raise ConfigError(f"layer {name} outputs {values:,} values per image (shape "
                              f"{out}), over {MAX_ACTIVATION:,}; not a course model")


def _text(value: Any) -> str:
    return repr(value)[:60]


def _layer_kind(layer: Any) -> str:
    return layer.get("class_name", "") if isinstance(layer, dict) else ""


def _layer_config(layer: Any) -> dict:
    config = layer.get("config") if isinstance(layer, dict) else None
    if not isinstance(config, dict):
        raise ConfigError(f"a layer's config is not a mapping ({_text(layer)})")
    return config


def _shape(value: Any, what: str) -> tuple[int, ...]:
    """A shape without its batch axis: positive ints only."""
    if not isinstance(value, list | tuple) or not value:
        raise ConfigError(f"{what} is not a shape ({_text(value)})")
    shape = tuple(value[1:])
    if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape):
        raise ConfigError(f"{what} is {_text(value)}; dltips predict needs fixed sizes")
    return shape


def _declared_input(config: dict, layers: list) -> tuple[int, ...] | None:
    """The first InputLayer's shape, else the model's build shape."""
    for layer in layers:
        if _layer_kind(layer) == "InputLayer":
            inner = _layer_config(layer)
            declared = inner.get("batch_shape", inner.get("batch_input_shape"))
            return _shape(declared, "the input layer's shape")
    inner = config["config"]
    build = config.get("build_config")
    declared = inner.get("build_input_shape")
    if declared is None and isinstance(build, dict):
        declared = build.get("input_shape")
    if declared is None and layers and isinstance(layers[0], dict):
        declared = _layer_config(layers[0]).get("batch_input_shape")
    return None if declared is None else _shape(declared, "the model's input shape")


def _sequential(layers: list, shape: tuple[int, ...], tally: _Tally, depth: int
                ) -> tuple[int, ...]:
    for layer in layers:
        shape = _layer(layer, shape, tally, depth)
    return shape


def _functional(layers: list, shape: tuple[int, ...], tally: _Tally) -> None:
    """Layers in their saved (topological) order, each fed by one earlier layer."""
    outputs: dict[str, tuple[int, ...]] = {}
    for layer in layers:
        name = layer.get("name") if isinstance(layer, dict) else None
        if _layer_kind(layer) == "InputLayer":
            outputs[str(name)] = _layer(layer, shape, tally, 0)
            continue
        source = _inbound(layer)
        if source not in outputs:
            raise ConfigError(f"layer {_text(name)} is fed by {_text(source)}, which is not "
                              "an earlier layer")
        outputs[str(name)] = _layer(layer, outputs[source], tally, 0)


def _inbound(layer: dict) -> str:
    """The name of the one layer feeding ``layer`` (Keras 3 and Keras 2 formats)."""
    nodes = layer.get("inbound_nodes")
    try:
        (node,) = nodes
        if isinstance(node, dict):   # Keras 3: {"args": [<keras tensor>], "kwargs": {}}
            (tensor,) = node["args"]
            return str(tensor["config"]["keras_history"][0])
        ((source, *_),) = node       # Keras 2: [[name, node index, tensor index, kwargs]]
        return str(source)
    except (TypeError, ValueError, KeyError, IndexError):
        raise ConfigError(f"layer {_text(layer.get('name'))} has several inputs or uses; "
                          "dltips predict checks one-input layers only") from None


def _ints(config: dict, key: str, default: Any, count: int = 2) -> tuple[int, ...]:
    value = config.get(key, default)
    if value is None:
        value = default
    values = (value,) * count if isinstance(value, int) else tuple(value)
    if len(values) != count or not all(isinstance(v, int) and not isinstance(v, bool)
                                       and v > 0 for v in values):
        raise ConfigError(f"{key} is {_text(value)}, not {count} positive sizes")
    return values


def _spatial(size: int, window: int, stride: int, padding: Any, dilation: int = 1) -> int:
    span = dilation * (window - 1) + 1
    if padding == "same":
        return -(-size // stride)
    if padding != "valid":
        raise ConfigError(f"padding {_text(padding)} is not 'valid' or 'same'")
    if size < span:
        raise ConfigError(f"a window of {span} does not fit an input of {size}")
    return (size - span) // stride + 1


def _layer(layer: Any, shape: tuple[int, ...], tally: _Tally, depth: int) -> tuple[int, ...]:
    """The output shape of ``layer`` on ``shape``; its weights go to ``tally``."""
    kind = _layer_kind(layer)
    config = _layer_config(layer)
    name = _text(config.get("name", kind))
    if kind not in KNOWN_LAYERS:
        raise ConfigError(f"layer {name} is a {_text(kind)}, which dltips predict cannot "
                          "size before loading it (use Dense, Conv2D, pooling, Flatten, "
                          "Dropout, normalization layers)")
    if config.get("data_format", "channels_last") not in ("channels_last", None):
        raise ConfigError(f"layer {name} is channels_first; dltips predict feeds "
                          "channels_last images")
    build = layer.get("build_config")
    recorded = build.get("input_shape") if isinstance(build, dict) else None
    if recorded is not None and _shape(recorded, f"layer {name}'s input shape") != shape:
        # Keras builds a layer from its recorded shape first: a lie there would allocate.
        raise ConfigError(f"layer {name} records input shape {_text(recorded)} but receives "
                          f"{shape}")
    parameters = 0
    if kind == "InputLayer":  # Keras builds an input as declared, whatever feeds it
        declared = config.get("batch_shape", config.get("batch_input_shape"))
        out = shape if declared is None else _shape(declared, f"input {name}'s shape")
    elif kind == "Sequential":
        if depth + 1 > MAX_NESTING:
            raise ConfigError(f"models nested deeper than {MAX_NESTING} levels")
        inner = config.get("layers", [])
        if not isinstance(inner, list):
            raise ConfigError(f"layer {name}'s layers are not a list")
        declared = _declared_input(layer, inner)
        if declared is not None and declared != shape:
            raise ConfigError(f"nested model {name} takes {declared} but receives {shape}")
        return _sequential(inner, shape, tally, depth + 1)
    elif kind in _SAME_SHAPE:
        out = shape
        if kind == "PReLU":
            parameters = math.prod(shape)
    elif kind == "Dense":
        (units,) = _ints(config, "units", None, 1)
        out = (*shape[:-1], units)
        parameters = shape[-1] * units + (units if config.get("use_bias", True) else 0)
    elif kind == "Flatten":
        out = (math.prod(shape),)
    elif kind in ("BatchNormalization", "LayerNormalization"):
        out = shape
        parameters = (4 if kind == "BatchNormalization" else 2) * shape[-1]
    elif kind == "Reshape":
        out = _reshaped(shape, config.get("target_shape"), name)
    else:
        if len(shape) != 3:
            raise ConfigError(f"layer {name} ({kind}) needs (height, width, channels) input, "
                              f"not {shape}")
        height, width, channels = shape
        if kind in _GLOBAL_POOLING:
            out = (channels,)
        elif kind in _POOLING:
            pool = _ints(config, "pool_size", (2, 2))
            strides = _ints(config, "strides", pool)
            padding = config.get("padding", "valid")
            out = (_spatial(height, pool[0], strides[0], padding),
                   _spatial(width, pool[1], strides[1], padding), channels)
        else:  # Conv2D
            (filters,) = _ints(config, "filters", None, 1)
            kernel = _ints(config, "kernel_size", None)
            strides = _ints(config, "strides", (1, 1))
            dilation = _ints(config, "dilation_rate", (1, 1))
            (groups,) = _ints(config, "groups", 1, 1)
            padding = config.get("padding", "valid")
            out = (_spatial(height, kernel[0], strides[0], padding, dilation[0]),
                   _spatial(width, kernel[1], strides[1], padding, dilation[1]), filters)
            parameters = (kernel[0] * kernel[1] * (channels // groups) * filters
                          + (filters if config.get("use_bias", True) else 0))
    tally.add(name, parameters, out)
    return out


def _reshaped(shape: tuple[int, ...], target: Any, name: str) -> tuple[int, ...]:
    total = math.prod(shape)
    if not isinstance(target, list | tuple) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in target):
        raise ConfigError(f"layer {name}: target_shape {_text(target)} is not a shape")
    known = math.prod(n for n in target if n != -1)
    if target.count(-1) > 1 or known <= 0 or total % known:
        raise ConfigError(f"layer {name}: cannot reshape {shape} to {_text(target)}")
    return tuple(total // known if n == -1 else n for n in target)
