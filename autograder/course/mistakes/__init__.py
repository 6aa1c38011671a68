"""The mistake catalogue: which typical wrong implementations each contract function is
checked against, by id.

A suite passes ``values(function, compute)`` to ``check_close(..., mistakes=...)``; when a
student's wrong answer matches a model, the test records the model's id and the feedback
names the likely mistake, in the course's language, from the message catalogue
(``autograder.grading.messages``; the texts of these ids are ``en.toml`` and ``ko.toml``
here, so they stay on the trusted side with the models). The models themselves are in
``models``. Trusted side only: this package is never shipped to students.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from autograder.course.mistakes import models as m

HINTS_DIR = Path(__file__).resolve().parent  # en.toml, ko.toml: the hint of every id

# contract function -> the models of its typical mistakes; a model's name is its id.
MISTAKES: dict[str, tuple[Callable[..., Any], ...]] = {
    "softmax": (m.softmax_without_max_shift, m.softmax_sum_over_everything),
    "mean_squared_error": (m.mse_with_half,),
    "binary_crossentropy": (m.bce_without_clipping, m.bce_clip_ignoring_epsilon),
    "categorical_crossentropy": (m.cce_without_renormalising, m.cce_without_clipping,
                                 m.cce_without_keepdims, m.cce_summed_over_rows),
    "r2_score": (m.r2_without_constant_rule, m.r2_flattened),
    "accuracy": (m.accuracy_argmax_axis0, m.accuracy_argmax_single_column),
    "mse_loss_and_grads": (m.mse_grads_without_factor_2, m.mse_grads_without_mean),
    "gradient_descent": (m.gd_history_after_update, m.gd_bias_not_updated),
    "least_squares": (m.least_squares_without_bias,),
    "diagnose_learning_rate": (m.diagnose_without_finite_check, m.diagnose_ratio_form),
    "standardize_fit": (m.standardize_fit_ddof1,),
    "standardize": (m.standardize_epsilon_added, m.standardize_without_guard),
    "min_max_fit": (m.min_max_fit_swapped,),
    "min_max_scale": (m.min_max_scale_without_guard, m.min_max_scale_epsilon_floor,
                      m.min_max_scale_clipped),
    "l1_penalty": (m.l1_penalty_mean,),
    "l2_penalty": (m.l2_penalty_with_half, m.l2_penalty_norm_not_squared),
    "l1_l2_penalty": (m.l1_l2_penalty_keras2_defaults, m.l1_l2_penalty_with_half),
    "l1_l2_penalty_grad": (m.l1_l2_grad_without_2, m.l1_l2_grad_sign_zero_is_one),
    "regularized_mse_loss_and_grads": (m.regmse_penalty_divided_by_n,
                                       m.regmse_bias_regularized,
                                       m.regmse_penalty_without_gradient),
    "dropout_forward": (m.dropout_forward_without_scaling, m.dropout_forward_rate_as_keep_prob,
                        m.dropout_forward_mask_flipped, m.dropout_forward_scaled_at_inference,
                        m.dropout_forward_mask_as_weights),
    "dropout_backward": (m.dropout_backward_without_scaling, m.dropout_backward_drop_mask),
    "sgd_update": (m.sgd_nesterov_as_classic, m.sgd_momentum_ignored),
    "rmsprop_update": (m.rmsprop_epsilon_outside_sqrt, m.rmsprop_centered_ignored,
                       m.rmsprop_momentum_ignored),
    "adagrad_update": (m.adagrad_accumulator_from_zero, m.adagrad_epsilon_outside_sqrt),
    "adadelta_update": (m.adadelta_without_learning_rate,),
    "adam_update": (m.adam_without_bias_correction, m.adam_textbook_epsilon,
                    m.adam_amsgrad_ignored),
    "clip_by_value": (m.clip_by_value_keeping_sign_only,),
    "clip_by_norm": (m.clip_by_norm_global, m.clip_by_norm_always_rescaled),
    "clip_by_global_norm": (m.clip_by_global_norm_per_tensor,),
    "inverse_time_decay": (m.inverse_time_decay_off_by_one, m.inverse_time_decay_exponential),
    "batchnorm_forward": (m.batchnorm_forward_unbiased_variance,
                          m.batchnorm_forward_epsilon_outside_sqrt,
                          m.batchnorm_forward_swapped_momentum,
                          m.batchnorm_forward_unbiased_running_variance,
                          m.batchnorm_forward_batch_stats_at_inference),
}

# Mistakes a suite checks with a value it computes itself (no model with the contract's
# signature), by id; their hints are in the catalogue like the others.
INLINE_IDS = ("batchnorm_backward_without_stat_terms", "preprocess_unscaled",
              "confusion_matrix_transposed")


def all_ids() -> list[str]:
    """Every mistake id a hidden suite can record, in contract order."""
    return [model.__name__ for models in MISTAKES.values() for model in models] + list(INLINE_IDS)


def for_function(name: str) -> dict[str, Callable[..., Any]]:
    """``{id: model}`` for one contract function (empty if none is modelled)."""
    return {model.__name__: model for model in MISTAKES.get(name, ())}


class _LazyValues(Mapping):
    """``{id: value}`` computed only when a check fails and looks for a hint.

    Most submissions pass most checks, so the models are not run up front; a model that
    cannot handle the inputs is skipped instead of failing the check."""

    def __init__(self, models: dict[str, Callable[..., Any]],
                 compute: Callable[[Callable[..., Any]], Any]) -> None:
        self._models, self._compute = models, compute
        self._cache: dict[str, Any] = {}

    def _value(self, mistake: str) -> Any:
        if mistake not in self._cache:
            try:
                with np.errstate(all="ignore"):
                    self._cache[mistake] = self._compute(self._models[mistake])
            except (ArithmeticError, ValueError, TypeError, IndexError):
                self._cache[mistake] = _FAILED
        return self._cache[mistake]

    def __getitem__(self, mistake: str) -> Any:
        value = self._value(mistake)
        if value is _FAILED:
            raise KeyError(mistake)
        return value

    def __iter__(self) -> Iterator[str]:
        return (d for d in self._models if self._value(d) is not _FAILED)

    def __len__(self) -> int:
        return len(self._models)  # an upper bound, without running the models

    def items(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        return ((d, self._value(d)) for d in self._models if self._value(d) is not _FAILED)


_FAILED = object()


def values(name: str, compute: Callable[[Callable[..., Any]], Any]) -> Mapping[str, Any]:
    """Every modelled mistake of ``name`` evaluated with ``compute(model)``, lazily, by id.

    ``compute`` runs a model the way the test runs the student (e.g. a whole optimizer
    trajectory)."""
    return _LazyValues(for_function(name), compute)

