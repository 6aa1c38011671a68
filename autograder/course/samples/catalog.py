"""The sample submissions, as a specification rather than as files.

Each mistake sample is the reference solution with ONE realistic student mistake: an exact
``old`` snippet of ``solutions/<module>.py`` replaced by ``new``. ``expected_failing`` is the
set of contract functions (``module.function``) that must lose points when the sample is
graded with the hidden suites; it is more than the edited function when the solution calls
that function internally (e.g. ``l1_l2_penalty`` calls ``l2_penalty``), exactly as a
student's own code would.

``materialize(dest)`` writes one submission directory per sample (the module files, with
the ``# BEGIN/END SOLUTION`` marker lines dropped, as a student's filled-in stub would
look), plus ``reference`` (unchanged solutions), ``stubs`` (the untouched ``assignments/``),
a submission missing a module and one with a syntax error in a module.

Grading ``mnist_classifier`` starts TensorFlow in its worker and trains a network (~10 s),
so only the samples about it (``reference``, ``stubs`` and its own mistakes) carry that
file; every other sample leaves it out (``left_out``) and loses its points as not
submitted, which ``expected_failing`` includes.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder.course.contract import CONTRACT, MODULE_PROFILES, MODULES, REPO_ROOT

MARKERS = ("# BEGIN SOLUTION", "# END SOLUTION")
# Modules whose grading is slow (their own worker profile): only in the samples about them.
HEAVY_MODULES: tuple[str, ...] = tuple(m for m in MODULES if m in MODULE_PROFILES)


@dataclass(frozen=True)
class Sample:
    """One sample submission.

    kind: ``"mistake"`` (one replacement in ``module``), ``"reference"``, ``"stubs"``,
    ``"missing_module"`` (``module`` left out) or ``"syntax_error"`` (the replacement breaks
    ``module``'s syntax).
    """

    name: str
    kind: str
    description: str
    expected_failing: frozenset[str]
    module: str | None = None
    function: str | None = None
    old: str = ""
    new: str = ""
    left_out: tuple[str, ...] = ()  # modules not in the sample (HEAVY_MODULES, see above)


def _all(module: str) -> frozenset[str]:
    return frozenset(f"{module}.{f}" for f in CONTRACT[module])


def _heavy_left_out(module: str | None) -> tuple[str, ...]:
    return tuple(m for m in HEAVY_MODULES if m != module)


def _mistake(name: str, module: str, function: str, description: str, old: str, new: str,
             *also_failing: str) -> Sample:
    left_out = _heavy_left_out(module)
    failing = frozenset({f"{module}.{function}", *(f"{module}.{f}" for f in also_failing),
                         *(f for m in left_out for f in _all(m))})
    return Sample(name, "mistake", description, failing, module, function, old, new, left_out)


MISTAKES: tuple[Sample, ...] = (
    _mistake(
        "adam_no_bias_correction", "optimizers", "adam_update",
        "Adam without bias correction (alpha = learning_rate)",
        "alpha = learning_rate * np.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)",
        "alpha = learning_rate"),
    _mistake(
        "adam_amsgrad_ignored", "optimizers", "adam_update",
        "amsgrad=True ignored",
        '    if amsgrad:\n        v = np.maximum(state.get("v_hat", zeros), v)\n'
        '        state["v_hat"] = v\n',
        ""),
    _mistake(
        "rmsprop_epsilon_outside_sqrt", "optimizers", "rmsprop_update",
        "RMSprop with epsilon outside the square root",
        "increment = learning_rate * g / np.sqrt(den + epsilon)",
        "increment = learning_rate * g / (np.sqrt(den) + epsilon)"),
    _mistake(
        "adagrad_accumulator_from_zero", "optimizers", "adagrad_update",
        "Adagrad accumulator starting at 0 instead of initial_accumulator_value",
        'state.get("accumulator", np.full_like(w, initial_accumulator_value))',
        'state.get("accumulator", np.zeros_like(w))'),
    _mistake(
        "sgd_nesterov_ignored", "optimizers", "sgd_update",
        "nesterov=True ignored (classic momentum every time)",
        "    if nesterov:\n        return w + momentum * m - learning_rate * g, state\n",
        ""),
    _mistake(
        "sgd_in_place", "optimizers", "sgd_update",
        "plain SGD step written in place (w -= ...), which changes the caller's w",
        "        return w - learning_rate * g, state\n",
        "        w -= learning_rate * g\n        return w, state\n"),
    _mistake(
        "clipnorm_applied_globally", "optimizers", "clip_by_norm",
        "clipnorm computed over all gradients together (that is global_clipnorm)",
        "    clipped = []\n    for g in grads:\n        g = np.asarray(g, dtype=np.float64)\n"
        "        clipped.append(g * clipnorm / max(float(np.sqrt(np.sum(g**2))), clipnorm))\n"
        "    return clipped\n",
        "    return clip_by_global_norm(grads, clipnorm)\n"),
    _mistake(
        "decay_off_by_one", "optimizers", "inverse_time_decay",
        "inverse time decay evaluated one iteration late",
        "learning_rate / (1.0 + decay * iterations)",
        "learning_rate / (1.0 + decay * (iterations + 1))"),
    _mistake(
        "dropout_no_scaling", "dropout", "dropout_forward",
        "dropout without the 1/(1-rate) scaling",
        "return x * mask / (1.0 - rate), mask",
        "return x * mask, mask"),
    _mistake(
        "dropout_rate_as_keep_prob", "dropout", "dropout_forward",
        "rate read as the keep probability (TF1's keep_prob) when drawing the mask",
        "mask = rng.random(x.shape) >= rate",
        "mask = rng.random(x.shape) < rate"),
    _mistake(
        "dropout_backward_no_scaling", "dropout", "dropout_backward",
        "dropout backward without the 1/(1-rate) scaling",
        "return dout * np.asarray(mask, dtype=bool) / (1.0 - rate)",
        "return dout * np.asarray(mask, dtype=bool)"),
    _mistake(
        "batchnorm_unbiased_variance", "batchnorm", "batchnorm_forward",
        "batch norm with the unbiased variance (ddof=1); the cache carries it into backward",
        "mean, var = x.mean(axis=axes), x.var(axis=axes)",
        "mean, var = x.mean(axis=axes), x.var(axis=axes, ddof=1)",
        "batchnorm_backward"),
    _mistake(
        "batchnorm_inference_batch_stats", "batchnorm", "batchnorm_forward",
        "batch statistics used at inference instead of the running ones",
        "out = gamma * (x - running_mean) / np.sqrt(running_var + epsilon) + beta",
        "axes = tuple(range(x.ndim - 1))\n"
        "        out = gamma * (x - x.mean(axis=axes)) / np.sqrt(x.var(axis=axes) + epsilon)"
        " + beta"),
    _mistake(
        "batchnorm_backward_no_stat_terms", "batchnorm", "batchnorm_backward",
        "batch-norm dx that ignores the batch mean and variance's dependence on x",
        "dx = gamma * inv_std / m * (m * dout - dbeta - x_hat * dgamma)",
        "dx = gamma * inv_std * dout"),
    _mistake(
        "standardize_ddof1", "normalization", "standardize_fit",
        "standard deviation with ddof=1 (sample std) instead of the population std",
        "return X.mean(axis=0), X.std(axis=0)",
        "return X.mean(axis=0), X.std(axis=0, ddof=1)"),
    _mistake(
        "min_max_scale_clipped", "normalization", "min_max_scale",
        "min-max scaled data clipped to [0, 1]",
        "return (X - x_min) / np.where(scale < epsilon, 1.0, scale)",
        "return np.clip((X - x_min) / np.where(scale < epsilon, 1.0, scale), 0.0, 1.0)"),
    _mistake(
        "min_max_scale_epsilon_floor", "normalization", "min_max_scale",
        "a zero range floored at epsilon (Keras's rule for the std) instead of divided by 1",
        "return (X - x_min) / np.where(scale < epsilon, 1.0, scale)",
        "return (X - x_min) / np.maximum(scale, epsilon)"),
    _mistake(
        "standardize_in_place", "normalization", "standardize",
        "X standardized in place (np.asarray does not copy a float64 array: the caller's X "
        "changes)",
        "    return (X - mean) / np.maximum(std, epsilon)\n",
        "    X -= mean\n    X /= np.maximum(std, epsilon)\n    return X\n"),
    _mistake(
        "l2_with_half", "regularization", "l2_penalty",
        "L2 penalty with a factor 1/2 (l1_l2_penalty and the regularized loss use it)",
        "return float(l2 * sum(np.sum(np.square(w)) for w in _as_list(weights)))",
        "return float(0.5 * l2 * sum(np.sum(np.square(w)) for w in _as_list(weights)))",
        "l1_l2_penalty", "regularized_mse_loss_and_grads"),
    _mistake(
        "l2_grad_without_2", "regularization", "l1_l2_penalty_grad",
        "L2 gradient without the factor 2 (the regularized dw uses it)",
        "return l1 * np.sign(w) + 2.0 * l2 * w",
        "return l1 * np.sign(w) + l2 * w",
        "regularized_mse_loss_and_grads"),
    _mistake(
        "softmax_no_max_shift", "losses", "softmax",
        "softmax without subtracting the maximum (overflows for large logits)",
        "shifted = np.exp(z - np.max(z, axis=axis, keepdims=True))",
        "shifted = np.exp(z)"),
    _mistake(
        "sigmoid_overflow", "losses", "sigmoid",
        "the textbook 1 / (1 + exp(-z)): right values, but exp overflows (a warning) for "
        "z < -709",
        "    e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n",
        "    return 1.0 / (1.0 + np.exp(-z))\n"),
    _mistake(
        "accuracy_argmax_single_column", "losses", "accuracy",
        "argmax applied to (N, 1) sigmoid columns too (every row becomes class 0)",
        "        if values.ndim == 2 and values.shape[1] == 1:\n"
        "            return (values[:, 0] > 0.5).astype(np.int64)\n",
        ""),
    _mistake(
        "bce_no_clipping", "losses", "binary_crossentropy",
        "binary cross-entropy without clipping the probabilities",
        "p = np.clip(np.asarray(y_pred, dtype=np.float64), epsilon, 1.0 - epsilon)",
        "p = np.asarray(y_pred, dtype=np.float64)"),
    _mistake(
        "cce_no_renormalisation", "losses", "categorical_crossentropy",
        "categorical cross-entropy without renormalising the rows of y_pred",
        "p = np.clip(p / np.sum(p, axis=1, keepdims=True), epsilon, 1.0 - epsilon)",
        "p = np.clip(p, epsilon, 1.0 - epsilon)"),
    _mistake(
        "r2_no_constant_rule", "losses", "r2_score",
        "R^2 computed as 1 - SS_res/SS_tot even for a constant target",
        "scores = np.where(ss_tot == 0, np.where(ss_res == 0, 1.0, 0.0), 1.0 - ss_res / safe_tot)",
        "scores = 1.0 - ss_res / ss_tot"),
    _mistake(
        "mse_grads_without_factor_2", "gradient_descent", "mse_loss_and_grads",
        "MSE gradients without the factor 2 (gradient_descent uses them)",
        "return float(np.mean(r**2)), (2.0 / n) * (X.T @ r), float(2.0 / n * np.sum(r))",
        "return float(np.mean(r**2)), (1.0 / n) * (X.T @ r), float(1.0 / n * np.sum(r))",
        "gradient_descent"),
    _mistake(
        "gd_history_after_update", "gradient_descent", "gradient_descent",
        "loss history recorded after each update instead of before",
        "            history[i], dw, db = mse_loss_and_grads(X, y, w, b)\n"
        "            w = w - learning_rate * dw\n"
        "            b = b - learning_rate * db\n",
        "            _, dw, db = mse_loss_and_grads(X, y, w, b)\n"
        "            w = w - learning_rate * dw\n"
        "            b = b - learning_rate * db\n"
        "            history[i] = mse_loss_and_grads(X, y, w, b)[0]\n"),
    _mistake(
        "diagnose_ignores_nan", "gradient_descent", "diagnose_learning_rate",
        "no check for non-finite losses in the diagnosis",
        "if not np.all(np.isfinite(history)) or last > first:",
        "if last > first:"),
    _mistake(
        "mnist_loss_softmax", "mnist_classifier", "build_model",
        "the deck's loss='softmax' (not a loss: fit fails, so the accuracy test fails too)",
        'loss="categorical_crossentropy", metrics=["accuracy"])',
        'loss="softmax", metrics=["accuracy"])',
        "train_model"),
    _mistake(
        "confusion_matrix_transposed", "mnist_classifier", "confusion_matrix",
        "confusion matrix with rows predicted and columns true",
        "return flat.reshape(num_classes, num_classes).astype(np.int64)",
        "return flat.reshape(num_classes, num_classes).T.astype(np.int64)"),
)

SPECIAL: tuple[Sample, ...] = (
    Sample("reference", "reference", "the reference solutions, unchanged", frozenset()),
    Sample("stubs", "stubs", "the untouched student stubs (every function raises "
           "NotImplementedError)", frozenset(f"{m}.{f}" for m in MODULES for f in CONTRACT[m])),
    Sample("missing_batchnorm", "missing_module", "batchnorm.py not submitted",
           _all("batchnorm").union(*map(_all, HEAVY_MODULES)), module="batchnorm",
           left_out=HEAVY_MODULES),
    Sample("syntax_error_normalization", "syntax_error",
           "a missing colon in normalization.py",
           _all("normalization").union(*map(_all, HEAVY_MODULES)),
           module="normalization", function="min_max_fit",
           old="def min_max_fit(X: ArrayLike) -> tuple[np.ndarray, np.ndarray]:",
           new="def min_max_fit(X: ArrayLike) -> tuple[np.ndarray, np.ndarray]",
           left_out=HEAVY_MODULES),
)

SAMPLES: tuple[Sample, ...] = SPECIAL + MISTAKES


def by_name(name: str) -> Sample:
    for sample in SAMPLES:
        if sample.name == name:
            return sample
    raise KeyError(f"no sample named {name!r}")


def expected_passing(sample: Sample) -> frozenset[str]:
    """The contract functions that must keep full points for ``sample``."""
    every = {f"{m}.{f}" for m in MODULES for f in CONTRACT[m]}
    return frozenset(every - sample.expected_failing)


def student_source(solution_text: str) -> str:
    """A solution file as a student's filled-in stub: the marker lines dropped."""
    lines = solution_text.splitlines(keepends=True)
    return "".join(line for line in lines if line.strip() not in MARKERS)


def apply(sample: Sample, source: str) -> str:
    """``source`` with the sample's one replacement (``old`` must occur exactly once)."""
    count = source.count(sample.old)
    if count != 1:
        raise ValueError(f"sample {sample.name}: the snippet to replace occurs {count} times "
                         f"in {sample.module}.py (expected exactly once): {sample.old!r}")
    return source.replace(sample.old, sample.new)


def _write_solutions(target: Path, root: Path, sample: Sample) -> None:
    for module in MODULES:
        if module in sample.left_out or (sample.kind == "missing_module"
                                         and module == sample.module):
            continue
        source = student_source((root / "solutions" / f"{module}.py").read_text("utf-8"))
        if sample.module == module and sample.old:
            source = apply(sample, source)
        (target / f"{module}.py").write_text(source, encoding="utf-8")


def materialize(dest_dir: Path | str, root: Path = REPO_ROOT) -> list[Path]:
    """Write every sample as ``dest_dir/<name>/<module>.py``; returns the directories."""
    dest = Path(dest_dir)
    written = []
    for sample in SAMPLES:
        target = dest / sample.name
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        if sample.kind == "stubs":
            for module in MODULES:
                shutil.copy2(root / "assignments" / f"{module}.py", target / f"{module}.py")
        else:
            _write_solutions(target, root, sample)
        written.append(target)
    return written
