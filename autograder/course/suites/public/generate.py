"""Build ``expected.npz`` for the public (student-visible) suites.

    python -m autograder.course.suites.public.generate      # instructors only: needs solutions/

Students get the public suites and ``expected.npz`` but neither the reference solutions nor
the hidden cases, so this file holds both the inputs (made here from fixed seeds, distinct
from the hidden cases) and the expected outputs (computed with ``solutions/``). Keys are
``"<case>/<field>"``; expected outputs are the fields named ``want_*``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

EXPECTED_PATH = Path(__file__).resolve().with_name("expected.npz")

Case = dict[str, Any]


def _solution(module: str) -> ModuleType:
    return importlib.import_module(f"solutions.{module}")


def _losses(rng: np.random.Generator) -> dict[str, Case]:
    sol = _solution("losses")
    z = rng.normal(0, 3, (3, 4))
    y = rng.integers(0, 2, 6).astype(float)
    p = rng.uniform(0.05, 0.95, 6)
    onehot = np.eye(3)[[0, 2, 1, 2]]
    probs = sol.softmax(rng.normal(0, 1, (4, 3)))
    yt, yp = rng.normal(0, 2, 8), rng.normal(0, 2, 8)
    labels = np.array([0, 1, 2, 1, 0])
    scores = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.5, 0.3, 0.2], [0.1, 0.6, 0.3],
                       [0.3, 0.3, 0.4]])
    return {
        "sigmoid": {"z": z, "want_out": sol.sigmoid(z)},
        "softmax": {"z": z, "want_out": sol.softmax(z)},
        "mse": {"y_true": yt, "y_pred": yp, "want_loss": sol.mean_squared_error(yt, yp)},
        "bce": {"y_true": y, "y_pred": p, "want_loss": sol.binary_crossentropy(y, p)},
        "cce": {"y_true": onehot, "y_pred": probs,
                "want_loss": sol.categorical_crossentropy(onehot, probs)},
        "r2": {"y_true": yt, "y_pred": yt + 0.5 * yp,
               "want_score": sol.r2_score(yt, yt + 0.5 * yp)},
        "accuracy": {"y_true": labels, "y_pred": scores, "want_accuracy":
                     sol.accuracy(labels, scores)},
    }


def _gradient_descent(rng: np.random.Generator) -> dict[str, Case]:
    sol = _solution("gradient_descent")
    X = rng.normal(0, 1, (10, 2))
    y = X @ np.array([1.5, -2.0]) + 0.5 + rng.normal(0, 0.05, 10)
    w, b = np.array([0.3, -0.1]), 0.2
    loss, dw, db = sol.mse_loss_and_grads(X, y, w, b)
    gw, gb, history = sol.gradient_descent(X, y, 0.1, 20)
    lw, lb = sol.least_squares(X, y)
    return {
        "linear": {"X": X, "y": y, "w": w, "b": b, "want_predict": sol.predict(X, w, b),
                   "want_loss": loss, "want_dw": dw, "want_db": db},
        "gd": {"X": X, "y": y, "learning_rate": 0.1, "epochs": 20, "want_w": gw, "want_b": gb,
               "want_history": history},
        "lsq": {"X": X, "y": y, "want_w": lw, "want_b": lb},
    }


def _normalization(rng: np.random.Generator) -> dict[str, Case]:
    sol = _solution("normalization")
    X = rng.normal(0, 1, (6, 3)) * [1.0, 100.0, 0.1] + [0.0, 50.0, 2.0]
    X[:, 2] = 2.0  # a constant column
    X_new = rng.normal(0, 1, (3, 3)) * [1.0, 100.0, 0.1] + [0.0, 50.0, 2.0]
    mean, std = sol.standardize_fit(X)
    x_min, x_max = sol.min_max_fit(X)
    return {"norm": {
        "X": X, "X_new": X_new, "want_mean": mean, "want_std": std, "want_min": x_min,
        "want_max": x_max, "want_standardized": sol.standardize(X_new, mean, std),
        "want_scaled": sol.min_max_scale(X_new, x_min, x_max)}}


def _regularization(rng: np.random.Generator) -> dict[str, Case]:
    sol = _solution("regularization")
    w = np.array([[0.5, -1.0, 0.0], [2.0, 0.0, -0.25]])
    X, y = rng.normal(0, 1, (6, 3)), rng.normal(0, 1, 6)
    v = np.array([0.4, -0.3, 0.0])
    loss, dw, db = sol.regularized_mse_loss_and_grads(X, y, v, 0.1, 0.01, 0.02)
    return {
        "penalty": {"w": w, "want_l1": sol.l1_penalty(w, 0.1), "want_l2": sol.l2_penalty(w, 0.1),
                    "want_l1_l2": sol.l1_l2_penalty(w, 0.1, 0.2),
                    "want_grad": sol.l1_l2_penalty_grad(w, 0.1, 0.2)},
        "regmse": {"X": X, "y": y, "w": v, "b": 0.1, "l1": 0.01, "l2": 0.02,
                   "want_loss": loss, "want_dw": dw, "want_db": db},
    }


def _dropout(rng: np.random.Generator) -> dict[str, Case]:
    sol = _solution("dropout")
    x, dout = rng.normal(0, 1, (4, 5)), rng.normal(0, 1, (4, 5))
    mask = rng.random((4, 5)) >= 0.4
    return {"dropout": {"x": x, "dout": dout, "mask": mask, "rate": 0.4,
                        "want_out": sol.dropout_forward(x, 0.4, mask=mask)[0],
                        "want_dx": sol.dropout_backward(dout, mask, 0.4)}}


_OPTIMIZER_HYPER = {
    "sgd": {"learning_rate": 0.1, "momentum": 0.9},
    "rmsprop": {"learning_rate": 0.01},
    "adagrad": {"learning_rate": 0.1},
    "adadelta": {"learning_rate": 1.0},
    "adam": {"learning_rate": 0.01},
}


def _optimizers(rng: np.random.Generator) -> dict[str, Case]:
    sol = _solution("optimizers")
    w0, grads = rng.normal(0, 1, 3), rng.normal(0, 1, (3, 3))
    result: dict[str, Case] = {}
    for name, hyper in _OPTIMIZER_HYPER.items():
        update, w, state, steps = getattr(sol, f"{name}_update"), w0, {}, []
        for g in grads:
            w, state = update(w, g, state, **hyper)
            steps.append(w)
        result[name] = {"w0": w0, "grads": grads, "want_trajectory": np.stack(steps)}
    clip_in = [np.array([3.0, -4.0]), np.array([0.1, 0.2, -0.2])]
    result["clip"] = {"g0": clip_in[0], "g1": clip_in[1]}
    for fn in ("clip_by_value", "clip_by_norm", "clip_by_global_norm"):
        for i, g in enumerate(getattr(sol, fn)(clip_in, 1.0)):
            result["clip"][f"want_{fn}{i}"] = g
    result["decay"] = {"iterations": np.array([0, 1, 10, 1000]), "want_lr": np.array(
        [sol.inverse_time_decay(0.1, 0.01, i) for i in (0, 1, 10, 1000)])}
    return result


def _batchnorm(rng: np.random.Generator) -> dict[str, Case]:
    sol = _solution("batchnorm")
    x, dout = rng.normal(3, 2, (6, 2)), rng.normal(0, 1, (6, 2))
    gamma, beta = np.array([1.5, 0.5]), np.array([0.0, 1.0])
    rm, rv = np.zeros(2), np.ones(2)
    out, new_rm, new_rv, cache = sol.batchnorm_forward(x, gamma, beta, rm, rv, True)
    dx, dgamma, dbeta = sol.batchnorm_backward(dout, cache)
    infer = sol.batchnorm_forward(x, gamma, beta, new_rm, new_rv, False)[0]
    return {"bn": {"x": x, "dout": dout, "gamma": gamma, "beta": beta, "running_mean": rm,
                   "running_var": rv, "want_out": out, "want_running_mean": new_rm,
                   "want_running_var": new_rv, "want_dx": dx, "want_dgamma": dgamma,
                   "want_dbeta": dbeta, "want_inference_out": infer}}


def _mnist_classifier(rng: np.random.Generator) -> dict[str, Case]:
    """Inputs and outputs of the numpy-valued functions, and the reference network's
    layers and compile settings as the checks describe them (no Keras object is stored)."""
    from autograder.course.suites import keras_models

    sol = _solution("mnist_classifier")
    images, labels = rng.integers(0, 17, (5, 8, 8)).astype(np.uint8), rng.integers(0, 10, 5)
    x, y = sol.preprocess(images, labels, max_value=16.0)
    y_true = rng.integers(0, 4, 40)
    y_pred = np.where(rng.random(40) < 0.6, y_true, rng.integers(0, 4, 40))
    (_, digits_train), (_, digits_test) = sol.load_digits_dataset()
    model = keras_models.trusted_model(sol.build_model(64, hidden_units=(32, 16),
                                                       batch_norm=True, l2=0.01))
    rate = keras_models.compile_summary(model.config)["learning_rate"]
    return {
        "mnist_preprocess": {"images": images, "labels": labels, "want_x": x, "want_y": y},
        "mnist_confusion": {"y_true": y_true, "y_pred": y_pred,
                            "want_counts": sol.confusion_matrix(y_true, y_pred, 4)},
        "mnist_digits": {"want_y_train": digits_train, "want_y_test": digits_test},
        "mnist_model": {"want_layers": np.array(keras_models.layer_summary(model.config, "")),
                        "want_learning_rate": rate},
    }


_BUILDERS: tuple[Callable[[np.random.Generator], dict[str, Case]], ...] = (
    _losses, _gradient_descent, _normalization, _regularization, _dropout, _optimizers,
    _batchnorm, _mnist_classifier)


def compute() -> dict[str, np.ndarray]:
    """Every public input and expected output, flattened to ``case/field`` arrays."""
    flat: dict[str, np.ndarray] = {}
    for seed, build in enumerate(_BUILDERS, start=9000):
        for case, fields in build(np.random.default_rng(seed)).items():
            for field, value in fields.items():
                flat[f"{case}/{field}"] = np.asarray(value)
    return flat


def main() -> int:
    data = compute()
    np.savez_compressed(EXPECTED_PATH, **data)
    print(f"wrote {len(data)} arrays to {EXPECTED_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
