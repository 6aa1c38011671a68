"""Compute the Keras / scikit-learn outputs of the reference cases and cache them.

    python -m autograder.course.references.generate         # rewrites keras_refs.npz
    python -m autograder.course.references.generate --missing  # adds only cases not cached yet

Grading never imports TensorFlow: the hidden suites read these outputs from the committed
``keras_refs.npz`` (keys ``"<case>/<field>"``). ``tests/test_references.py`` recomputes
every entry with live Keras and checks the cache, and checks that the reference solutions
(``solution_outputs``) agree with it at the tolerances in ``TOLERANCES``.

Keras runs on the TensorFlow backend in float32; inputs are float32-exact (see ``cases``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from autograder.course.references import cases

REFS_PATH = Path(__file__).resolve().with_name("keras_refs.npz")
# The versions of the libraries that computed the cache, written beside it, so that a
# grading image (the Gradescope zip's setup.sh) installs exactly those.
VERSIONS_PATH = REFS_PATH.with_name("keras_refs.versions.json")
PINNED_DISTRIBUTIONS = ("tensorflow", "keras", "numpy", "scikit-learn")

Outputs = dict[str, Any]

# (rtol, atol) between the float64 solutions and the float32 Keras outputs, per family;
# the rule: rtol 1e-5, Adam 5e-5, batch-norm dx 1e-3 with atol 1e-5; scikit-learn
# is float64 like the solutions. The atol floors cover float32 rounding near 0. Each is at
# least 3 times what rounding every input to float32 can move the case (checked by
# tests/test_references.py), so a cache made on one CPU or kernel (oneDNN on or off)
# holds on another.
TOLERANCES: dict[str, tuple[float, float]] = {
    "keras": (1e-5, 1e-6),
    "optimizer": (1e-5, 1e-9),  # trajectories from w0 = 0 move by ~1e-6: a tiny floor
    "adam": (5e-5, 1e-9),
    "sklearn": (1e-7, 1e-9),
    "batchnorm_dx": (1e-3, 1e-5),
    "batchnorm_dgamma": (1e-4, 1e-5),  # a float32 sum over N*H*W products
    "batchnorm": (1e-5, 3e-5),  # x - mean in float32 at |mean| ~ 2, std ~ 0.05
    "normalization": (1e-5, 1e-5),
    # (x - mean) / std cancels where |mean| >> std (x2 = 5000 +- 1000, x3 = -3 +- 0.01):
    # float32 rounding of the mean, ~2e-7 of 3, comes out ~2e-5 after dividing by 0.008.
    "normalization_standardized": (1e-5, 1e-4),
    "diverging": (1e-4, 1e-6),
}

# Runs that diverge on purpose. Each epoch multiplies the weights, and with them every
# float32 rounding error, by the same growth factor, so a component much smaller than the
# largest carries an error of the largest one's size: with oneDNN's kernels on, gd_diverge's
# w[1] moved by 1.3e-5 of itself (1.5e-6 of max|w|). What the lecture uses the run for is
# that the loss grows, how fast, and to what size, so: the loss epoch by epoch and b at
# rtol 1e-4, and the weights as a vector, ``|w - w_keras| <= 1e-4 * max|w_keras|``.
DIVERGING = frozenset({"gd_diverge"})
NORMWISE_FIELDS = frozenset({"w"})


def tolerance(name: str, field: str, expected: Any = None) -> tuple[float, float]:
    """The (rtol, atol) at which the solutions must match the cached ``name/field``.

    ``expected`` (the cached value) sets the absolute tolerance of the fields compared as
    a whole vector (``DIVERGING`` cases); elsewhere it is not needed.
    """
    if name in DIVERGING:
        rtol, atol = TOLERANCES["diverging"]
        if field in NORMWISE_FIELDS:
            if expected is None:
                raise ValueError(f"{name}/{field} is compared normwise: pass its cached value")
            atol = max(atol, rtol * float(np.max(np.abs(expected))))
        return rtol, atol
    family = cases.kind(name)
    if family in ("r2", "accuracy", "lsq") or field.startswith("sklearn_"):
        return TOLERANCES["sklearn"]
    if family == "optimizer":
        return TOLERANCES["adam" if cases.get(name)["optimizer"] == "adam" else "optimizer"]
    if family == "batchnorm":
        special = {"dx": "batchnorm_dx", "dgamma": "batchnorm_dgamma"}
        return TOLERANCES[special.get(field, "batchnorm")]
    if family == "normalization":
        return TOLERANCES["normalization_standardized" if field == "keras_standardized"
                          else "normalization"]
    return TOLERANCES["keras"]


# ---------------------------------------------------------------------------------------
# Keras side
# ---------------------------------------------------------------------------------------


def _keras() -> ModuleType:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(f"the references need the TensorFlow backend, not "
                           f"{keras.backend.backend()}")
    keras.config.disable_interactive_logging()
    return keras


def _tf() -> ModuleType:
    import tensorflow as tf

    return tf


def _f32(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def _np(t: Any) -> np.ndarray:
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t, dtype=np.float64)


def _k_activation(case: Mapping[str, Any], which: str) -> Outputs:
    fn = getattr(_keras().activations, which)
    z = _f32(case["z"])
    return {"out": fn(z) if which == "sigmoid" else fn(z, axis=case["axis"])}


def _k_loss(case: Mapping[str, Any], cls: str) -> Outputs:
    if "epsilon" in case:  # Keras has no per-call epsilon
        return {}
    loss = getattr(_keras().losses, cls)()
    return {"loss": loss(_f32(case["y_true"]), _f32(case["y_pred"]))}


def _sk_r2(case: Mapping[str, Any]) -> Outputs:
    from sklearn.metrics import r2_score

    return {"score": r2_score(case["y_true"], case["y_pred"])}


def _labels(a: Any) -> np.ndarray:
    """Keras's reading: one column is binary accuracy (> 0.5), several are categorical."""
    a = np.asarray(a)
    if a.ndim == 2 and a.shape[1] == 1:
        return (a[:, 0] > 0.5).astype(np.int64)
    return np.argmax(a, axis=1) if a.ndim == 2 else a


def _sk_accuracy(case: Mapping[str, Any]) -> Outputs:
    """scikit-learn on labels; sigmoid columns (N, 1) with Keras's own binary accuracy."""
    y_true, y_pred = np.asarray(case["y_true"]), np.asarray(case["y_pred"])
    if y_pred.ndim == 2 and y_pred.shape[1] == 1:
        metric = _keras().metrics.BinaryAccuracy(threshold=0.5)
        metric.update_state(_f32(y_true.reshape(-1, 1)), _f32(y_pred))
        return {"accuracy": metric.result()}
    from sklearn.metrics import accuracy_score

    return {"accuracy": accuracy_score(_labels(y_true), _labels(y_pred))}


def _dense(w: Any, b: float, regularizer: Any = None) -> Any:
    keras = _keras()
    w = np.asarray(w, dtype=np.float64)
    model = keras.Sequential([keras.Input((w.shape[0],)),
                              keras.layers.Dense(1, kernel_regularizer=regularizer)])
    model.set_weights([_f32(w.reshape(-1, 1)), _f32([b])])
    return model


def _k_predict(case: Mapping[str, Any]) -> Outputs:
    return {"out": _np(_dense(case["w"], case["b"])(_f32(case["X"]))).ravel()}


def _k_loss_and_grads(case: Mapping[str, Any], regularizer: Any = None) -> Outputs:
    keras, tf = _keras(), _tf()
    model = _dense(case["w"], case["b"], regularizer)
    with tf.GradientTape() as tape:
        pred = model(_f32(case["X"]), training=True)
        loss = keras.losses.MeanSquaredError()(_f32(case["y"]).reshape(-1, 1), pred)
        if model.losses:
            loss = loss + tf.add_n(model.losses)
    dw, db = tape.gradient(loss, model.trainable_variables)
    return {"loss": loss, "dw": _np(dw).ravel(), "db": _np(db)[0]}


def _k_regmse(case: Mapping[str, Any]) -> Outputs:
    return _k_loss_and_grads(case, _keras().regularizers.L1L2(case["l1"], case["l2"]))


def _k_gd(case: Mapping[str, Any]) -> Outputs:
    keras = _keras()
    d = case["X"].shape[1]
    model = _dense(case.get("w0", np.zeros(d)), case.get("b0", 0.0))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=case["learning_rate"]),
                  loss="mse")
    fit = model.fit(_f32(case["X"]), _f32(case["y"]), batch_size=len(case["X"]),
                    epochs=case["epochs"], shuffle=False, verbose=0)
    kernel, bias = model.get_weights()
    return {"history": np.array(fit.history["loss"]), "w": kernel.ravel(), "b": bias[0]}


def _sk_lsq(case: Mapping[str, Any]) -> Outputs:
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(case["X"], case["y"])
    return {"w": model.coef_, "b": model.intercept_}


def _k_normalization(case: Mapping[str, Any]) -> Outputs:
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    keras = _keras()
    adapted = keras.layers.Normalization()
    adapted.adapt(_f32(case["X"]))
    given = keras.layers.Normalization(mean=case["mean"], variance=case["std"] ** 2)
    scaler = StandardScaler().fit(case["X"])
    minmax = MinMaxScaler().fit(case["X"])
    return {
        "keras_mean": _np(adapted.mean).ravel(),
        "keras_std": np.sqrt(_np(adapted.variance).ravel()),
        "keras_standardized": given(_f32(case["X_apply"])),
        "sklearn_mean": scaler.mean_, "sklearn_std": np.sqrt(scaler.var_),
        "sklearn_min": minmax.data_min_, "sklearn_max": minmax.data_max_,
        "sklearn_minmax_scaled": minmax.transform(case["X_apply"]),
    }


def _as_list(weights: Any) -> list[np.ndarray]:
    return list(weights) if isinstance(weights, list) else [weights]


def _k_penalty(case: Mapping[str, Any]) -> Outputs:
    reg = _keras().regularizers
    ws = [_f32(w) for w in _as_list(case["weights"])]
    l1, l2 = case["l1"], case["l2"]
    return {
        "l1": sum(_np(reg.L1(l1)(w)) for w in ws),
        "l2": sum(_np(reg.L2(l2)(w)) for w in ws),
        "l1_l2": sum(_np(reg.L1L2(l1, l2)(w)) for w in ws),
    }


def _k_penalty_grad(case: Mapping[str, Any]) -> Outputs:
    keras, tf = _keras(), _tf()
    w = tf.Variable(_f32(case["w"]))
    with tf.GradientTape() as tape:
        penalty = keras.regularizers.L1L2(case["l1"], case["l2"])(w)
    return {"grad": tape.gradient(penalty, w)}


def _k_dropout(case: Mapping[str, Any]) -> Outputs:
    keras, tf = _keras(), _tf()
    layer = keras.layers.Dropout(case["rate"], seed=case["seed"])
    x = tf.Variable(_f32(case["x"]))
    with tf.GradientTape() as tape:
        out = layer(x, training=True)
        loss = tf.reduce_sum(out * _f32(case["dout"]))
    out = _np(out)
    # x has no zeros, so the keep-mask Keras drew is exactly where out != 0.
    return {"out": out, "mask": out != 0, "dx": tape.gradient(loss, x)}


_OPTIMIZER_CLASSES = {"sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad",
                      "adadelta": "Adadelta", "adam": "Adam"}


def _k_optimizer(case: Mapping[str, Any]) -> Outputs:
    keras = _keras()
    optimizer = getattr(keras.optimizers, _OPTIMIZER_CLASSES[case["optimizer"]])(
        **case["hyper"])
    w = keras.Variable(_f32(case["w0"]))
    trajectory = []
    for g in case["grads"]:
        optimizer.apply([_f32(g)], [w])
        trajectory.append(_np(w))
    return {"trajectory": np.stack(trajectory)}


def _k_clip(case: Mapping[str, Any], option: str) -> Outputs:
    """Keras's own clipping: one SGD step with learning rate 1 from zeros gives -clipped."""
    keras = _keras()
    optimizer = keras.optimizers.SGD(learning_rate=1.0, **{option: case["clip"]})
    variables = [keras.Variable(np.zeros(np.shape(g), np.float32)) for g in case["grads"]]
    optimizer.apply([_f32(g) for g in case["grads"]], variables)
    return {f"clipped{i}": -_np(v) for i, v in enumerate(variables)}


def _k_decay(case: Mapping[str, Any]) -> Outputs:
    schedule = _keras().optimizers.schedules.InverseTimeDecay(
        case["learning_rate"], decay_steps=1, decay_rate=case["decay"])
    return {"lr": np.array([_np(schedule(step)) for step in case["iterations"]])}


def _k_batchnorm(case: Mapping[str, Any]) -> Outputs:
    keras, tf = _keras(), _tf()
    layer = keras.layers.BatchNormalization(**case["options"])
    layer.build(case["x"].shape)
    layer.set_weights([_f32(case[k]) for k in ("gamma", "beta", "running_mean",
                                                "running_var")])
    x = tf.Variable(_f32(case["x"]))
    with tf.GradientTape() as tape:
        out = layer(x, training=case["training"])
        loss = tf.reduce_sum(out * _f32(case["dout"]))
    result = {"out": out, "running_mean": layer.moving_mean, "running_var":
              layer.moving_variance}
    if case["training"]:
        dx, dgamma, dbeta = tape.gradient(loss, [x, layer.gamma, layer.beta])
        result.update(dx=dx, dgamma=dgamma, dbeta=dbeta)
    return result


_KERAS: dict[str, Callable[[Mapping[str, Any]], Outputs]] = {
    "sigmoid": lambda c: _k_activation(c, "sigmoid"),
    "softmax": lambda c: _k_activation(c, "softmax"),
    "mse": lambda c: _k_loss(c, "MeanSquaredError"),
    "bce": lambda c: _k_loss(c, "BinaryCrossentropy"),
    "cce": lambda c: _k_loss(c, "CategoricalCrossentropy"),
    "r2": _sk_r2,
    "accuracy": _sk_accuracy,
    "predict": _k_predict,
    "mse_grads": _k_loss_and_grads,
    "gd": _k_gd,
    "lsq": _sk_lsq,
    "normalization": _k_normalization,
    "penalty": _k_penalty,
    "penalty_grad": _k_penalty_grad,
    "regmse": _k_regmse,
    "dropout_keras": _k_dropout,
    "optimizer": _k_optimizer,
    "clip_value": lambda c: _k_clip(c, "clipvalue"),
    "clip_norm": lambda c: _k_clip(c, "clipnorm"),
    "clip_global": lambda c: _k_clip(c, "global_clipnorm"),
    "decay": _k_decay,
    "batchnorm": _k_batchnorm,
}

# Cases the cache deliberately leaves out: Keras's float32 clipping bound 1 - 1e-7 rounds
# to 0.99999988, so log(1 - p) at p == 1 differs by ~1% from the float64 contract.
SKIPPED = frozenset({"bce_saturated_wrong"})


def keras_outputs(name: str) -> dict[str, np.ndarray]:
    """Live Keras / scikit-learn outputs of one case (empty for families without one)."""
    family = cases.kind(name)
    if family not in _KERAS or name in SKIPPED:
        return {}
    raw = _KERAS[family](cases.get(name))
    return {field: _plain(value) for field, value in raw.items()}


def _plain(value: Any) -> np.ndarray:
    array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    return array if array.dtype == bool else array.astype(np.float64)


# ---------------------------------------------------------------------------------------
# Solution side: the same fields from the reference solutions (for tests/test_references)
# ---------------------------------------------------------------------------------------


def _solutions(module: str) -> ModuleType:
    import importlib

    return importlib.import_module(f"solutions.{module}")


def _s_losses(case: Mapping[str, Any], family: str) -> Outputs:
    losses = _solutions("losses")
    if family in ("sigmoid", "softmax"):
        args = (case["z"],) if family == "sigmoid" else (case["z"], case["axis"])
        return {"out": getattr(losses, family)(*args)}
    if family in ("r2", "accuracy"):
        fn = losses.r2_score if family == "r2" else losses.accuracy
        return {"score" if family == "r2" else "accuracy": fn(case["y_true"], case["y_pred"])}
    fn = {"mse": losses.mean_squared_error, "bce": losses.binary_crossentropy,
          "cce": losses.categorical_crossentropy}[family]
    extra = {"epsilon": case["epsilon"]} if "epsilon" in case else {}
    return {"loss": fn(case["y_true"], case["y_pred"], **extra)}


def _s_gradient_descent(case: Mapping[str, Any], family: str) -> Outputs:
    gd = _solutions("gradient_descent")
    if family == "predict":
        return {"out": gd.predict(case["X"], case["w"], case["b"])}
    if family == "mse_grads":
        return dict(zip(("loss", "dw", "db"),
                        gd.mse_loss_and_grads(case["X"], case["y"], case["w"], case["b"]),
                        strict=True))
    if family == "lsq":
        return dict(zip(("w", "b"), gd.least_squares(case["X"], case["y"]), strict=True))
    w, b, history = gd.gradient_descent(case["X"], case["y"], case["learning_rate"],
                                        case["epochs"], case.get("w0"), case.get("b0", 0.0))
    return {"w": w, "b": b, "history": history}


def _s_normalization(case: Mapping[str, Any]) -> Outputs:
    norm = _solutions("normalization")
    mean, std = norm.standardize_fit(case["X"])
    x_min, x_max = norm.min_max_fit(case["X"])
    return {
        "keras_mean": mean, "keras_std": std, "sklearn_mean": mean, "sklearn_std": std,
        "keras_standardized": norm.standardize(case["X_apply"], case["mean"], case["std"]),
        "sklearn_min": x_min, "sklearn_max": x_max,
        "sklearn_minmax_scaled": norm.min_max_scale(case["X_apply"], case["x_min"],
                                                    case["x_max"]),
    }


def _s_regularization(case: Mapping[str, Any], family: str) -> Outputs:
    reg = _solutions("regularization")
    if family == "penalty":
        w, l1, l2 = case["weights"], case["l1"], case["l2"]
        return {"l1": reg.l1_penalty(w, l1), "l2": reg.l2_penalty(w, l2),
                "l1_l2": reg.l1_l2_penalty(w, l1, l2)}
    if family == "penalty_grad":
        return {"grad": reg.l1_l2_penalty_grad(case["w"], case["l1"], case["l2"])}
    result = reg.regularized_mse_loss_and_grads(case["X"], case["y"], case["w"], case["b"],
                                                case["l1"], case["l2"])
    return dict(zip(("loss", "dw", "db"), result, strict=True))


def _s_dropout(case: Mapping[str, Any], cached_mask: np.ndarray) -> Outputs:
    dropout = _solutions("dropout")
    out, mask = dropout.dropout_forward(case["x"], case["rate"], mask=cached_mask)
    return {"out": out, "mask": mask,
            "dx": dropout.dropout_backward(case["dout"], cached_mask, case["rate"])}


def _s_optimizers(case: Mapping[str, Any], family: str) -> Outputs:
    opt = _solutions("optimizers")
    if family == "optimizer":
        update = getattr(opt, f"{case['optimizer']}_update")
        w, state, trajectory = case["w0"], {}, []
        for g in case["grads"]:
            w, state = update(w, g, state, **case["hyper"])
            trajectory.append(w)
        return {"trajectory": np.stack(trajectory)}
    if family == "decay":
        return {"lr": np.array([opt.inverse_time_decay(case["learning_rate"], case["decay"], i)
                                for i in case["iterations"]])}
    clip = {"clip_value": opt.clip_by_value, "clip_norm": opt.clip_by_norm,
            "clip_global": opt.clip_by_global_norm}[family]
    return {f"clipped{i}": g for i, g in enumerate(clip(case["grads"], case["clip"]))}


def _s_batchnorm(case: Mapping[str, Any]) -> Outputs:
    bn = _solutions("batchnorm")
    out, rm, rv, cache = bn.batchnorm_forward(
        case["x"], case["gamma"], case["beta"], case["running_mean"], case["running_var"],
        case["training"], **case["options"])
    result = {"out": out, "running_mean": rm, "running_var": rv}
    if case["training"]:
        result.update(zip(("dx", "dgamma", "dbeta"), bn.batchnorm_backward(case["dout"], cache),
                          strict=True))
    return result


_LOSS_FAMILIES = ("sigmoid", "softmax", "mse", "bce", "cce", "r2", "accuracy")
_GD_FAMILIES = ("predict", "mse_grads", "gd", "lsq")


def solution_outputs(name: str, refs: Mapping[str, np.ndarray],
                     case: Mapping[str, Any] | None = None) -> Outputs:
    """The reference solutions' values for the fields of ``name`` that ``refs`` caches.

    ``refs`` supplies the one input numpy cannot make: the dropout mask Keras drew;
    ``case`` replaces the case's inputs (e.g. perturbed ones), default ``cases.get(name)``.
    """
    family = cases.kind(name)
    case = cases.get(name) if case is None else case
    if family in _LOSS_FAMILIES:
        result = _s_losses(case, family)
    elif family in _GD_FAMILIES:
        result = _s_gradient_descent(case, family)
    elif family == "normalization":
        result = _s_normalization(case)
    elif family in ("penalty", "penalty_grad", "regmse"):
        result = _s_regularization(case, family)
    elif family == "dropout_keras":
        result = _s_dropout(case, refs[f"{name}/mask"])
    elif family == "batchnorm":
        result = _s_batchnorm(case)
    else:
        result = _s_optimizers(case, family)
    return {field: result[field] for field in result if f"{name}/{field}" in refs}


# ---------------------------------------------------------------------------------------


def compute_all() -> dict[str, np.ndarray]:
    refs: dict[str, np.ndarray] = {}
    for name in cases.names():
        for field, value in keras_outputs(name).items():
            refs[f"{name}/{field}"] = value
    return refs


def write(refs: Mapping[str, np.ndarray], path: Path = REFS_PATH) -> None:
    np.savez_compressed(path, **dict(sorted(refs.items())))
    versions = path.with_name(VERSIONS_PATH.name)
    versions.write_text(json.dumps(installed_versions(), indent=2) + "\n", encoding="utf-8")


def installed_versions() -> dict[str, str]:
    """The installed versions of the libraries the cache depends on."""
    from importlib.metadata import version

    return {name: version(name) for name in PINNED_DISTRIBUTIONS}


def recorded_versions(path: Path = VERSIONS_PATH) -> dict[str, str]:
    """The versions the cache was computed with (see ``write``)."""
    versions = json.loads(path.read_text(encoding="utf-8"))
    missing = [name for name in PINNED_DISTRIBUTIONS if name not in versions]
    if missing:
        raise ValueError(f"{path} does not record {', '.join(missing)}")
    return {name: str(versions[name]) for name in PINNED_DISTRIBUTIONS}


def add_missing(path: Path = REFS_PATH) -> dict[str, np.ndarray]:
    """The cache plus live outputs for the cases it lacks; cached entries stay as they are
    (recomputing them on another CPU would move float32 values by rounding only)."""
    with np.load(path, allow_pickle=False) as data:
        refs = {key: data[key] for key in data.files}
    cached = {key.rsplit("/", 1)[0] for key in refs}
    for name in cases.names():
        if name not in cached:
            for field, value in keras_outputs(name).items():
                refs[f"{name}/{field}"] = value
    return refs


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    refs = add_missing() if "--missing" in args else compute_all()
    write(refs)
    print(f"wrote {len(refs)} reference arrays for {len({k.rsplit('/', 1)[0] for k in refs})} "
          f"cases to {REFS_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
