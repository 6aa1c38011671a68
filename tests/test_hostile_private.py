"""The 'user' level hides what it promises to (issue 7, item 5): the grader's checkouts,
their git history and its outputs are unreadable to the worker's uid, and the grader's
command lines name none of its folders. Graded through `dltips grade` in a subprocess, so
that its command line is in /proc for the attack to read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.course.contract import REPO_ROOT
from autograder.sandbox import levels, paths

HOSTILE = Path(__file__).resolve().parent / "hostile"


def require_user_level() -> None:
    if os.geteuid() == 0 and paths.traverse_blockers(paths.python_paths()):
        levels.enable_user_level()  # SECURITY.md: only the search bit, e.g. on /root
    ok, why = levels.level_status("user")
    if not ok:
        pytest.skip(f"the user level is unavailable here: {why}")


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="dltips-private-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def attack(root: Path, level: str) -> dict:
    """Grade an honest submission, then the peeking one; return what the peek found."""
    drop = root / f"drop-{level}"
    drop.mkdir()
    os.chmod(drop, 0o777)
    honest = root / f"honest-{level}"
    shutil.copytree(REPO_ROOT / "solutions", honest,
                    ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    mallory = root / f"mallory-{level}"
    mallory.mkdir()
    source = (HOSTILE / "peek_grader" / "losses.py").read_text()
    (mallory / "losses.py").write_text(source.replace("/nonexistent-drop", str(drop)))
    out = root / f"out-{level}"
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(honest),
                           str(mallory), "--out", str(out), "--isolation", level],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    reports = sorted(drop.glob("found-*.json"))
    assert reports, "the peek never ran"
    found = json.loads(reports[0].read_text())
    found["out"] = str(out)
    return found


def leaks(found: dict) -> list[str]:
    """What was read that is private: anything in a checkout or in the grader's outputs
    (reading /proc's command lines and the finder in site-packages is not the leak). The
    Python installation the worker runs is not private either, wherever it lies: a venv
    made inside the checkout (``.venv/``) must stay readable for the worker to start."""
    private_roots = [*found["checkouts"], found["out"], *found["paths_in_cmdlines"]]
    python_roots = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}

    def under(path: str, roots: object) -> bool:
        return any(path.startswith(str(root).rstrip("/") + "/") for root in roots)

    return [path for path in found["read"]
            if under(path, private_roots) and not under(os.path.realpath(path), python_roots)]


def test_user_level_worker_reads_nothing_private(shared_tmp):
    require_user_level()
    found = attack(shared_tmp, "user")
    assert found["out"] in found["paths_in_cmdlines"]  # it had the lead...
    assert leaks(found) == []                           # ...and could not follow it
    assert not [p for p in found["paths_in_cmdlines"] if str(shared_tmp) in p and
                not p.startswith(found["out"])]  # only --out, on the CLI's own line


def test_none_level_control_finds_the_same_secrets(shared_tmp):
    found = attack(shared_tmp, "none")
    assert any(path.endswith("feedback.md") for path in leaks(found))
    if found["checkouts"]:  # an editable install here: its history is readable as root
        assert any("/.git" in path or "/solutions/" in path for path in leaks(found))


def test_git_metadata_and_editable_checkouts_are_private_paths(tmp_path):
    worktree = tmp_path / "wt"
    (tmp_path / "main" / ".git" / "worktrees" / "wt").mkdir(parents=True)
    (tmp_path / "main" / ".git" / "worktrees" / "wt" / "commondir").write_text("../..\n")
    worktree.mkdir()
    (worktree / ".git").write_text(f"gitdir: {tmp_path}/main/.git/worktrees/wt\n")
    assert paths.git_dirs(worktree) == [tmp_path / "main" / ".git" / "worktrees" / "wt",
                                        tmp_path / "main" / ".git"]
    assert paths.git_dirs(tmp_path / "main") == [tmp_path / "main" / ".git"]
    private = paths.private_paths()
    for checkout in paths.editable_checkouts():
        assert checkout / "solutions" in private
