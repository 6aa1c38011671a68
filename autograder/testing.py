"""What the grading suites are written with: checks that explain themselves, and the proxy
through which a test calls student code.

A suite never sees a student object: ``student.adam_update(w, g, {})`` ships plain data to
the sandboxed worker (``autograder.session``) and gets plain data back. The checks then
compare that data with what the trusted side computed, and their failure messages are
what the student reads in the feedback: what differs, by how much, where, and, when the
wrong answer matches a known mistake, which one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from autograder.session import StudentError, StudentSession
from autograder.worker.protocol import RandomSeed

__all__ = [
    "RandomSeed",
    "StudentCallFailed",
    "ModuleProxy",
    "check_close",
    "check_equal",
    "check_raises",
    "describe_difference",
]

# ---------------------------------------------------------------------------------------
# Calling student code
# ---------------------------------------------------------------------------------------


class StudentCallFailed(pytest.fail.Exception):  # type: ignore[name-defined,misc]
    """A call into the submission failed (not implemented, crashed, timed out...).

    Fails the test with the worker's message and no grader traceback; ``kind`` says which
    failure it was, for the report.
    """

    def __init__(self, error: StudentError) -> None:
        super().__init__(error.message, pytrace=False)
        self.kind = error.kind


class StudentFunction:
    """One contract function of the submission, callable like the real thing."""

    def __init__(self, session: StudentSession, module: str, name: str) -> None:
        self.session, self.module, self.name = session, module, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.session.call(self.module, self.name, *args, **kwargs)
        except StudentError as error:
            raise StudentCallFailed(error) from None

    def call_raw(self, *args: Any, **kwargs: Any) -> Any:
        """Call without turning a StudentError into a test failure."""
        return self.session.call(self.module, self.name, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<student {self.module}.{self.name}>"


class ModuleProxy:
    """``student.<function>`` for the module a suite grades."""

    def __init__(self, session: StudentSession, module: str) -> None:
        self._session, self._module = session, module

    def __getattr__(self, name: str) -> StudentFunction:
        if name.startswith("_"):
            raise AttributeError(name)
        return StudentFunction(self._session, self._module, name)

    def _require_import(self) -> None:
        """Fail the test now, as the student's failure, unless the module imports: lets a
        test skip costly preparation (e.g. building a Keras model) for a missing module.
        (Underscored: contract functions never are, so it cannot hide one.)"""
        error = self._session.import_status(self._module)
        if error is not None:
            raise StudentCallFailed(error)


# ---------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------


def check_close(
    name: str,
    actual: Any,
    expected: Any,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-12,
    mistakes: Mapping[str, Any] | None = None,
) -> None:
    """Assert ``actual`` matches ``expected`` numerically, structure and shapes included.

    ``expected`` may be a number, an array, None, a string, or (nested) tuples, lists and
    dicts of them. Values match as ``np.isclose(actual, expected, rtol, atol)`` with NaN
    matching NaN and inf matching inf of the same sign. On failure the AssertionError says
    what differs; if ``actual`` matches one of ``mistakes`` (description -> value) it adds
    a hint naming that mistake.
    """
    problem = describe_difference(name, actual, expected, rtol, atol)
    if problem is None:
        return
    hint = _matching_mistake(actual, mistakes or {}, rtol, atol)
    if hint:
        problem += f"\nHint: this matches {hint}."
    raise AssertionError(problem)


def check_equal(name: str, actual: Any, expected: Any) -> None:
    """Assert exact equality of plain values (strings, bools, ints, shapes)."""
    if type(actual) is not type(expected) and not _both_numbers(actual, expected):
        raise AssertionError(
            f"`{name}`: expected {expected!r} ({type(expected).__name__}), "
            f"got {_short(actual)} ({type(actual).__name__})"
        )
    if actual != expected:
        raise AssertionError(f"`{name}`: expected {expected!r}, got {_short(actual)}")


def check_raises(exc_name: str, function: Any, *args: Any, **kwargs: Any) -> None:
    """Assert that calling the student ``function`` raises an exception named ``exc_name``
    (or a subclass the worker reports under that name)."""
    label = getattr(function, "name", repr(function))
    try:
        result = function.call_raw(*args, **kwargs)
    except StudentError as error:
        raised = _raised_name(error)
        if error.kind == "exception" and raised == exc_name:
            return
        if error.kind != "exception":
            raise StudentCallFailed(error) from None
        raise AssertionError(
            f"`{label}` should raise {exc_name} here but raised {raised}: {error.message}"
        ) from None
    raise AssertionError(
        f"`{label}` should raise {exc_name} for these arguments but returned {_short(result)}"
    )


def _raised_name(error: StudentError) -> str:
    named = getattr(error, "exc_type", None)
    if named:
        return str(named)
    match = re.search(r"raised (\w+)", error.message)
    return match.group(1) if match else "?"


# ---------------------------------------------------------------------------------------
# Describing differences
# ---------------------------------------------------------------------------------------


def describe_difference(
    name: str, actual: Any, expected: Any, rtol: float = 1e-6, atol: float = 1e-12
) -> str | None:
    """None when ``actual`` matches ``expected``; otherwise one student-readable sentence."""
    if isinstance(expected, (tuple, list)):
        return _describe_sequence(name, actual, expected, rtol, atol)
    if isinstance(expected, dict):
        return _describe_mapping(name, actual, expected, rtol, atol)
    if expected is None or isinstance(expected, str):
        if actual == expected and type(actual) is type(expected):
            return None
        return f"`{name}`: expected {expected!r}, got {_short(actual)}"
    return _describe_numbers(name, actual, expected, rtol, atol)


def _describe_sequence(name, actual, expected, rtol, atol) -> str | None:
    if not isinstance(actual, (tuple, list)):
        return (f"`{name}`: expected a {type(expected).__name__} of {len(expected)} items, "
                f"got {_short(actual)}")
    if len(actual) != len(expected):
        return f"`{name}`: expected {len(expected)} items, got {len(actual)}"
    for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
        problem = describe_difference(f"{name}[{i}]", a, e, rtol, atol)
        if problem:
            return problem
    return None


def _describe_mapping(name, actual, expected, rtol, atol) -> str | None:
    if not isinstance(actual, dict):
        return f"`{name}`: expected a dict, got {_short(actual)}"
    if set(actual) != set(expected):
        want, got = sorted(map(str, expected)), sorted(map(str, actual))
        return f"`{name}`: expected keys {want}, got {got}"
    for key in expected:
        problem = describe_difference(f"{name}[{key!r}]", actual[key], expected[key], rtol, atol)
        if problem:
            return problem
    return None


def _describe_numbers(name, actual, expected, rtol, atol) -> str | None:
    exp = np.asarray(expected, dtype=np.float64)
    got = _as_float_array(actual)
    if got is None:
        what = "a number" if exp.ndim == 0 else f"an array of shape {exp.shape}"
        return f"`{name}`: expected {what}, got {_short(actual)}"
    if got.shape != exp.shape:
        return f"`{name}`: expected shape {exp.shape}, got shape {got.shape}"
    bad = ~np.isclose(got, exp, rtol=rtol, atol=atol, equal_nan=True)
    if not bad.any():
        return None
    return _mismatch_sentence(name, got, exp, bad, rtol, atol)


def _mismatch_sentence(name, got, exp, bad, rtol, atol) -> str:
    with np.errstate(all="ignore"):
        abs_err = np.abs(got - exp)
        rel_err = abs_err / np.abs(exp)
    finite = bad & np.isfinite(abs_err)
    relative = finite & (exp != 0)
    first = tuple(int(i) for i in np.argwhere(bad)[0]) if got.ndim else ()
    where = f" at index {first}" if got.ndim else ""
    sentence = (
        f"`{name}`: {int(bad.sum())} of {bad.size} values differ (rtol {rtol:g}, atol {atol:g})"
    )
    if finite.any():
        max_rel = np.max(rel_err[relative]) if relative.any() else float("inf")
        sentence += (f"; max abs error {np.max(abs_err[finite]):.3g}, "
                     f"max rel error {max_rel:.3g}")
    return sentence + f"; first{where}: got {got[first]:.10g}, expected {exp[first]:.10g}"


def _as_float_array(value: Any) -> np.ndarray | None:
    """Numbers and numeric arrays as float64; anything else (None, str, dict...) is None."""
    if value is None or isinstance(value, (str, bytes, dict)):
        return None
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):  # ragged lists
        return None
    if array.dtype.kind not in "biuf":
        return None
    return array.astype(np.float64)


def _matching_mistake(actual: Any, mistakes: Mapping[str, Any], rtol: float, atol: float):
    for description, wrong in mistakes.items():
        if describe_difference("", actual, wrong, max(rtol, 1e-5), max(atol, 1e-9)) is None:
            return description
    return None


def _both_numbers(a: Any, b: Any) -> bool:
    number = (int, float, np.integer, np.floating)
    return isinstance(a, number) and isinstance(b, number) and not isinstance(a, bool)


def _short(value: Any, limit: int = 80) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}, dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
