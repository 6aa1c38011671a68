"""The retry rule: a worker killed by a signal the grader did not send (the out-of-memory
killer, an operator) has its call retried once in a fresh worker, and the feedback says so;
a submission that kills itself dies again on the retry and is charged, with a message that
says what happened.

The outside kill is real: the student function opens a file named by a random token and
waits; the test finds the process holding that file and SIGKILLs it,
exactly as the kernel's OOM killer would (at the bwrap level it is the interpreter inside
the sandbox, not bwrap).
"""

from __future__ import annotations

import os
import secrets
import signal
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers_sandbox import require_level

from autograder.grading.engine import GradeOptions, grade_submission
from autograder.sandbox import reaping
from autograder.sandbox.session import StudentError, StudentSession

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"

# First call: leave a mark in the copy, name the process, wait to be killed from outside.
# The retry, in a fresh worker of the same copy, finds the mark and returns.
WAIT_TO_BE_KILLED = """
import os
import signal
import time


def _first_attempt_waits(token):
    if os.path.exists("attempted"):
        return False
    open("attempted", "w").close()
    with open(token, "w"):  # an open file named by the token: how the test finds us
        time.sleep(60)
    return True


def wait_to_be_killed(token):
    _first_attempt_waits(token)
    return "second attempt"


def kill_myself():
    os.kill(os.getpid(), signal.SIGKILL)


def exit_hard():
    os._exit(3)


def ok():
    return 1
"""


def holding(pid: int, token: str) -> bool:
    """Whether process ``pid`` has a file named ``token`` open."""
    try:
        return any(os.readlink(link).endswith("/" + token)
                   for link in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False


def kill_when_named(token: str, timeout: float = 60.0) -> int:
    """SIGKILL, from outside, the process that holds a file named ``token`` open; its pid."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in reaping.live_pids():
            if holding(pid, token):
                os.kill(pid, signal.SIGKILL)
                return pid
        time.sleep(0.01)
    raise AssertionError(f"no process opened {token} within {timeout:g} s")


@pytest.fixture(params=["bwrap", "none"])
def level(request: pytest.FixtureRequest) -> str:
    return require_level(request.param)


def session_for(tmp_path: Path, level: str) -> StudentSession:
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "victim.py").write_text(WAIT_TO_BE_KILLED)
    return StudentSession(sub, isolation=level, call_timeout=30.0)


def test_outside_sigkill_is_retried_once_and_the_call_returns(tmp_path, level):
    token = "dl" + secrets.token_hex(6)
    with session_for(tmp_path, level) as session:
        killer = threading.Thread(target=kill_when_named, args=(token,), daemon=True)
        killer.start()
        assert session.call("victim", "wait_to_be_killed", token) == "second attempt"
        killer.join()
        (note,) = session.retry_notes
        assert "victim.wait_to_be_killed was run twice" in note and "SIGKILL" in note
        # The same as data, for the feedback in its language (report.note_text).
        (retry,) = session.retries
        assert retry["label"] == "victim.wait_to_be_killed" and retry["signal"] == "SIGKILL"
        assert retry["status"] in (None, 128 + signal.SIGKILL)
        assert session.call("victim", "wait_to_be_killed", token) == "second attempt"
        assert len(session.retry_notes) == 1  # an ordinary call adds no note


def test_a_submission_that_kills_itself_is_charged_after_one_retry(tmp_path, level):
    with session_for(tmp_path, level) as session:
        with pytest.raises(StudentError) as info:
            session.call("victim", "kill_myself")
        assert info.value.kind == "crashed"
        message = info.value.message
        assert "victim.kill_myself crashed the worker twice" in message
        assert "retried once" in message and message.count("SIGKILL") == 2
        assert len(session.startup_seconds) == 2  # the first worker, and one retry
        assert session.retry_notes == []
        assert session.call("victim", "ok") == 1  # the next call gets a fresh worker


def test_an_exit_status_is_charged_at_once(tmp_path, level):
    """os._exit is the submission's own doing (no signal): no retry."""
    with session_for(tmp_path, level) as session:
        with pytest.raises(StudentError) as info:
            session.call("victim", "exit_hard")
        assert info.value.kind == "crashed" and "twice" not in info.value.message
        assert len(session.startup_seconds) == 1
        assert session.retry_notes == []


def losses_with(extra: str, tmp_path: Path) -> Path:
    """The reference losses.py with ``sigmoid`` replaced by a wrapper (``extra``)."""
    sub = tmp_path / "submission"
    sub.mkdir()
    source = (SOLUTIONS / "losses.py").read_text()
    (sub / "losses.py").write_text(source + textwrap.dedent(extra))
    return sub


def test_grading_retries_an_outside_kill_and_says_so_in_the_feedback(tmp_path):
    require_level("bwrap")
    token = "dl" + secrets.token_hex(6)
    sub = losses_with(f"""
        import os as _os
        import time as _time
        _reference_sigmoid = sigmoid

        def sigmoid(z):
            if not _os.path.exists("attempted"):
                open("attempted", "w").close()
                with open({token!r}, "w"):
                    _time.sleep(60)
            return _reference_sigmoid(z)
        """, tmp_path)
    killer = threading.Thread(target=kill_when_named, args=(token,), daemon=True)
    killer.start()
    options = GradeOptions(isolation="bwrap", modules=("losses",), call_timeout=30.0)
    result = grade_submission(sub, options, tmp_path / "out", "alice")
    killer.join()
    tests = result.results["tests"]
    assert result.score == result.max_score > 0  # nothing charged
    retried = [t for t in tests if "run twice" in t["output"]]
    assert len(retried) == 1 and retried[0]["status"] == "passed"
    assert "losses.sigmoid" in retried[0]["tags"]
    feedback = (tmp_path / "out" / "alice" / "feedback.md").read_text()
    assert "losses.sigmoid was run twice" in feedback and "SIGKILL" in feedback


def test_grading_charges_a_sigmoid_that_kills_itself(tmp_path):
    require_level("bwrap")
    sub = losses_with("""
        import os as _os
        import signal as _signal

        def sigmoid(z):
            _os.kill(_os.getpid(), _signal.SIGKILL)
        """, tmp_path)
    # The crash message may quote the worker's output: it is shown at the values level.
    options = GradeOptions(isolation="bwrap", modules=("losses",), disclose="values")
    result = grade_submission(sub, options)
    tests = result.results["tests"]
    charged = [t for t in tests if "losses.sigmoid" in t["tags"]]
    assert charged and all(t["status"] == "failed" for t in charged)
    assert all(t["extra_data"]["kind"] == "crashed" for t in charged)
    assert all("crashed the worker twice" in t["output"] for t in charged)
    others = [t for t in tests if "losses.sigmoid" not in t["tags"]]
    assert others and all(t["status"] == "passed" for t in others)
    assert "run twice" not in result.results["output"]
    np.testing.assert_allclose(result.score, sum(t["max_score"] for t in others))
