"""One worker process as the trusted side sees it: its spawning, pipes, framing and output.

``_Worker`` starts the worker (``_spawn``: its own session, stdin closed, only the two
protocol pipes inherited), holds the trusted ends of the request and reply pipes, waits for
its "ready", writes and reads ``autograder.sandbox.worker.protocol`` frames without ever
blocking past a deadline, drains the worker's stdout and stderr into a bounded ``_Tail``
(killing its process group when a call floods it), and in the end kills the worker with all
it started and says how it died. Waiting on it fails with ``_Timeout`` (a deadline passed),
``_Gone`` (the worker exited or closed its reply pipe) or ``_OverBudget`` (a frame announced
more bytes than ``frame_limit``).

Kept apart from ``session.py`` so that the pipes and the process are one idea and the
policy another: what a call may cost, what a failure is called, when to retry and restart
belong to ``StudentSession``, the only user of this module; nothing here imports the
session or knows about students. The names keep their leading underscore: they are the
session's internals, not an API for the rest of the grader.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import subprocess
import sys
import termios
import threading
import time
from typing import Any

from autograder.sandbox.launch import Launch, Limits, build_launch
from autograder.sandbox.reaping import kill_worker
from autograder.sandbox.scratch import Scratch
from autograder.sandbox.worker import protocol
from autograder.sandbox.worker.protocol import ProtocolError

PIPE_SIZE = 2**20


class _Gone(Exception):
    """The worker exited or closed its reply pipe."""


class _Timeout(Exception):
    """A deadline passed while waiting on the worker."""


class _OverBudget(Exception):
    """A reply frame announced more bytes than the session's reply budget has left."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class _Tail:
    """A bounded tail of the worker's stdout+stderr, plus a per-call byte counter."""

    def __init__(self, limit: int) -> None:
        self.limit = max(0, limit)
        self.data = bytearray()
        self.count = 0
        self.lock = threading.Lock()

    def add(self, chunk: bytes) -> int:
        with self.lock:
            self.data += chunk
            if len(self.data) > self.limit:
                del self.data[: len(self.data) - self.limit]
            self.count += len(chunk)
            return self.count

    def text(self) -> str:
        with self.lock:
            return self.data.decode("utf-8", errors="replace")


class _Worker:
    """One running worker: the process, the trusted ends of its pipes, its drain threads."""

    def __init__(self, scratch: Scratch, limits: Limits, tail: _Tail,
                 flood_limit: int, server_args: list[str] | None = None) -> None:
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        for fd in (self.req_w, self.rep_r):
            _grow_pipe(fd)
        launch = build_launch(scratch, limits, ["--rfd", str(req_r), "--wfd", str(rep_w),
                                                *(server_args or [])])
        self.scratch, self.tail, self.flood_limit = scratch, tail, flood_limit
        self.flooded = False
        self.ready = False  # set once the worker has said "ready"
        self.imported: set[str] = set()  # modules this worker has answered a request for
        self.out_lock = threading.Lock()
        self.buffer = bytearray()
        # Bytes one frame may announce (the session's reply budget left; None: unbounded
        # beyond the protocol's own limits), and the size of the last frame taken.
        self.frame_limit: int | None = None
        self.last_frame_bytes = 0
        try:
            self.proc = _spawn(launch, (req_r, rep_w))
        except BaseException:
            os.close(self.req_w)
            os.close(self.rep_r)
            raise
        finally:
            os.close(req_r)  # the worker has its own copies (or never started)
            os.close(rep_w)
        os.set_blocking(self.req_w, False)
        os.set_blocking(self.rep_r, False)
        self.pidfd = _pidfd(self.proc.pid)
        self.drains = [threading.Thread(target=self._drain, args=(stream,), daemon=True)
                       for stream in (self.proc.stdout, self.proc.stderr)]
        for thread in self.drains:
            thread.start()

    def _drain(self, stream: Any) -> None:
        """Read student output continuously so a flood can never block the worker."""
        fd = stream.fileno()
        os.set_blocking(fd, False)
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while True:
            poller.poll()
            # Read and record under the lock, so settle() can tell "all read and recorded".
            with self.out_lock:
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                total = self.tail.add(chunk)
            if total > self.flood_limit and not self.flooded:
                self.flooded = True
                _killpg(self.proc.pid)

    def settle(self, timeout: float = 0.5) -> None:
        """Wait until output already written by the worker is in the tail (prints are
        flushed before each reply, but the drain threads may not have read them yet)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.out_lock:
                pending = sum(_unread(s) for s in (self.proc.stdout, self.proc.stderr))
            if not pending or not any(t.is_alive() for t in self.drains):
                return
            time.sleep(0.001)

    def wait_ready(self, deadline: float) -> None:
        """Wait for the worker's first frame, which must say "ready" (ProtocolError if not)."""
        ready, _ = self.receive(deadline)
        if ready.get("status") != "ready":
            raise ProtocolError("the worker did not say it was ready")
        self.ready = True

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, pieces: list, deadline: float) -> None:
        """Write a frame without ever blocking past ``deadline`` (a stuck worker stops reading)."""
        for piece in pieces:
            view = memoryview(piece).cast("B")
            while view:
                try:
                    view = view[os.write(self.req_w, view):]
                except BlockingIOError:
                    self._wait(self.req_w, select.POLLOUT, deadline)
                except (BrokenPipeError, ConnectionResetError):
                    raise _Gone() from None

    def receive(self, deadline: float) -> tuple[dict, list]:
        """The next complete frame from the worker."""
        while True:
            frame = self._take_frame()
            if frame is not None:
                return frame
            if not self._read_some():
                self._wait(self.rep_r, select.POLLIN, deadline)

    def _read_some(self) -> bool:
        """Append what is available; False when nothing was. Raises _Gone at EOF/exit."""
        try:
            chunk = os.read(self.rep_r, 1 << 20)
        except BlockingIOError:
            if not self.alive():
                raise _Gone() from None  # a grandchild may hold the pipe open after exit
            return False
        if not chunk:
            raise _Gone()
        self.buffer += chunk
        return True

    def _take_frame(self) -> tuple[dict, list] | None:
        size = protocol.HEADER.size
        if len(self.buffer) < size:
            return None
        json_len, blob_len = protocol.parse_header(bytes(self.buffer[:size]))
        end = size + json_len + blob_len
        if self.frame_limit is not None and end > self.frame_limit:
            raise _OverBudget(end)  # refused on its header, before the body is buffered
        if len(self.buffer) < end:
            return None
        with memoryview(self.buffer) as view:
            body = bytes(view[size:end])  # one copy; deleting the head of a bytearray is cheap
        del self.buffer[:end]
        self.last_frame_bytes = end
        return protocol.unpack(body, json_len)

    def _wait(self, fd: int, events: int, deadline: float) -> None:
        """Block until ``fd`` is ready or the worker exits; raise _Timeout at the deadline."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Timeout()
        poller = select.poll()
        poller.register(fd, events)
        if self.pidfd is not None:
            poller.register(self.pidfd, select.POLLIN)
        # Without a pidfd, wake up regularly to notice a worker whose pipe a child holds.
        step = remaining if self.pidfd is not None else min(remaining, 0.05)
        poller.poll(max(1, int(step * 1000)))

    def kill(self) -> None:
        """Kill the worker and everything it started; close our ends; reap the drains."""
        kill_worker(self.proc, self.scratch)
        for thread in self.drains:
            thread.join(timeout=2)
        for fd in (self.req_w, self.rep_r, self.pidfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None and not any(t.is_alive() for t in self.drains):
                stream.close()
        self.req_w = self.rep_r = -1
        self.pidfd = None

    def death_signal(self) -> int | None:
        """The signal that ended the worker's interpreter, if one did (bwrap reports its
        child's death by signal N as exit status 128 + N)."""
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return None
        if code < 0:
            return -code
        if self.scratch.level == "bwrap" and 128 < code < 128 + 65:
            return code - 128
        return None

    def exit_description(self) -> str:
        """'exit status 3', 'killed by SIGSEGV', ... for messages."""
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "it stopped answering"
        if code < 0:
            return f"killed by {_signal_name(-code)}"
        if self.scratch.level == "bwrap" and code > 128:
            return f"exit status {code}, i.e. killed by {_signal_name(code - 128)}"
        return f"exit status {code}"


def _spawn(launch: Launch, fds: tuple[int, int]) -> subprocess.Popen:
    """Start the worker: stdin closed, output piped, its own session, only ``fds`` inherited.

    ``user``/``group`` are applied by subprocess in C between fork and exec (no Python
    preexec_fn, which is unsafe with the drain threads running).
    """
    return subprocess.Popen(
        launch.argv, env=launch.env, cwd=launch.cwd, user=launch.user, group=launch.group,
        extra_groups=[] if launch.user is not None else None, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=fds,
        start_new_session=True, close_fds=True)


def _grow_pipe(fd: int) -> None:
    """Ask for a 1 MiB pipe buffer: fewer wake-ups per array (best effort, Linux only)."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    except (AttributeError, OSError):
        pass


def _unread(stream: Any) -> int:
    """Bytes waiting in a pipe (FIONREAD); 0 once it is closed."""
    try:
        raw = fcntl.ioctl(stream.fileno(), termios.FIONREAD, b"\0\0\0\0")
    except (OSError, ValueError):
        return 0
    return int.from_bytes(raw, sys.byteorder)


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
