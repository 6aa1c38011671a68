"""The exercise contract: which modules and functions students implement.

This table is binding: the graders check exactly these functions, and a project test
proves it matches the solution regions in ``solutions/`` one to one.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

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
    "mnist_classifier": (
        "load_mnist", "load_digits_dataset", "preprocess", "build_model", "train_model",
        "predict_digits", "confusion_matrix",
    ),
}

MODULES: tuple[str, ...] = tuple(CONTRACT)

# The worker profile of each module whose code needs more than numpy (autograder/profiles.py
# defines what a profile allows); every other module runs in the default "numpy" profile.
MODULE_PROFILES: dict[str, str] = {"mnist_classifier": "keras"}


def qualified_functions() -> list[str]:
    """Every contract function as ``module.function``, in contract order."""
    return [f"{module}.{name}" for module, names in CONTRACT.items() for name in names]
