"""The `dltips` command line: exit codes, one-line errors, tables, files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from autograder import cli
from autograder.course.contract import REPO_ROOT


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], cwd=cwd or REPO_ROOT,
                          capture_output=True, text=True, timeout=600)


def test_missing_path_is_a_one_line_error(tmp_path):
    done = run_cli("grade", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "no such file or directory" in done.stderr
    assert not (tmp_path / "out").exists()


def test_nothing_gradable_is_a_one_line_error(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("hello")
    done = run_cli("grade", str(tmp_path / "empty"), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "nothing gradable" in done.stderr and done.stderr.strip().count("\n") == 0


def test_bad_jobs_and_unknown_module_are_usage_errors(tmp_path):
    assert cli.main(["grade", str(REPO_ROOT / "solutions"), "--out", str(tmp_path),
                     "--jobs", "0"]) == 2
    assert cli.main(["check", "nonsense", "--path", str(REPO_ROOT / "assignments")]) == 2
    assert cli.main(["check", "--path", str(tmp_path / "missing")]) == 2


def test_grade_two_submissions_writes_everything_and_exits_zero(tmp_path):
    good, empty = tmp_path / "good", tmp_path / "empty"
    good.mkdir()
    empty.mkdir()
    shutil.copy2(REPO_ROOT / "solutions" / "dropout.py", good / "dropout.py")
    done = run_cli("grade", str(good), str(empty), "--out", str(tmp_path / "out"),
                   "--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert "Scores" in done.stdout and "good" in done.stdout
    good_results = json.loads((tmp_path / "out" / "good" / "results.json").read_text())
    empty_results = json.loads((tmp_path / "out" / "empty" / "results.json").read_text())
    assert good_results["score"] == 8  # dropout's full marks
    assert empty_results["score"] == 0
    assert "no module files found" in empty_results["output"]
    assert (tmp_path / "out" / "grades.csv").exists()
    assert (tmp_path / "out" / "summary.png").exists()


def test_release_stubs_check_passes_on_the_committed_tree():
    done = run_cli("release", "stubs", "--check")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("path, all_pass", [("solutions", True), ("assignments", False)])
def test_check_runs_the_visible_suite(path, all_pass):
    done = run_cli("check", "dropout", "--path", str(REPO_ROOT / path))
    assert done.returncode == 0, done.stderr
    assert "dltips check" in done.stdout
    assert ("failed" not in done.stdout) == all_pass
    if not all_pass:
        assert "NotImplementedError" in done.stdout


def test_visibility_option_reaches_every_test(tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    shutil.copy2(REPO_ROOT / "solutions" / "dropout.py", good / "dropout.py")
    assert cli.main(["grade", str(good), "--out", str(tmp_path / "out"),
                     "--visibility", "after_published"]) == 0
    data = json.loads((tmp_path / "out" / "good" / "results.json").read_text())
    assert data["visibility"] == "after_published"
    assert {t["visibility"] for t in data["tests"]} == {"after_published"}
    done = run_cli("grade", str(good), "--out", str(tmp_path / "o2"), "--visibility", "secret")
    assert done.returncode == 2


def test_check_from_inside_the_assignments_folder(tmp_path):
    folder = tmp_path / "my_work"
    folder.mkdir()
    shutil.copy2(REPO_ROOT / "solutions" / "dropout.py", folder / "dropout.py")
    done = run_cli("check", "dropout", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "failed" not in done.stdout and "dltips check" in done.stdout
