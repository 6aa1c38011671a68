"""Deadlines (issue 7, item 6): a call's budget is fixed when the call starts; events
from the worker never extend it."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox.session import StudentError, StudentSession

HOSTILE = Path(__file__).resolve().parent / "hostile"
Y_TRUE, Y_PRED = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0])
T = 1.0


@pytest.fixture
def session(tmp_path: Path):
    sub = Path(shutil.copytree(HOSTILE / "forged_events", tmp_path / "forged_events"))
    with StudentSession(sub, call_timeout=T) as session:
        yield session


def test_forged_import_events_do_not_reset_the_deadline(session):
    assert session.call("losses", "mse", Y_TRUE, Y_PRED) == pytest.approx(4 / 3)
    started = time.monotonic()
    with pytest.raises(StudentError) as info:
        session.call("losses", "softmax", Y_TRUE, T)  # would return after 2.7 T
    elapsed = time.monotonic() - started
    assert info.value.kind in ("crashed", "timeout")
    assert elapsed < 1.5 * T, f"the call ran {elapsed:.1f} s on a {T:g} s budget"
    assert session.call("losses", "mse", Y_TRUE, Y_PRED) == pytest.approx(4 / 3)


def test_honest_imports_and_calls_each_get_call_timeout(session):
    """Both sides: a first call gets call_timeout for the module's import and as much
    again for the call itself; a call that alone takes longer times out."""
    assert session.call("slow_import", "work", 0.7 * T) == pytest.approx(0.7 * T)
    started = time.monotonic()
    with pytest.raises(StudentError) as info:
        session.call("losses", "slow", Y_TRUE, 1.3 * T)
    assert info.value.kind == "timeout"
    assert T <= time.monotonic() - started < 1.5 * T
