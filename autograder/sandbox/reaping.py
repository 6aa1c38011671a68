"""Ending a worker and everything it started: its process group, every process of its
dedicated uid (detached ones included), and, at the 'none' level, every process carrying
the session's environment marker."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import warnings
from pathlib import Path

from autograder.sandbox.paths import MARKER_VAR
from autograder.sandbox.scratch import Scratch


def kill_worker(proc: subprocess.Popen, scratch: Scratch) -> None:
    """SIGKILL the worker, its process group, and every process the submission started."""
    for kill in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
        try:
            kill()
        except (ProcessLookupError, PermissionError):
            pass
    if scratch.uid is not None:
        kill_uid(scratch.uid, scratch.gid)
    kill_marked(scratch.marker)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def kill_uid(uid: int, gid: int | None) -> None:
    """Kill every process of the session's dedicated uid, including detached ones.

    ``kill(-1, SIGKILL)`` sent *as that uid* reaches all its processes atomically, so a
    process forking in a loop cannot outrun it the way it could outrun a /proc scan. The
    scan only decides whether that kill is needed at all: usually nothing of the uid is
    left (bwrap's pid namespace ends with the worker), and then nothing is forked.
    """
    for _ in range(5):
        if not uid_alive(uid):
            return
        _kill_all_as(uid, uid if gid is None else gid)
        time.sleep(0.02)


def uid_alive(uid: int) -> bool:
    """Whether any process (not a zombie) runs with real uid ``uid``."""
    return any(proc_uid(pid) == uid for pid in live_pids())


def _kill_all_as(uid: int, gid: int) -> None:
    """``kill(-1, SIGKILL)`` as ``uid``, from a forked child of this process: no program is
    executed, so nothing on PATH or in the file system is trusted, and it costs a fork.

    The child only makes system calls and exits; it never returns into the caller's code,
    whatever threads the parent had (the warning Python 3.12+ gives about forking a
    threaded process concerns children that go on running Python code).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - child: become the uid and kill everything of it
        try:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def kill_marked(marker: str) -> None:
    """Kill processes whose environment carries this session's marker (the 'none' level)."""
    if not marker:
        return
    needle = f"{MARKER_VAR}={marker}".encode()
    for _ in range(5):
        found = [pid for pid in live_pids() if needle in _environ(pid)]
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if not found:
            return
        time.sleep(0.02)


def live_pids() -> list[int]:
    """Pids of processes that are not zombies (zombies cannot run or be killed)."""
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid():
            try:
                state = Path(f"/proc/{name}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state not in (b"Z", b"X"):
                pids.append(int(name))
    return pids


def proc_uid(pid: int) -> int | None:
    """The real uid of ``pid`` (None when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _environ(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""

