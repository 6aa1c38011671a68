"""Nothing outlives grading (issue 7, item 7), even when the engine has to kill the
grading process at its time limit: the engine owns the scratch space, marker and uid (a
lease) and sweeps them after the runner has ended, however it ended. Finished tests keep
their results."""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers_sandbox import processes_with, require_level

from autograder.course.contract import REPO_ROOT
from autograder.grading import report
from autograder.grading.engine import GradeOptions, grade_submission
from autograder.sandbox.scratch import remove_tree
from autograder.sandbox.session import StudentSession

HOSTILE = Path(__file__).resolve().parent / "hostile"




@pytest.fixture
def private_tmp(monkeypatch, tmp_path) -> Iterator[Path]:
    """A TMPDIR of this test's own, so that anything left behind is visible (0711, as the
    worker's uid must pass through it to its copy)."""
    path = Path(tempfile.mkdtemp(prefix="dltips-cleanup-"))
    os.chmod(path, 0o711)
    monkeypatch.setenv("TMPDIR", str(path))
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    yield path
    remove_tree(path)




def leftovers(root: Path) -> list[str]:
    """What is left in TMPDIR but the probe cache and the (empty) uid claim folder."""
    left = []
    for entry in root.iterdir():
        if entry.name.startswith("dltips-uids"):
            left += [f"claim {c.name}" for c in entry.iterdir()]
        elif not entry.name.startswith(f"dltips-{os.geteuid()}"):
            left.append(entry.name)
    return left


@pytest.mark.parametrize("level", ["bwrap", "user"])
def test_a_killed_runner_leaves_nothing_and_keeps_finished_tests(level, private_tmp,
                                                                 tmp_path):
    require_level(level)
    marker = f"{random.randrange(9000, 9999)}.{random.randrange(10**6):06d}"  # sleep's argument
    sub = tmp_path / "sub"
    sub.mkdir()
    source = (HOSTILE / "outlive_runner" / "losses.py").read_text()
    (sub / "losses.py").write_text(source.replace("9000.000001", marker))
    shutil.copy2(REPO_ROOT / "solutions" / "dropout.py", sub / "dropout.py")
    options = GradeOptions(isolation=level, call_timeout=10, wall_cap=100,
                           runner_time_limit=9, modules=("dropout", "losses"))
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:  # the positive control: the attack really ran
        while not done.is_set():
            seen.append(len(processes_with(marker)))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        results = grade_submission(sub, options).results
    finally:
        done.set()
        watcher.join()
    assert max(seen) >= 2, "the detached sleepers never started"

    scores = report.module_scores(results)
    assert scores["dropout"] == (8, 8)  # finished before the stop: kept
    assert scores["losses"][0] == 0
    assert results["extra_data"]["grader_error"] is None
    assert "stopped at its time limit (9 s)" in results["output"]
    kinds = {t["extra_data"]["kind"] for t in results["tests"] if t["tags"][0] == "losses"}
    assert "wall_cap" in kinds
    assert processes_with(marker) == []
    assert leftovers(private_tmp) == []


def test_close_removes_any_tree_the_student_made(tmp_path):
    """A 1500-deep chain of folders (made at import by the same hostile module) once made
    shutil.rmtree raise RecursionError in close(), leaving the copy and the uid claim."""
    sub = tmp_path / "sub"
    sub.mkdir()
    shutil.copy2(HOSTILE / "outlive_runner" / "losses.py", sub / "losses.py")
    session = StudentSession(sub, isolation="none", call_timeout=10)
    try:
        assert session.import_status("losses") is None
        base = session._res.scratch.base
        assert (session._res.scratch.cwd / "d" / "d" / "d").is_dir()
    finally:
        session.close()
    assert not base.exists()
