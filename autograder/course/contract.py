"""The exercise contract: which modules and functions students implement.

This table is binding: the graders check exactly these functions, and a project test
proves it matches the solution regions in ``solutions/`` one to one.
"""

from __future__ import annotations

from pathlib import Path

COURSE_DIR = Path(__file__).resolve().parent
REPO_ROOT = COURSE_DIR.parents[1]

CONTRACT: dict[str, tuple[str, ...]] = {
    "losses": (
        "sigmoid", "softmax", "mean_squared_error", "binary_crossentropy",
        "categorical_crossentropy", "r2_score", "accuracy",
    ),
    "gradient_descent": (
        "predict", "mse_loss_and_grads", "gradient_descent", "least_squares",
        "diagnose_learning_rate",
    ),
    "normalization": ("standardize_fit", "standardize", "min_max_fit", "min_max_scale"),
    "regularization": (
        "l1_penalty", "l2_penalty", "l1_l2_penalty", "l1_l2_penalty_grad",
        "regularized_mse_loss_and_grads",
    ),
    "dropout": ("dropout_forward", "dropout_backward"),
    "optimizers": (
        "sgd_update", "rmsprop_update", "adagrad_update", "adadelta_update", "adam_update",
        "clip_by_value", "clip_by_norm", "clip_by_global_norm", "inverse_time_decay",
    ),
    "batchnorm": ("batchnorm_forward", "batchnorm_backward"),
}

MODULES: tuple[str, ...] = tuple(CONTRACT)


def qualified_functions() -> list[str]:
    """Every contract function as ``module.function``, in contract order."""
    return [f"{module}.{name}" for module, names in CONTRACT.items() for name in names]

# The only arguments a contract function may change in place, as (position, name): the
# optimizers' ``state`` ("You may update and return the same dict") and batch norm's
# ``cache`` (the student's own object). The docstrings promise that every other argument
# of every contract function comes back unchanged, and the graders check it.
MAY_MODIFY: dict[str, tuple[int, str]] = {
    **{f"{rule}_update": (2, "state") for rule in ("sgd", "rmsprop", "adagrad", "adadelta",
                                                    "adam")},
    "batchnorm_backward": (1, "cache"),
}
