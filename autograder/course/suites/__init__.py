"""Grading suites (``hidden/`` for grading, ``public/`` for ``dltips check``) and the small
helpers both use to turn whatever a submission returns into checkable data.

Student results arrive as plain data, but not necessarily of the promised shape: a tuple
may be a single array, an array may be None. These helpers fail such results with an
``AssertionError`` that says what was expected, so a malformed answer is reported as a
wrong answer (the student's) and never as a grader error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def unpack(value: Any, n: int, what: str) -> tuple[Any, ...]:
    """``value`` as a tuple of ``n`` items, or an AssertionError naming ``what``."""
    if not isinstance(value, (tuple, list)) or len(value) != n:
        got = f"{type(value).__name__} of length {len(value)}" if isinstance(
            value, (tuple, list)) else type(value).__name__
        raise AssertionError(f"`{what}` should return a tuple of {n} values, got a {got}")
    return tuple(value)


def as_array(value: Any, what: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A numeric result as a float64 array (optionally of a given shape)."""
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 - ragged lists, values numpy cannot hold...
        array = np.asarray(None)
    if array.dtype.kind not in "biuf":
        raise AssertionError(f"`{what}` should be a numeric array, got {type(value).__name__}")
    if shape is not None and array.shape != tuple(shape):
        raise AssertionError(f"`{what}` should have shape {tuple(shape)}, got {array.shape}")
    return array.astype(np.float64)


def dtype_name(value: Any) -> str:
    """The numpy dtype name of a student value (``'bool'``), or ``'not an array'``."""
    try:
        return str(np.asarray(value).dtype)
    except Exception:  # noqa: BLE001 - ragged lists and the like
        return "not an array"


def run_trajectory(update: Callable[..., Any], w0: np.ndarray, grads: Sequence[np.ndarray],
                   hyper: dict[str, Any], name: str = "update") -> np.ndarray:
    """Apply ``update(w, g, state, **hyper)`` once per gradient, starting from ``{}``.

    The state is only ever passed back as it came (its keys are the implementation's own).
    Returns the parameter after every step, shape ``(len(grads), *w0.shape)``.
    """
    w, state, steps = w0, {}, []
    for i, g in enumerate(grads):
        w, state = unpack(update(w, g, state, **hyper), 2, name)
        steps.append(as_array(w, f"new_w returned by {name} at step {i + 1}", w0.shape))
    return np.stack(steps)


def named(names: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    """A returned tuple as ``{name: value}``, so a failure names the part that differs
    (``... ['dw']: 3 of 3 values differ``) instead of a position."""
    return dict(zip(names, values, strict=True))


def labelled(function: str, options: dict[str, Any]) -> str:
    """``adam_update(learning_rate=0.01, amsgrad=True)``: how a check names its call."""
    return f"{function}({', '.join(f'{k}={v!r}' for k, v in options.items())})"
