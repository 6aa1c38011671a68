"""Faults in student code: each fails only the call it touches, with a specific message.

Uses tiny submissions written into tmp_path and the committed corpus in tests/hostile/.
Tests that are about process handling run at every isolation level available here.
"""

from __future__ import annotations

import shutil
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from helpers_sandbox import require_level

from autograder.sandbox import levels, paths, reaping
from autograder.sandbox.session import StudentError, StudentSession

HOSTILE = Path(__file__).resolve().parent / "hostile"
Y_TRUE, Y_PRED = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0])
MSE = 4.0 / 3.0




@pytest.fixture(params=levels.LEVELS)
def level(request: pytest.FixtureRequest) -> str:
    return require_level(request.param)


def write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    return root


def hostile(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(HOSTILE / name, tmp_path / name))


def failure(session: StudentSession, module: str, function: str, *args) -> StudentError:
    with pytest.raises(StudentError) as info:
        session.call(module, function, *args)
    return info.value


def session_processes(session: StudentSession) -> list[int]:
    """Host pids still running for this session (by its dedicated uid or env marker)."""
    scratch = session._res.scratch
    needle = f"{paths.MARKER_VAR}={scratch.marker}".encode()
    return [pid for pid in reaping.live_pids()
            if (scratch.uid is not None and reaping.proc_uid(pid) == scratch.uid)
            or needle in reaping._environ(pid)]


# ----- student-readable messages -------------------------------------------------------------
GOOD = {
    "losses.py": """
        import numpy as np

        LIMIT = 3

        def mse(y_true, y_pred):
            print("computing mse")
            return float(np.mean((y_true - y_pred) ** 2))

        def todo(x):
            raise NotImplementedError("implement the clipped cross-entropy")

        def broken(x):
            y = x + 1
            return y["key"]
    """,
}


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory):
    root = write(tmp_path_factory.mktemp("good") / "sub", GOOD)
    with StudentSession(root, call_timeout=5) as session:
        yield session


def test_honest_call_returns_the_value_and_captures_prints(good):
    assert good.call("losses", "mse", Y_TRUE, Y_PRED) == pytest.approx(MSE)
    assert "computing mse" in good.output_tail()


def test_not_implemented_says_so_with_the_students_text(good):
    error = failure(good, "losses", "todo", 1)
    assert error.kind == "not_implemented"
    assert error.message == ("losses.todo raised NotImplementedError: implement the clipped "
                             "cross-entropy")


def test_exception_names_type_and_line_and_shows_only_student_frames(good):
    error = failure(good, "losses", "broken", np.zeros(2))
    assert error.kind == "exception"
    assert error.message.startswith("losses.broken raised IndexError: only integers")
    assert error.message.endswith("(at losses.py line 15)")
    assert "losses.py" in error.details and "server.py" not in error.details


def test_missing_module_and_function_and_non_function(good):
    missing = failure(good, "optimizers", "adam_update", 1)
    assert (missing.kind, missing.message) == (
        "missing_module", "optimizers.py is missing from the submission")
    nofunc = failure(good, "losses", "softmax", 1)
    assert nofunc.kind == "missing_function" and "defines no function named 'softmax'" in (
        nofunc.message)
    notfunc = failure(good, "losses", "LIMIT")
    assert notfunc.kind == "missing_function" and "not a function" in notfunc.message
    assert good.has_function("losses", "mse") and not good.has_function("losses", "LIMIT")
    assert not good.has_function("optimizers", "adam_update")


BROKEN = {
    "syntax.py": "import numpy as np\n\ndef f(x)\n    return x\n",
    "indent.py": "def f(x):\nreturn x\n",
    "imports.py": "import tensorflow_that_does_not_exist\n",
    "stub.py": "raise NotImplementedError('module not started')\n",
    "divides.py": "X = 1\nY = X / 0\n",
    "helper_broken.py": "from syntax import f\n",
    "fine.py": "def f(x):\n    return x * 2\n",
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("broken") / "sub"
    root.mkdir()
    for name, text in BROKEN.items():
        (root / name).write_text(text)
    with StudentSession(root, call_timeout=5) as session:
        yield session


@pytest.mark.parametrize(("module", "kind", "message"), [
    ("syntax", "syntax_error",
     "syntax.py could not be imported: SyntaxError at line 3: expected ':'"),
    ("indent", "syntax_error", "indent.py could not be imported: IndentationError at line 2"),
    ("imports", "import_error", "imports.py could not be imported: ModuleNotFoundError at "
     "import (at imports.py line 1): No module named 'tensorflow_that_does_not_exist'"),
    ("stub", "not_implemented", "stub.py could not be imported: NotImplementedError raised at "
     "import (at stub.py line 1): module not started"),
    ("divides", "import_error", "divides.py could not be imported: ZeroDivisionError at import "
     "(at divides.py line 2): division by zero"),
    ("helper_broken", "syntax_error", "helper_broken.py could not be imported: SyntaxError in "
     "syntax.py at line 3"),
])
def test_import_failures_are_precise_and_fail_only_that_module(broken, module, kind, message):
    error = failure(broken, module, "f", 1)
    assert error.kind == kind
    assert error.message.startswith(message)
    assert broken.import_status(module).message == error.message
    assert not broken.has_function(module, "f")
    assert broken.call("fine", "f", 21) == 42
    assert broken.import_status("fine") is None


# ----- crashes, hangs, signals, memory (every level) -------------------------------------------
def test_exit_at_import_fails_only_that_module_and_is_not_replayed(level, tmp_path):
    root = hostile("exit_at_import", tmp_path)
    with StudentSession(root, isolation=level, call_timeout=5) as session:
        exited = failure(session, "losses", "softmax", 1)
        assert exited.kind == "import_error"
        assert "losses.py could not be imported: it called sys.exit(0) at import" in exited.message
        died = failure(session, "optimizers", "sgd_update", 1)
        assert died.kind == "crashed"
        assert died.message.startswith("optimizers.py could not be imported: the worker died")
        starts = len(session.startup_seconds)
        assert failure(session, "optimizers", "adam_update", 1).message == died.message
        assert len(session.startup_seconds) == starts  # cached: no new worker was needed
        assert np.array_equal(session.call("activations", "relu", np.array([-1.0, 2.0])),
                              [0.0, 2.0])


def test_os_exit_in_a_call_crashes_only_that_call(level, tmp_path):
    with StudentSession(hostile("os_exit_call", tmp_path), isolation=level,
                        call_timeout=5) as session:
        assert session.call("losses", "mse", Y_TRUE, Y_PRED) == pytest.approx(MSE)
        error = failure(session, "losses", "softmax", Y_TRUE)
        assert error.kind == "crashed"
        assert error.message.startswith("losses.softmax crashed the worker (exit status 0")
        assert "restarted" in error.message
        assert session.call("losses", "mse", Y_TRUE, Y_PRED) == pytest.approx(MSE)


@pytest.mark.parametrize("corpus", ["infinite_loop", "ignore_signals"])
def test_hanging_call_times_out_is_killed_and_the_worker_restarts(level, tmp_path, corpus):
    with StudentSession(hostile(corpus, tmp_path), isolation=level,
                        call_timeout=0.5) as session:
        started = time.monotonic()
        error = failure(session, "losses", "softmax", Y_TRUE)
        assert 0.5 <= time.monotonic() - started < 3.0
        assert error.kind == "timeout"
        assert error.message == ("losses.softmax did not return within 0.5 s (timeout); the "
                                 "worker was restarted")
        assert session_processes(session) == []  # the signal-ignoring loop is gone
        assert session.call("losses", "mse", Y_TRUE, Y_PRED) == pytest.approx(MSE)


def test_memory_bomb_hits_the_cap_and_the_worker_recovers(level, tmp_path):
    with StudentSession(hostile("memory_bomb", tmp_path), isolation=level, call_timeout=10,
                        memory_limit=256 * 2**20) as session:
        error = failure(session, "losses", "softmax", Y_TRUE)
        assert error.kind == "memory" and "ran out of memory" in error.message
        huge = failure(session, "losses", "huge_array", Y_TRUE)
        assert huge.kind == "memory"
        assert session.call("losses", "mse", Y_TRUE, Y_PRED) == pytest.approx(MSE)
        assert session.worker_stats()["peak_rss_kib"] < 256 * 1024


def test_worker_peak_rss_is_its_own_not_the_graders(level, tmp_path):
    """ru_maxrss survives execve, so a big grader (TensorFlow loaded) once made a fresh
    worker look big; the worker must report its own address space only."""
    ballast = np.ones(400 * 2**20 // 8)  # 400 MiB resident in this (the grader's) process
    with StudentSession(hostile("memory_bomb", tmp_path), isolation=level) as session:
        assert session.call("losses", "mse", Y_TRUE, Y_PRED) == pytest.approx(MSE)
        assert session.worker_stats()["peak_rss_kib"] < 200 * 1024
    del ballast


def test_segfault_is_a_crash_with_the_signal_named_and_no_core_dump(level, tmp_path):
    root = write(tmp_path / "sub", {"losses.py": """
        import ctypes

        import numpy as np

        def softmax(x):
            return ctypes.string_at(0)

        def mse(y_true, y_pred):
            return float(np.mean((y_true - y_pred) ** 2))
    """})
    with StudentSession(root, isolation=level, call_timeout=5) as session:
        error = failure(session, "losses", "softmax", Y_TRUE)
        assert error.kind == "crashed" and "SIGSEGV" in error.message
        copy = session._res.scratch.cwd
        assert sorted(p.name for p in copy.iterdir()) == ["losses.py"]  # no core file
        assert session.call("losses", "mse", Y_TRUE, Y_PRED) == pytest.approx(MSE)


def test_hang_at_import_times_out_once_and_is_cached(tmp_path):
    root = write(tmp_path / "sub", {"slow.py": "while True:\n    pass\n",
                                    "fine.py": "def f(x):\n    return x + 1\n"})
    with StudentSession(root, call_timeout=1.0) as session:
        error = failure(session, "slow", "f", 1)
        assert error.kind == "timeout"
        assert error.message.startswith("slow.py could not be imported: the import did not "
                                        "finish within 1 s")
        started = time.monotonic()
        assert not session.has_function("slow", "f")
        assert time.monotonic() - started < 0.5
        assert session.call("fine", "f", 1) == 2


def test_crash_in_one_module_does_not_replay_other_imports(tmp_path):
    root = write(tmp_path / "sub", {
        "noisy.py": "print('noisy imported')\n\ndef ok():\n    return 1\n",
        "crashy.py": "import os\n\ndef die():\n    os._exit(7)\n",
    })
    with StudentSession(root, call_timeout=5) as session:
        assert session.call("noisy", "ok") == 1
        assert failure(session, "crashy", "die").kind == "crashed"
        assert session.output_tail().count("noisy imported") == 1
        assert session.call("noisy", "ok") == 1  # re-imported lazily in the fresh worker
        assert session.output_tail().count("noisy imported") == 2


def test_worker_that_dies_between_calls_is_replaced_before_the_next_call(tmp_path):
    root = write(tmp_path / "sub", {"late.py": """
        import os, threading, time

        def arm():
            threading.Thread(target=lambda: (time.sleep(0.1), os._exit(9))).start()
            return "armed"

        def ok():
            return "fine"
    """})
    with StudentSession(root, call_timeout=5) as session:
        assert session.call("late", "arm") == "armed"
        time.sleep(0.5)
        assert session.call("late", "ok") == "fine"  # not charged for the earlier thread


def test_forked_child_returning_into_the_worker_exits_quietly(tmp_path):
    root = write(tmp_path / "sub", {"forky.py": """
        import os

        def fork_and_return(x):
            os.fork()
            return x * 2
    """})
    with StudentSession(root, call_timeout=5) as session:
        for i in range(5):
            assert session.call("forky", "fork_and_return", i) == 2 * i
        assert len(session.startup_seconds) == 1


def test_forged_protocol_frames_cannot_extend_the_deadline(tmp_path):
    root = write(tmp_path / "sub", {"forger.py": """
        import os, sys, time

        def forge(event):
            proto = sys.modules["_dltips_worker_protocol"]
            wfd = int(sys.argv[sys.argv.index("--wfd") + 1])
            request_id = sys._getframe(1).f_locals["envelope"]["id"]
            while True:
                for piece in proto.pack({"id": request_id, "status": "event", "event": event}):
                    os.write(wfd, piece)
                time.sleep(0.2)

        def ok():
            return "fine"
    """})
    with StudentSession(root, call_timeout=1.0) as session:
        for event in ("import_start", "import_done"):
            started, booted = time.monotonic(), sum(session.startup_seconds)
            error = failure(session, "forger", "forge", event)
            assert error.kind == "crashed" and "malformed reply" in error.message
            # The call itself, without the worker's start-up (seconds on a loaded machine):
            # within its 1 s timeout plus a margin, where believing the forged frames would
            # have let it run to the wall cap (120 s).
            booting = sum(session.startup_seconds) - booted
            assert time.monotonic() - started - booting < 2.0
        assert session.call("forger", "ok") == "fine"


def test_fake_passed_lines_are_only_output_and_a_flood_is_stopped(tmp_path):
    with StudentSession(hostile("fake_output", tmp_path), call_timeout=5, output_limit=4096,
                        flood_limit=2 * 2**20) as session:
        assert session.call("losses", "softmax", Y_TRUE) == "PASSED"  # just a string result
        assert "42 passed" in session.output_tail()
        error = failure(session, "losses", "flood", Y_TRUE)
        assert error.kind == "output_flood" and "more than 2 MiB" in error.message
        assert len(session.output_tail().encode()) <= 4096
        assert session.call("losses", "mse", Y_TRUE, Y_PRED) == pytest.approx(MSE)


def test_wall_cap_stops_the_call_and_refuses_later_ones_without_a_worker(tmp_path):
    with StudentSession(hostile("infinite_loop", tmp_path), call_timeout=30,
                        wall_cap=1.5) as session:
        started = time.monotonic()
        error = failure(session, "losses", "softmax", Y_TRUE)
        assert error.kind == "wall_cap" and "time cap of 1.5 s" in error.message
        assert time.monotonic() - started < 3.0
        starts = len(session.startup_seconds)
        again = failure(session, "losses", "mse", Y_TRUE, Y_PRED)
        assert again.kind == "wall_cap" and "was not run" in again.message
        assert len(session.startup_seconds) == starts


def test_close_is_idempotent_kills_the_worker_and_deletes_the_copy(tmp_path):
    root = write(tmp_path / "sub", {"m.py": "def f():\n    return 1\n"})
    session = StudentSession(root)
    assert session.call("m", "f") == 1
    scratch = session._res.scratch.base
    pid = session._res.worker.proc.pid
    assert scratch.exists()
    session.close()
    session.close()
    assert session.closed and not scratch.exists()
    assert not Path(f"/proc/{pid}").exists() or reaping.proc_uid(pid) is None
    with pytest.raises(RuntimeError, match="closed"):
        session.call("m", "f")
    assert (root / "m.py").exists()  # the original submission is untouched


def test_a_reply_budget_refuses_the_reply_that_would_go_over_it(tmp_path):
    submission = write(tmp_path / "hog", {"losses.py": """
        import numpy as np

        def big(n):
            return np.ones(n)

        def small():
            return 1.0
    """})
    megabyte = 2**20
    with StudentSession(submission, call_timeout=10, reply_budget=10 * megabyte) as session:
        for _ in range(2):  # 4 MiB each
            assert session.call("losses", "big", megabyte // 2).nbytes == 4 * megabyte
        error = failure(session, "losses", "big", megabyte // 2)
        assert error.kind == "memory" and "reply budget" in error.message
        assert session.reply_bytes < 10 * megabyte  # refused on its header, never read
        assert session.call("losses", "small") == 1.0  # small replies still fit
    with StudentSession(submission, call_timeout=10) as unbounded:  # the default: none
        for _ in range(3):
            assert unbounded.call("losses", "big", megabyte // 2).nbytes == 4 * megabyte
