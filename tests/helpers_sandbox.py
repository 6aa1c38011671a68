"""Shared by the sandbox tests: skipping an isolation level this machine lacks, and finding
processes by a token on their command line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.sandbox import levels, paths, reaping


def require_level(level: str) -> str:
    """Skip unless ``level`` works here; the user level gets its documented o+x grant."""
    if level == "user" and os.geteuid() == 0 and paths.traverse_blockers(paths.python_paths()):
        levels.enable_user_level()  # SECURITY.md: only the search bit, e.g. on /root
    ok, why = levels.level_status(level)
    if not ok:
        pytest.skip(f"isolation level {level!r} unavailable here: {why}")
    return level


def processes_with(token: str) -> list[int]:
    """Live pids whose command line contains ``token``."""
    found = []
    for pid in reaping.live_pids():
        try:
            if token.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            pass
    return found
