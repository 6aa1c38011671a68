"""The trusted side of the student-code boundary: ``StudentSession``.

A session owns one submission's private copy and, lazily, one worker process that imports
the student's modules and runs calls. Arguments and results cross as plain data only (see
``autograder.sandbox.worker.protocol``); nothing the worker sends is unpickled or executed here. A
call that hangs, crashes the worker, exhausts memory or floods output fails with a specific
``StudentError`` and the worker is killed (with everything it started) and restarted lazily
for the next call, so one broken function costs only its own tests.

This module is the policy (the API, errors, requests and their deadlines, the retry, the
wall-time and reply budgets); the worker process itself (spawning, pipes, frames, output)
is ``autograder.sandbox.worker_process`` and a returned call's value and facts
``autograder.sandbox.outcome``, neither of which knows this module.

    with StudentSession("submissions/alice") as s:
        s.call("losses", "softmax", np.zeros((2, 3)))
"""

from __future__ import annotations

import os
import re
import signal
import time
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.sandbox.launch import Limits
from autograder.sandbox.lease import Lease
from autograder.sandbox.levels import resolve_isolation
from autograder.sandbox.outcome import CallOutcome, ModifiedInput, RaisedWarning, decode_outcome
from autograder.sandbox.paths import protect_private_dirs
from autograder.sandbox.scratch import Scratch, add_grader_files, make_scratch, release_scratch
from autograder.sandbox.worker import protocol
from autograder.sandbox.worker.protocol import ProtocolError, RandomSeed
from autograder.sandbox.worker_process import (
    _Gone,
    _OverBudget,
    _signal_name,
    _Tail,
    _Timeout,
    _Worker,
)

if TYPE_CHECKING:
    from autograder.sandbox.profiles import WorkerProfile

__all__ = ["RandomSeed", "SandboxError", "StudentError", "StudentSession", "KINDS",
           "CallOutcome", "ModifiedInput", "RaisedWarning"]

KINDS = frozenset({
    "missing_module", "missing_function", "syntax_error", "import_error", "not_implemented",
    "exception", "timeout", "crashed", "memory", "bad_return", "wall_cap", "output_flood",
})
# Kinds the worker itself may report; anything else in a reply is a protocol violation.
WORKER_KINDS = KINDS - {"timeout", "crashed", "wall_cap", "output_flood"}
MODULE_RE = re.compile(r"[a-z_][a-z0-9_]*\Z")
START_TIMEOUT = 60.0
MESSAGE_LIMIT = 2000
DEFAULT_FLOOD_LIMIT = 32 * 2**20
# Signals that the grader's own limits deliver (RLIMIT_CPU, RLIMIT_FSIZE): a worker they
# kill is charged at once. Any other signal may come from outside the submission (the
# machine's out-of-memory killer, an operator), so the call is retried once first.
LIMIT_SIGNALS = frozenset({signal.SIGXCPU, signal.SIGXFSZ})


class StudentError(Exception):
    """A call into student code failed; ``kind`` classifies it, ``message`` explains it.

    ``details`` (added) holds the student-frames-only traceback when there is one.
    """

    def __init__(self, kind: str, message: str, details: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.details = details

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        return (type(self), (self.kind, self.message, self.details))

    def __repr__(self) -> str:
        return f"StudentError({self.kind!r}, {self.message!r})"


class SandboxError(RuntimeError):
    """The grader could not start a worker at all (a machine problem, not a student's)."""


class _KilledFromOutside(Exception):
    """The worker died from a signal the grader did not send (see ``_retry``)."""

    def __init__(self, how: str, signal_name: str = "", status: int | None = None) -> None:
        super().__init__(how)
        self.how = how
        self.signal_name = signal_name   # e.g. "SIGKILL"
        self.status = status             # the exit status that told it (bwrap: 128 + N)


class _Resources:
    """What must be released even if the session is garbage-collected without close()."""

    def __init__(self, scratch: Scratch) -> None:
        self.scratch = scratch
        self.worker: _Worker | None = None

    def drop_worker(self) -> None:
        if self.worker is not None:
            worker, self.worker = self.worker, None
            worker.kill()

    def release(self) -> None:
        self.drop_worker()
        release_scratch(self.scratch)


class StudentSession:
    """Runs one submission's code in a sandboxed worker; see the module docstring."""

    def __init__(self, submission_dir: str | Path, *, isolation: str = "auto",
                 call_timeout: float = 10.0, wall_cap: float = 120.0,
                 memory_limit: int = 1536 * 2**20, output_limit: int = 8192,
                 flood_limit: int = DEFAULT_FLOOD_LIMIT,
                 private_dirs: tuple[str | Path, ...] | None = None,
                 lease: Lease | None = None,
                 profile: WorkerProfile | None = None,
                 extra_files: Mapping[str, bytes] | None = None,
                 reply_budget: int | None = None) -> None:
        """Copy the submission and choose the isolation level; no worker starts yet.

        Added keywords: ``flood_limit`` (bytes of output one call may print before it fails
        with kind 'output_flood'), ``private_dirs`` (directories made unreadable to a
        dedicated worker uid; default: ``paths.private_paths()``, the repository's secrets
        and its git history), ``lease`` (the directory, marker and uid to use, held by a
        process that outlives this one and sweeps them whatever happens here; see
        ``autograder.sandbox.lease``), ``profile`` (an
        ``autograder.sandbox.profiles.WorkerProfile``: what the worker may see and use
        besides numpy, its process cap and worker options; the limits above stay the
        caller's; None is the numpy-only default) and ``extra_files`` (relative path ->
        bytes: grader data written into the copy before any student code runs, e.g. a small
        mnist.npz for ``load_mnist(path)``) and ``reply_budget`` (bytes of reply frames the
        session accepts over its whole life, every worker included; a reply that would go
        over it is refused on its header, before its body is read, with kind 'memory' and a
        restarted worker; None: only the protocol's per-frame limits).
        """
        submission = Path(submission_dir)
        if submission.is_symlink():  # it could lead to the solutions or another student
            raise NotADirectoryError(f"submission directory {submission} is a symbolic "
                                     "link, which is never followed")
        if not submission.is_dir():
            raise NotADirectoryError(f"submission directory {submission} does not exist")
        choice = resolve_isolation(isolation)
        self.isolation_level: str = choice.level
        self.isolation_note: str = choice.note
        self.isolation_program: str = choice.program  # which bwrap, at the bwrap level
        self.call_timeout, self.wall_cap = float(call_timeout), float(wall_cap)
        self.memory_limit, self.output_limit = int(memory_limit), int(output_limit)
        self.flood_limit = int(flood_limit)
        self.reply_budget = None if reply_budget is None else int(reply_budget)
        self.reply_bytes = 0  # reply frames received so far
        self.startup_seconds: list[float] = []
        # One line per call that was retried after an outside signal and then returned,
        # and the same as data for the feedback (in its language): label, signal, status.
        self.retry_notes: list[str] = []
        self.retries: list[dict[str, Any]] = []
        self.wall_used = 0.0
        self._tail = _Tail(self.output_limit)
        self._import_failures: dict[str, StudentError] = {}
        self._next_id = 0
        scratch = make_scratch(submission, choice.level, lease)
        self.lease = lease  # another session of the same run may share it
        self.profile = profile
        self._server_args: list[str] = []
        nproc = 64
        try:
            if profile is not None:
                self._server_args, nproc = profile.server_args(), profile.nproc
                scratch.env = dict(profile.env)
            add_grader_files(scratch, extra_files or {})
        except BaseException:
            release_scratch(scratch)
            raise
        self.copy_warnings: list[str] = list(scratch.warnings)
        if scratch.uid is not None:  # a dedicated uid: "other" permissions now matter
            protect_private_dirs(None if private_dirs is None
                                 else [Path(d) for d in private_dirs])
        self._limits = Limits(
            memory=self.memory_limit, nproc=nproc if scratch.uid is not None else None,
            cpu=int(self.wall_cap) + 60)
        self._res = _Resources(scratch)
        self._finalizer = weakref.finalize(self, _Resources.release, self._res)

    # ----- public API ----------------------------------------------------------------
    def call(self, module: str, function: str, *args: Any, **kwargs: Any) -> Any:
        """Run ``module.function(*args, **kwargs)`` in the worker; raises StudentError."""
        return self.call_outcome(module, function, *args, **kwargs).value

    def call_outcome(self, module: str, function: str, *args: Any,
                     **kwargs: Any) -> CallOutcome:
        """(Added) Like ``call``, plus what the worker observed: the arguments the call
        changed in place and the warnings it raised. Judging them is the caller's job."""
        _check_names(module, function)
        return self._request("call", module, function, args, kwargs, outcome=True)

    def has_function(self, module: str, function: str) -> bool:
        """Whether the module imports and defines a callable ``function``."""
        _check_names(module, function)
        try:
            return self._request("has", module, function) is True
        except StudentError:
            return False

    def import_status(self, module: str) -> StudentError | None:
        """None when ``module`` imports fine, else the StudentError saying why not."""
        _check_names(module, None)
        try:
            self._request("import", module)
        except StudentError as error:
            return error
        return None

    def output_tail(self) -> str:
        """The last ``output_limit`` bytes the worker(s) printed, decoded leniently."""
        if self._res.worker is not None:
            self._res.worker.settle()
        return self._tail.text()

    def worker_stats(self) -> dict[str, Any]:
        """(Added) the current worker's pid, uid and peak RSS in KiB, as it reports them."""
        result = self._request("stats", "_")
        return result if isinstance(result, dict) else {}

    def close(self) -> None:
        """Kill the worker and everything it started, delete the private copy; idempotent."""
        self._finalizer()

    @property
    def closed(self) -> bool:
        """Whether close() has run."""
        return not self._finalizer.alive

    def __enter__(self) -> StudentSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"StudentSession(level={self.isolation_level!r}, closed={self.closed})"

    # ----- requests ------------------------------------------------------------------
    def _request(self, op: str, module: str, function: str | None = None,
                 args: tuple = (), kwargs: dict | None = None, outcome: bool = False) -> Any:
        if self.closed:
            raise RuntimeError("this StudentSession is closed")
        label = f"{module}.{function}" if function else f"{module}.py"
        self._check_wall(label)
        if module in self._import_failures:
            raise self._import_failures[module]
        if op != "stats" and self._module_missing(module):
            # The worker would only say so: no worker (for a profile like keras, seconds of
            # start-up) is started to learn that a file is not there. Cached, as the
            # worker's answer is (an import failure).
            error = StudentError("missing_module", f"{module}.py is missing from the submission")
            self._import_failures[module] = error
            raise error
        fields, blobs = protocol.encode_values(
            [("args", list(args)), ("kwargs", dict(kwargs or {}))], allow_rng=True, exact=False)
        self._next_id += 1
        envelope = {"op": op, "id": self._next_id, "module": module, "function": function,
                    **fields}
        pieces = protocol.pack(envelope, blobs)
        worker = self._ensure_worker(label)
        try:
            result = self._exchange(worker, pieces, self._next_id, label, module)
        except _KilledFromOutside as first:
            result = self._retry(pieces, self._next_id, label, module, first)
        return result if outcome else result.value

    def _retry(self, pieces: list, req_id: int, label: str, module: str,
               first: _KilledFromOutside) -> CallOutcome:
        """Run a request again, once, in a fresh worker: the first one died from a signal
        the grader did not send. Whether it came from outside (the out-of-memory killer, an
        operator) or from the submission itself (``os.kill(os.getpid(), SIGKILL)``) cannot
        be told from here: a submission that kills itself does it again and is charged
        then; one that was killed from outside passes, with a note (``retry_notes``).
        The limits stay as they are: both attempts count against the wall cap."""
        self._check_wall(label)
        worker = self._ensure_worker(label)
        how = first.how
        result = self._exchange(worker, pieces, req_id, label, module, retried=how)
        self.retry_notes.append(
            f"{label} was run twice: the first time its worker was killed ({how}) by a "
            "signal the grader did not send, so it was retried once in a fresh worker")
        self.retries.append({"label": label, "signal": first.signal_name,
                             "status": first.status})
        return result

    def _exchange(self, worker: _Worker, pieces: list, req_id: int, label: str,
                  module: str, retried: str = "") -> CallOutcome:
        """One request and its reply. ``retried``: how the worker of the first attempt
        died, when this is the retry (see ``_retry``)."""
        started = time.monotonic()
        wall_deadline = started + self._wall_left()
        # The budget is fixed here, from what the trusted side knows: a module this worker
        # has not imported yet may take call_timeout to import and call_timeout for the
        # call; an imported one, call_timeout. Worker events only say where the time goes
        # (an import that hangs or crashes is charged to the import and cached); they can
        # start the call's own call_timeout once, never past the cap fixed now.
        first_use = module not in worker.imported
        cap = min(started + self.call_timeout * (2 if first_use else 1), wall_deadline)
        deadline = min(started + self.call_timeout, cap)
        phase = "call" if first_use else "called"
        self._tail.count = 0
        try:
            worker.send(pieces, deadline)
            while True:
                worker.frame_limit = self._reply_left()
                envelope, blobs = worker.receive(deadline)
                self.reply_bytes += worker.last_frame_bytes
                if _is_stale(envelope, req_id):
                    continue  # e.g. a reply from a process the student forked earlier
                if envelope.get("status") == "event":
                    # import_start then import_done, once each, and only on a first use.
                    phase = _next_phase(phase, envelope.get("event"))
                    if phase == "called":
                        deadline = min(time.monotonic() + self.call_timeout, cap)
                    continue
                worker.imported.add(module)
                return self._reply(envelope, blobs, label, module)
        except _Timeout:
            raise self._timed_out(label, module, phase, deadline >= wall_deadline) from None
        except _Gone:
            raise self._crashed(worker, label, module, phase, retried) from None
        except ProtocolError as exc:
            self._drop_worker()
            raise StudentError("crashed", f"{label}: the worker sent a malformed reply "
                               f"({exc}); the worker was restarted") from None
        except _OverBudget as exc:
            self._drop_worker()
            raise StudentError("memory", f"{label}: its reply ({exc.size:,} bytes) is over "
                               f"what is left of this session's reply budget "
                               f"({self._reply_left():,} of {self.reply_budget:,} bytes); the "
                               "worker was restarted") from None
        except MemoryError:  # the grader's own memory cap (see grading.runner)
            self._drop_worker()
            raise StudentError("memory", f"{label}: the reply was too large for the "
                               "grader's memory; the worker was restarted") from None
        finally:
            self.wall_used += time.monotonic() - started

    def _reply(self, envelope: dict, blobs: list, label: str, module: str) -> CallOutcome:
        if envelope.get("status") == "ok":
            try:
                value = protocol.decode_value(envelope.get("result"), blobs)
            except ProtocolError as exc:
                self._drop_worker()
                raise StudentError("bad_return", f"{label} returned data that could not be "
                                   f"decoded ({exc})") from None
            return decode_outcome(value, envelope.get("facts"))
        if envelope.get("status") != "error":
            raise ProtocolError("unexpected reply status")
        kind, message = envelope.get("kind"), envelope.get("message")
        if kind not in WORKER_KINDS or type(message) is not str:
            raise ProtocolError(f"unexpected error kind {str(kind)[:40]!r}")
        details = envelope.get("details")
        error = StudentError(kind, _clip(message), _clip(details if type(details) is str
                                                         else "", 4000))
        if envelope.get("phase") == "import":
            self._import_failures[module] = error
        if kind == "memory":
            self._drop_worker()  # a worker that hit its memory cap may be in a bad state
        raise error

    # ----- failures ------------------------------------------------------------------
    def _timed_out(self, label: str, module: str, phase: str, wall: bool) -> StudentError:
        self._drop_worker()
        if wall:
            return self._wall_error(label, while_running=True)
        if phase == "import":
            error = StudentError("timeout", f"{module}.py could not be imported: the import did "
                                 f"not finish within {self.call_timeout:g} s (timeout); the "
                                 "worker was restarted")
            self._import_failures[module] = error
            return error
        return StudentError("timeout", f"{label} did not return within {self.call_timeout:g} s "
                            "(timeout); the worker was restarted")

    def _crashed(self, worker: _Worker, label: str, module: str, phase: str,
                 retried: str = "") -> StudentError | _KilledFromOutside:
        flooded = worker.flooded
        how = worker.exit_description()
        number = worker.death_signal()
        self._drop_worker()
        if flooded:  # the grader's own SIGKILL
            return StudentError("output_flood", f"{label} printed more than "
                                f"{self.flood_limit // 2**20} MiB of output; the worker was "
                                "stopped and restarted")
        if number is not None and number not in LIMIT_SIGNALS:
            if not retried:
                code = worker.proc.returncode
                return _KilledFromOutside(how, _signal_name(number),
                                          code if code is not None and code > 0 else None)
            # Twice in a row: the submission kills itself (os.kill, a crash in native code).
            what = f"{module}.py could not be imported: it" if phase == "import" else label
            error = StudentError("crashed", f"{what} crashed the worker twice: the first time "
                                 f"({retried}) it was retried once in a fresh worker, in case "
                                 f"the signal came from outside your code, and it died again "
                                 f"({how}); does your code call os.kill or crash the process?")
            if phase == "import":
                self._import_failures[module] = error
            return error
        if phase == "import":
            error = StudentError("crashed", f"{module}.py could not be imported: the worker died "
                                 f"while importing it ({how}; os._exit or a crash at import)")
            self._import_failures[module] = error
            return error
        return StudentError("crashed", f"{label} crashed the worker ({how}; e.g. os._exit, a "
                            "signal or running out of memory); the worker was restarted")

    def _wall_error(self, label: str, while_running: bool = False) -> StudentError:
        what = "was stopped" if while_running else "was not run"
        return StudentError("wall_cap", f"{label} {what}: this submission used up its time cap "
                            f"of {self.wall_cap:g} s (student calls and worker start-ups)")

    # ----- worker lifecycle ----------------------------------------------------------
    def prestart(self) -> None:
        """Spawn the worker now and let it boot while the caller does other work.

        Call it from the thread that will make the calls: bwrap's --die-with-parent (a
        parent-death signal) follows the thread that spawned the worker, not the process.
        """
        if self._res.worker is None and not self.closed:
            self._res.worker = self._new_worker()

    def _ensure_worker(self, label: str) -> _Worker:
        worker = self._res.worker
        if worker is not None and worker.ready and worker.alive():
            return worker
        started = time.monotonic()
        wall_bound = self._wall_left() < START_TIMEOUT
        deadline = started + min(START_TIMEOUT, self._wall_left())
        try:
            if worker is None or not worker.alive():
                self._drop_worker()
                worker = self._new_worker()
                self._res.worker = worker
            worker.wait_ready(deadline)
        except (_Timeout, _Gone, ProtocolError, OSError) as exc:
            self._drop_worker()
            if wall_bound and isinstance(exc, _Timeout):
                raise self._wall_error(label) from None
            raise SandboxError(f"the worker could not start ({type(exc).__name__} {exc}); "
                               f"output: {self.output_tail()[-500:]!r}") from None
        finally:
            elapsed = time.monotonic() - started
            self.wall_used += elapsed
            self.startup_seconds.append(elapsed)
        return worker

    def _new_worker(self) -> _Worker:
        scratch = self._res.scratch
        if self.profile is not None and self.profile.packages and not scratch.packages:
            # Read from the installed packages' metadata (~1 s for TensorFlow's closure):
            # only once a worker of this profile is really needed.
            from autograder.sandbox.profiles import package_paths

            scratch.packages = package_paths(self.profile.packages)
        return _Worker(scratch, self._limits, self._tail, self.flood_limit, self._server_args)

    def _module_missing(self, module: str) -> bool:
        """Whether nothing named ``module``.py is in the copy (the worker's own check, made
        here first). Only the directory entry is looked at, never followed: whatever stands
        there, a file or anything else, the worker is asked and judges it as before."""
        return not os.path.lexists(self._res.scratch.cwd / f"{module}.py")

    def _drop_worker(self) -> None:
        self._res.drop_worker()

    def _wall_left(self) -> float:
        return self.wall_cap - self.wall_used

    def _reply_left(self) -> int | None:
        if self.reply_budget is None:
            return None
        return max(0, self.reply_budget - self.reply_bytes)

    def _check_wall(self, label: str) -> None:
        if self._wall_left() <= 0:
            raise self._wall_error(label)


def _next_phase(phase: str, event: Any) -> str:
    if phase == "call" and event == "import_start":
        return "import"
    if phase == "import" and event == "import_done":
        return "called"  # the call proper; no further events are allowed
    raise ProtocolError(f"unexpected event {str(event)[:30]!r} during {phase}")


def _is_stale(envelope: dict, req_id: int) -> bool:
    ident = envelope.get("id")
    if ident == req_id:
        return False
    if type(ident) is int and ident < req_id:
        return True
    raise ProtocolError(f"reply for an unknown request {str(ident)[:20]}")


def _check_names(module: str, function: str | None) -> None:
    if type(module) is not str or not MODULE_RE.match(module):
        raise ValueError(f"module name must match {MODULE_RE.pattern}: {module!r}")
    if function is not None and (type(function) is not str or not function.isidentifier()):
        raise ValueError(f"function name must be an identifier: {function!r}")


def _clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
