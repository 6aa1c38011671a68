"""What the grading suites are written with: checks that explain themselves, and the proxy
through which a test calls student code.

A suite never sees a student object: ``student.adam_update(w, g, {})`` ships plain data to
the sandboxed worker (``autograder.sandbox.session``) and gets plain data back. The checks then
compare that data with what the trusted side computed, and their failure messages are
what the student reads in the feedback: what differs, by how much, where, and, when the
wrong answer matches a known mistake, which one.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import pytest

from autograder.course.contract import MAY_MODIFY
from autograder.sandbox.session import CallOutcome, StudentError, StudentSession
from autograder.sandbox.worker.protocol import KERAS_CALL_SEED, ModelData, RandomSeed

__all__ = [
    "KERAS_CALL_SEED",
    "ModelData",
    "RandomSeed",
    "StudentCallFailed",
    "ModuleProxy",
    "WrongAnswer",
    "check_close",
    "check_equal",
    "check_raises",
    "describe_difference",
    "forbid_warnings",
    "prerequisite",
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
        self.error = error


class StudentFunction:
    """One contract function of the submission, callable like the real thing.

    Besides failing on a broken call, it enforces two promises of the docstrings on every
    call, from the facts the worker reports: no argument is changed in place (except those
    in ``contract.MAY_MODIFY``), and, inside ``forbid_warnings``, no warning is raised.
    """

    def __init__(self, session: StudentSession, module: str, name: str) -> None:
        self.session, self.module, self.name = session, module, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            outcome = self.session.call_outcome(self.module, self.name, *args, **kwargs)
        except StudentError as error:
            raise StudentCallFailed(error) from None
        breach = modified_input(self.name, outcome) or raised_warning(self.name, outcome)
        if breach is not None:
            raise StudentCallFailed(breach)
        return outcome.value

    def call_raw(self, *args: Any, **kwargs: Any) -> Any:
        """Call without turning a StudentError into a test failure."""
        return self.session.call(self.module, self.name, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<student {self.module}.{self.name}>"


_NO_WARNINGS: ContextVar[str | None] = ContextVar("dltips_no_warnings", default=None)


@contextmanager
def forbid_warnings(what: str) -> Iterator[None]:
    """Inside the block, a student call that raises a warning fails the test (kind
    ``warning``). Use it only where the docstring promises no warnings; ``what`` names the
    situation (``"sigmoid of [-1e4, ..., 1e4]"``) for the message."""
    token = _NO_WARNINGS.set(what)
    try:
        yield
    finally:
        _NO_WARNINGS.reset(token)


@contextmanager
def prerequisite(function: str, needed: str, what: str) -> Iterator[None]:
    """Calls inside the block only prepare the check of ``function`` with ``what`` from the
    student's ``needed`` (e.g. batch norm's cache from the forward pass). If they fail, the
    test fails saying that ``function`` could not be checked and why, instead of showing
    ``needed``'s own failure (and its stub's hint) as if it were ``function``'s."""
    lead = f"`{function}` could not be checked: it needs {what} from your `{needed}`"
    try:
        yield
    except StudentCallFailed as failed:
        why = ("which is not implemented yet (it raises NotImplementedError)"
               if failed.kind == "not_implemented" else f"which failed: {failed.error.message}")
        raise StudentCallFailed(StudentError(failed.kind, f"{lead}, {why}")) from None
    except AssertionError as error:  # e.g. a tuple of the wrong length
        raise AssertionError(f"{lead}, whose result was unusable: {error}") from None


def modified_input(function: str, outcome: CallOutcome) -> StudentError | None:
    """The failure for a call that changed an argument the contract says it must not."""
    allowed = MAY_MODIFY.get(function, ())
    for change in outcome.modified:
        if change.argument in allowed:
            continue
        inside = f" (`{change.name}{change.path}` changed)" if change.path else ""
        return StudentError("modified_input", f"`{function}` modified its argument "
                            f"`{change.name}` in place{inside}; its docstring promises never "
                            "to modify the inputs")
    return None


def raised_warning(function: str, outcome: CallOutcome) -> StudentError | None:
    """The failure for a call that warned inside ``forbid_warnings``."""
    what = _NO_WARNINGS.get()
    if what is None or not outcome.warnings:
        return None
    first = outcome.warnings[0]
    where = f" (at {first.where})" if first.where else ""
    return StudentError("warning", f"`{function}` raised {first.category}: {first.message}"
                        f"{where} for {what}; its docstring promises no warnings here")


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


class WrongAnswer(AssertionError):
    """A value that differs from the expected one; ``mistake`` is the id of the catalogued
    mistake it matches (``autograder.course.mistakes``), or None. The message says what
    differs; the hint naming the mistake is the report's to write, in the course's
    language and only where the disclosure policy allows it."""

    def __init__(self, message: str, mistake: str | None = None) -> None:
        super().__init__(message)
        self.mistake = mistake


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
    what differs (a ``WrongAnswer``); if ``actual`` matches one of ``mistakes`` (mistake id
    -> value) it carries that id.
    """
    problem = _guarded(name, actual, lambda: describe_difference(name, actual, expected,
                                                                 rtol, atol))
    if problem is None:
        return
    raise WrongAnswer(problem, _matching_mistake(actual, mistakes or {}, rtol, atol))


def check_equal(name: str, actual: Any, expected: Any) -> None:
    """Assert exact equality of plain values (strings, bools, ints, shapes)."""
    problem = _guarded(name, actual, lambda: _equal_problem(name, actual, expected))
    if problem is not None:
        raise AssertionError(problem)


def _equal_problem(name: str, actual: Any, expected: Any) -> str | None:
    if type(actual) is not type(expected) and not _both_numbers(actual, expected):
        return (f"`{name}`: expected {expected!r} ({type(expected).__name__}), "
                f"got {_short(actual)} ({type(actual).__name__})")
    if not bool(actual == expected):
        return f"`{name}`: expected {expected!r}, got {_short(actual)}"
    return None


def _guarded(name: str, actual: Any, compare: Any) -> str | None:
    """Run ``compare()``; a student value that makes the comparison itself fail (an array
    where a string belongs, a value numpy cannot convert...) is the student's wrong
    answer, said plainly, never a grader error."""
    try:
        return compare()
    except Exception as error:  # noqa: BLE001 - any malformed student value
        return (f"`{name}`: the value returned could not be compared with the expected one "
                f"({type(error).__name__}: {str(error)[:120]}); got {_short(actual)}")


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
        # The type first: an array == a string compares element-wise (no plain bool).
        if type(actual) is type(expected) and actual == expected:
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
    """The first known mistake ``actual`` matches. The student's value is converted once
    (not once per mistake model), so the work is bounded by its size, not multiplied."""
    try:
        actual = _normalised(actual)
        for mistake, wrong in mistakes.items():
            if describe_difference("", actual, wrong, max(rtol, 1e-5), max(atol, 1e-9)) is None:
                return mistake
    except Exception:  # noqa: BLE001 - a hint is optional; a malformed value gets none
        return None
    return None


def _normalised(value: Any) -> Any:
    """Numbers and numeric arrays as float64 arrays, containers rebuilt, once."""
    if isinstance(value, (tuple, list)):
        return type(value)(_normalised(v) for v in value)
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items()}
    array = _as_float_array(value)
    return value if array is None else array


def _both_numbers(a: Any, b: Any) -> bool:
    number = (int, float, np.integer, np.floating)
    return isinstance(a, number) and isinstance(b, number) and not isinstance(a, bool)


_REPR = reprlib.Repr()
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = 6
_REPR.maxlevel = 3
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlong = 40


def _short(value: Any, limit: int = 80) -> str:
    """A bounded description of a student value (never the whole of a huge one)."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}, dtype {value.dtype}"
    try:
        text = _REPR.repr(value)
    except Exception:  # noqa: BLE001
        text = f"a {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 3] + "..."
