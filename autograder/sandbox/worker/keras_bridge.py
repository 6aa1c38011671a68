"""Keras objects across the worker boundary, on the worker's (untrusted) side.

Loaded by ``server.py`` only when started with ``--bridge keras`` (the ``keras`` worker
profile, ``autograder/sandbox/profiles.py``). Like ``server.py`` it imports nothing of the grader:
only the standard library, numpy and, lazily, Keras.

- Arguments: a ``ModelData`` (config JSON + weights) the grader sent becomes a compiled
  Keras model before the student's function sees it.
- Seeds: every call starts from ``seed_call(KERAS_CALL_SEED)`` (``protocol.py``), before
  the models it is sent are rebuilt: Python's, numpy's and TensorFlow's generators seeded
  and TensorFlow's ops deterministic, so a call trains the same way each time it is made.
- Results: a Keras model, or the History ``fit`` returns, becomes plain data the protocol
  can carry (a model: ``{"keras_model": {"class", "config", "weights"}}``; a History:
  ``{"keras_history": {"history", "params", "model"}}``). Everything else is left as it is.

The grader believes none of it: it validates the config against an allow-list, rebuilds the
model itself and measures it on its own data (``autograder/course/suites/keras_models.py``).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

MAX_DEPTH = 16
_deterministic = False


def preload() -> None:
    """Import Keras and TensorFlow before any student code, with deterministic ops.

    At worker start, before the student's module is imported: the seconds of TensorFlow's
    start-up pass while the grader is busy elsewhere, and the student's own ``import
    keras`` finds it loaded. TensorFlow's C++ start-up lines (time-stamped, with the pid)
    ignore TF_CPP_MIN_LOG_LEVEL; sent to /dev/null here, they never reach the output the
    student sees, and neither do its Python warnings, which name memory addresses: that
    output then stays the same from one grading to the next.
    """
    global _deterministic
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            import keras  # noqa: F401 - loaded for the student's calls
            import tensorflow as tf

            tf.config.experimental.enable_op_determinism()
            # Its Python warnings (retracing...) name memory addresses: errors only.
            tf.get_logger().setLevel("ERROR")
            _deterministic = True
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def seed_call(seed: int) -> None:
    """Seed Python, numpy and TensorFlow, and make TensorFlow's ops deterministic.

    The order matters and ``autograder/course/references/mnist_runs.py`` repeats it: seed,
    then rebuild the sent models (a Dropout layer draws its own seed when it is built),
    then the call.
    """
    global _deterministic
    import keras

    if not _deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
        _deterministic = True
    keras.utils.set_random_seed(seed)


def import_value(value: Any, model_data: type, depth: int = 0) -> Any:
    """``value`` with every ``model_data`` instance (at any depth) rebuilt as a Keras model."""
    if type(value) is model_data:
        return rebuild(value.config, value.weights)
    if depth > MAX_DEPTH:
        return value
    if type(value) in (list, tuple):
        return type(value)(import_value(v, model_data, depth + 1) for v in value)
    if type(value) is dict:
        return {k: import_value(v, model_data, depth + 1) for k, v in value.items()}
    return value


def rebuild(config: str, weights: tuple[np.ndarray, ...]) -> Any:
    """A compiled Keras model from its ``to_json()`` config and weights."""
    import keras

    model = keras.models.model_from_json(config)  # compiles it from its compile_config
    model.set_weights(list(weights))
    return model


def export_value(value: Any, depth: int = 0) -> Any:
    """``value`` with Keras models and histories (at any depth) turned into plain data."""
    keras = sys.modules.get("keras")
    if keras is None:  # nothing imported Keras, so no Keras object can be in the result
        return value
    if isinstance(value, keras.Model):
        return {"keras_model": export_model(value)}
    if isinstance(value, keras.callbacks.History):
        return {"keras_history": export_history(value)}
    if depth > MAX_DEPTH:
        return value
    if type(value) in (list, tuple):
        return type(value)(export_value(v, depth + 1) for v in value)
    if type(value) is dict:
        return {k: export_value(v, depth + 1) for k, v in value.items()}
    return value


def export_model(model: Any) -> dict[str, Any]:
    """A model as its class name, ``to_json()`` config and float weights."""
    weights = [np.array(w) for w in model.get_weights()]
    return {"class": type(model).__name__, "config": model.to_json(), "weights": weights}


def export_history(history: Any) -> dict[str, Any]:
    """A History as its per-epoch values, its params and the model it trained (or None)."""
    values = {str(k): np.asarray(v, dtype=np.float64) for k, v in dict(history.history).items()}
    params = {str(k): v for k, v in dict(getattr(history, "params", None) or {}).items()}
    model = getattr(history, "model", None)
    keras = sys.modules["keras"]
    return {"history": values, "params": params,
            "model": export_model(model) if isinstance(model, keras.Model) else None}
