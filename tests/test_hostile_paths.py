"""Submission paths (issue 7, items 3 and 4): any path, file type or archive defect is that
submission's problem, a link is never followed, and output names never collide with the
class files. Everything runs as one `dltips grade` class run, in a subprocess with a
deadline (a FIFO once hung the whole run)."""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from points import HEAVY_FILES, NUMPY_POINTS, TOTAL_POINTS

from autograder.course.contract import REPO_ROOT
from autograder.sandbox.session import StudentSession

HOSTILE = Path(__file__).resolve().parent / "hostile"


def breakers_module():
    spec = importlib.util.spec_from_file_location(
        "class_breakers", HOSTILE / "class_breakers" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def class_run(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("class")
    solutions = root / "solutions-copy"  # a stand-in for the checkout's solutions/
    # the numpy modules: the keras one is graded elsewhere (tests/test_mnist_grading.py)
    shutil.copytree(REPO_ROOT / "solutions", solutions,
                    ignore=shutil.ignore_patterns("__pycache__", "__init__.py", "*.ipynb",
                                                  *HEAVY_FILES))
    honest = root / "subs" / "honest"
    shutil.copytree(solutions, honest)
    made = breakers_module().build(root / "subs", solutions, honest)
    out = root / "out"
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(honest),
                           *map(str, made.values()), "--out", str(out), "--jobs", "2"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=240)
    with (out / "grades.csv").open() as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    return {"done": done, "out": out, "rows": rows}


def results(class_run: dict, name: str) -> dict:
    return json.loads((class_run["out"] / name / "results.json").read_text())


def test_the_class_run_completes_with_every_submission(class_run):
    done = class_run["done"]
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert set(class_run["rows"]) == {
        "honest", "bad_utf8", "future_version", "submission", "pipe", "_grades.csv",
        "_summary.png", "linked_solutions", "linked_neighbour", "inner_link"}
    assert class_run["rows"]["honest"]["total"] == f"{NUMPY_POINTS:g}"
    assert (class_run["out"] / "summary.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("name, why", [
    ("bad_utf8", "unreadable zip"), ("future_version", "unreadable zip"),
    ("pipe", "FIFO"), ("linked_solutions", "symbolic link"),
    ("linked_neighbour", "symbolic link"),
])
def test_a_defective_path_is_that_submissions_zero_with_a_note(class_run, name, why):
    data = results(class_run, name)
    assert data["score"] == 0 and why in data["output"]
    assert data["extra_data"]["grader_error"] is None
    assert sum(t["max_score"] for t in data["tests"]) == TOTAL_POINTS  # every test reported


def test_links_inside_a_submission_are_not_followed(class_run):
    data = results(class_run, "inner_link")
    assert data["score"] == 0 and "no module files found" in data["output"]


def test_output_names_never_collide_with_class_files(class_run):
    assert (class_run["out"] / "grades.csv").is_file()
    for name in ("_grades.csv", "_summary.png", "submission"):
        assert results(class_run, name)["score"] == 8  # dropout's full marks, in its folder
    assert not (class_run["out"] / "results.json").exists()  # '..zip' did not land in out/


def test_a_session_refuses_a_linked_submission(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "m.py").write_text("def f():\n    return 1\n")
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(NotADirectoryError, match="symbolic link"):
        StudentSession(tmp_path / "link", isolation="none")
