"""Isolation levels for the student-code worker: which one is in force, and the probe that
proves a level works on this machine.

Three levels, strongest first (see SECURITY.md for what each guarantees):

``bwrap``  bubblewrap: a private mount namespace holding only the Python installation,
           numpy (the rest of site-packages is masked), the worker script and the
           submission's private copy (the one writable place); new PID, IPC, UTS and network
           namespaces, ``--die-with-parent``, a fresh /tmp. When the grader runs as root the
           worker also drops to a dedicated unprivileged uid inside the sandbox.
``user``   no namespaces, but the worker runs as a dedicated, unprivileged uid allocated for
           this session (only possible as root), and the grader's private directories are
           made unreadable to other users.
``none``   a plain child process with limits; a one-line warning says so.

``auto`` picks the strongest level that works here (probed once per process).
Command line: ``python -m autograder.sandbox probe`` prints what would be used, and
``python -m autograder.sandbox grant-traverse`` adds the search bit the ``user`` level needs
on directories above the Python installation (for example ``/root`` under pyenv).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy

from autograder.sandbox.launch import Limits, build_launch
from autograder.sandbox.paths import (
    WORKER_FILES,
    WORKER_SOURCE,
    BwrapMissing,
    bwrap_program,
    grant_traverse,
    numpy_dir,
    python_paths,
    traverse_blockers,
)
from autograder.sandbox.reaping import kill_uid
from autograder.sandbox.scratch import LEVELS, make_scratch, release_scratch

PROBE_OK = "dltips-worker-probe-ok"
PROBE_TIMEOUT = 60.0
PROBE_TTL = 3600.0


class IsolationUnavailable(RuntimeError):
    """An explicitly requested isolation level cannot work on this machine."""


@dataclass(frozen=True)
class Isolation:
    """The level in force and a sentence saying which (and why, when degraded)."""

    level: str
    note: str
    program: str = ""  # at the bwrap level: which bwrap (see BwrapProgram.describe)



# ----- choosing a level ----------------------------------------------------------------
# What a caller may ask for: a level by name, "auto" (the strongest that works here, falling
# back with a note: for a student's own code, or the bundled samples) or "strict" (the
# strongest level, bwrap, or IsolationUnavailable: fail closed, for grading other people's
# code; a weaker level must then be asked for by name).
REQUESTS = ("auto", "strict", *LEVELS)
STRICT_ADVICE = ("run `python -m autograder.sandbox probe` to see why, or ask for a weaker "
                 "level by name (--isolation user, or --isolation none)")


def resolve_isolation(requested: str = "auto") -> Isolation:
    """The level to use for ``requested``; raises IsolationUnavailable for an impossible one.

    ``strict`` never degrades: when bwrap cannot work, the error says why in one sentence
    and what to do.
    """
    if requested not in REQUESTS:
        raise ValueError(f"isolation must be one of {', '.join(REQUESTS)}, not {requested!r}")
    if requested == "none":
        return Isolation("none", NONE_NOTE.format(why="requested explicitly"))
    bwrap_ok, bwrap_why = (False, "not requested") if requested == "user" else bwrap_status()
    if bwrap_ok:
        return Isolation("bwrap", bwrap_note(), bwrap_program().describe())
    if requested == "strict":
        raise IsolationUnavailable(f"refusing to run student code below the 'bwrap' level: "
                                   f"{bwrap_why}; {STRICT_ADVICE}")
    if requested == "bwrap":
        raise IsolationUnavailable(f"isolation 'bwrap' was requested but cannot work here: "
                                   f"{bwrap_why}")
    user_ok, user_why = user_status()
    if user_ok:
        extra = "" if requested == "user" else f" (bwrap unavailable: {bwrap_why})"
        return Isolation("user", USER_NOTE + extra)
    if requested == "user":
        raise IsolationUnavailable(f"isolation 'user' was requested but cannot work here: "
                                   f"{user_why}")
    return Isolation("none", NONE_NOTE.format(
        why=f"bwrap unavailable: {bwrap_why}; user level unavailable: {user_why}"))


NONE_NOTE = ("WARNING: isolation level 'none' ({why}): student code runs as a plain child "
             "process with your own permissions; it can read your files and use the network.")
USER_NOTE = ("Isolation level 'user': the worker runs as a dedicated unprivileged uid with "
             "the grader's private directories made unreadable to it, but it shares the "
             "network and can read world-readable files.")


def bwrap_note() -> str:
    """The sentence for the bwrap level: which bwrap, and the uid drop when we are root."""
    drop = " as a dedicated unprivileged uid" if os.geteuid() == 0 else ""
    return (f"Isolation level 'bwrap' ({bwrap_program().describe()}): the worker runs"
            f" in a bubblewrap sandbox{drop} with no network, its own PID namespace, a "
            "read-only view of only Python and numpy, and the submission copy as its only "
            "writable directory.")


@functools.cache
def bwrap_status() -> tuple[bool, str]:
    """Whether a bubblewrap sandbox with our exact configuration starts (probed once)."""
    if not sys.platform.startswith("linux"):
        return False, f"bubblewrap needs Linux (this is {sys.platform})"
    try:
        bwrap_program()
    except BwrapMissing as error:
        return False, str(error)
    return cached_probe("bwrap")


@functools.cache
def user_status() -> tuple[bool, str]:
    """Whether the worker can run as a dedicated uid (root only; probed once)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False, "dropping to another uid needs root"
    blockers = traverse_blockers(python_paths())
    if blockers:
        shown = ", ".join(str(p) for p in blockers)
        return False, (f"other users cannot reach the Python installation because {shown} "
                       "lacks the search (x) bit; run `python -m autograder.sandbox "
                       "grant-traverse` to add only that bit (see SECURITY.md)")
    return cached_probe("user")


def level_status(level: str) -> tuple[bool, str]:
    """Whether ``level`` works here (probed once) and, when it does not, why."""
    if level == "bwrap":
        return bwrap_status()
    if level == "user":
        return user_status()
    if level == "none":
        return True, "always available"
    raise ValueError(f"unknown isolation level {level!r}")


def clear_probe_cache() -> None:
    """Forget this process's probe results (the on-disk successes stay; see cached_probe)."""
    bwrap_status.cache_clear()
    user_status.cache_clear()


def cached_probe(level: str) -> tuple[bool, str]:
    """probe(level), remembering a success on disk for PROBE_TTL seconds.

    The engine starts one grading process per submission; without this each would spend
    a worker start-up (~0.2 s) on the probe. Only successes are kept (a failure may be
    transient), and only in a directory owned by us with mode 0700, so another local user
    cannot plant a record that downgrades the isolation level.
    """
    key = probe_key(level)
    records = _read_probe_records()
    stamp = records.get(key)
    if isinstance(stamp, (int, float)) and 0 <= time.time() - stamp < PROBE_TTL:
        return True, "ok (cached probe)"
    ok, why = probe(level)
    if ok:
        records[key] = time.time()
        _write_probe_records(records)
    return ok, why


def probe_key(level: str) -> str:
    """What a probe result depends on: the level, interpreter, numpy, bwrap, worker, kernel."""
    parts = [level, os.path.realpath(sys.executable), str(numpy_dir()), numpy.__version__,
             str(os.geteuid()), os.uname().release]
    bwrap = bwrap_program().path if level == "bwrap" else None
    for path in [bwrap, *(WORKER_SOURCE / name for name in WORKER_FILES)]:
        if path is not None:
            info = os.stat(path)
            parts.append(f"{path}:{info.st_mtime_ns}:{info.st_size}")
    return "|".join(parts)


def _probe_records_path() -> Path | None:
    directory = Path(tempfile.gettempdir()) / f"dltips-{os.geteuid()}"
    try:
        directory.mkdir(mode=0o700, exist_ok=True)
        info = directory.lstat()
    except OSError:
        return None
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        return None  # not provably ours: do not trust or write records there
    return directory / "probes.json"


def _read_probe_records() -> dict[str, float]:
    path = _probe_records_path()
    try:
        records = json.loads(path.read_text()) if path is not None else {}
    except (OSError, ValueError):
        return {}
    return records if isinstance(records, dict) else {}


def _write_probe_records(records: dict[str, float]) -> None:
    path = _probe_records_path()
    if path is None:
        return
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(records))
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)


def probe(level: str) -> tuple[bool, str]:
    """Start a worker at ``level`` in --probe mode and check that it set itself up."""
    empty = Path(tempfile.mkdtemp(prefix="dltips-probe-src-"))
    scratch = None
    try:
        scratch = make_scratch(empty, level)
        launch = build_launch(scratch, Limits(), ["--probe"])
        done = subprocess.run(launch.argv, env=launch.env, cwd=launch.cwd, user=launch.user,
                              group=launch.group, extra_groups=[] if launch.user else None,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT, start_new_session=True)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"the probe could not run: {exc}"
    finally:
        if scratch is not None:
            if scratch.uid is not None:
                kill_uid(scratch.uid, scratch.gid)  # nothing of a failed probe lingers
            release_scratch(scratch)
        shutil.rmtree(empty, ignore_errors=True)
    if done.returncode == 0 and PROBE_OK in done.stdout:
        return True, "ok"
    tail = " ".join((done.stderr or done.stdout).split())[-300:]
    return False, f"the probe sandbox failed (exit {done.returncode}): {tail}"



def enable_user_level() -> list[Path]:
    """Add the search bits the 'user' level needs (see ``paths.grant_traverse``), then
    forget this process's probe results, which may now differ."""
    changed = grant_traverse()
    clear_probe_cache()
    return changed
