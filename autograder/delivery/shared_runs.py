"""One grading run per submission and suite, shared by the notebooks ``nbgrader autograde``
executes one after another (each in its own kernel).

A notebook's grade cells need the results of its modules only, but a grading run costs
about the same for one module as for all seven (the runner's and the worker's start-up
dominate). So under autograde the first notebook grades every module once and stores the
results; the next notebooks of the same submission find them. What ``dltips grade``
computes for the same files is then, test for test, what the notebooks score.

The store is a private folder, ``$TMPDIR/dltips-<uid>/shared-runs/`` or the one named by
``$DLTIPS_SHARED_RUNS`` (mode 0700 and ours, or nothing is stored). An entry is keyed on
the suite, the staged module files' content and a fingerprint of the grader's own files, so
an edited module or an updated hidden suite never reuses a stale run; entries expire after
``MAX_AGE`` seconds. Student code cannot reach the folder: it runs in the sandboxed worker,
which sees a private ``/tmp`` (bwrap) or runs as another uid (user).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

MAX_AGE = 3600.0  # seconds an entry stays usable
STORE_VARIABLE = "DLTIPS_SHARED_RUNS"  # another private folder (a fresh one per benchmark)
_GRADER = Path(__file__).resolve().parents[1]  # the autograder package


def shared_run(suite: str, staged: Path, run: Callable[[], dict], variant: str = "") -> dict:
    """The results of ``run()`` (a grading run of ``suite`` on every module of the staged
    folder ``staged``), computed once per content and reused by later calls.

    Inputs:
    - suite: ``"hidden"`` or ``"public"``.
    - staged: the folder holding the staged module files (nothing else).
    - run: grades them; returns Gradescope-style results (JSON-serialisable).
    - variant: whatever else changes the results' text (the settings of what students
      read); part of the key.

    Returns:
    - the results, from the store when an entry with the same key exists. A run that
      reports a grader error is never stored. Any problem with the store only means
      ``run()`` is called.
    """
    store = _store()
    entry = store / f"{_key(suite + chr(0) + variant, staged)}.json" if store else None
    if entry is not None:
        cached = _read(entry)
        if cached is not None:
            return cached
    results = run()
    if entry is not None and not results.get("extra_data", {}).get("grader_error"):
        _write(entry, results)
    return results


def _key(suite: str, staged: Path) -> str:
    digest = hashlib.sha256(suite.encode() + b"\0" + grader_fingerprint().encode())
    for path in sorted(staged.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def grader_fingerprint() -> str:
    """A hash of every file of the grader (path, size, modification time): suites,
    references, grading code."""
    digest = hashlib.sha256()
    for directory, dirnames, filenames in os.walk(_GRADER):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            info = os.stat(os.path.join(directory, name))
            digest.update(f"{directory}/{name}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _store() -> Path | None:
    """The private store folder, or None when it is not safely ours."""
    if os.environ.get(STORE_VARIABLE):
        folders = [Path(os.environ[STORE_VARIABLE])]
    else:
        root = Path(tempfile.gettempdir()) / f"dltips-{os.geteuid()}"
        folders = [root, root / "shared-runs"]
    try:
        for folder in folders:
            folder.mkdir(mode=0o700, exist_ok=True)
            info = os.lstat(folder)
            if (not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid()
                    or info.st_mode & 0o077):
                return None
    except OSError:
        return None
    return folders[-1]


def _read(entry: Path) -> dict | None:
    try:
        if time.time() - entry.stat().st_mtime > MAX_AGE:
            return None
        return json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write(entry: Path, results: dict) -> None:
    """Atomically (a reader never sees half an entry); expired entries are removed."""
    try:
        handle, temporary = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(results, out)
        os.replace(temporary, entry)
        for old in entry.parent.glob("*.json"):
            if time.time() - old.stat().st_mtime > MAX_AGE:
                old.unlink(missing_ok=True)
    except OSError:
        pass
