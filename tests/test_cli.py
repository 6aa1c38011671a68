"""The `dltips` command line: exit codes, one-line errors, tables, files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from points import TOTAL_POINTS

from autograder import cli
from autograder.course.contract import MODULES, REPO_ROOT


def run_cli(*args: str, cwd=None, env_columns: int | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if env_columns:
        env["COLUMNS"] = str(env_columns)  # the terminal width rich lays out for
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], cwd=cwd or REPO_ROOT,
                          capture_output=True, text=True, timeout=600, env=env)


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
    assert "dltips check" in done.stdout
    assert ("all passed" in done.stdout) == all_pass
    if not all_pass:
        assert "NotImplementedError" in done.stdout
    # As pytest: 0 only when every check passed, 1 when any failed (2: usage errors).
    assert done.returncode == (0 if all_pass else 1), done.stdout + done.stderr


def test_check_exits_1_when_one_check_fails(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    source = (REPO_ROOT / "solutions" / "dropout.py").read_text()
    (folder / "dropout.py").write_text(source.replace("return x * mask / (1.0 - rate), mask",
                                                      "return x * mask, mask"))
    done = run_cli("check", "dropout", "--path", str(folder))
    assert done.returncode == 1, done.stdout + done.stderr
    # The hidden suite's points: dropout is worth 8, one of forward's two checks 2.75.
    assert "5.25/8" in done.stdout and "1 of 3 checks failed" in done.stdout


def test_check_on_untouched_stubs_prints_one_line_per_module():
    done = run_cli("check", "--path", str(REPO_ROOT / "assignments"), env_columns=80)
    assert done.returncode == 1
    lines = done.stdout.strip().splitlines()
    assert lines[0] == f"dltips check: 0 / {TOTAL_POINTS:g} points"
    assert [line.split()[0] for line in lines[1:]] == list(MODULES)
    assert all("every check stops at NotImplementedError" in line for line in lines[1:])


def _widths_and_ellipses(text: str) -> tuple[int, bool]:
    return max(len(line) for line in text.splitlines()), "\u2026" in text


def test_a_failing_check_shows_what_failed_on_80_columns(tmp_path):
    """The label that says which output failed is never cut, nor any number."""
    folder = tmp_path / "work"
    folder.mkdir()
    source = (REPO_ROOT / "solutions" / "regularization.py").read_text()
    (folder / "regularization.py").write_text(source.replace(
        "loss = float(np.mean(r**2)) + l1_l2_penalty(w, l1, l2)", "loss = float(np.mean(r**2))"))
    done = run_cli("check", "regularization", "--path", str(folder), env_columns=80)
    assert done.returncode == 1
    widest, cut = _widths_and_ellipses(done.stdout)
    assert widest <= 80 and not cut, done.stdout
    assert "`regularized_mse_loss_and_grads['loss']`: 1 of 1 values differ" in done.stdout
    assert "regularization      8/10 1 of 5 checks failed" in done.stdout
    trailing = [line for line in done.stdout.splitlines() if line != line.rstrip()]
    assert trailing == [], "lines padded with spaces"


def test_a_backward_check_that_fails_in_the_forward_says_so(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    source = (REPO_ROOT / "solutions" / "batchnorm.py").read_text()
    (folder / "batchnorm.py").write_text(source.replace(
        "    cache = {\"x_hat\": x_hat, \"gamma\": gamma, \"inv_std\": inv_std}\n",
        "    cache = {\"x_hat\": x_hat, \"gamma\": gamma, \"inv_std\": inv_std}\n"
        "    raise ValueError('unfinished')\n"))
    done = run_cli("check", "batchnorm", "--path", str(folder), env_columns=100)
    assert ("`batchnorm_backward` could not be checked: it needs the cache from your "
            "`batchnorm_forward`, which failed: batchnorm.batchnorm_forward raised ValueError: "
            "unfinished") in " ".join(done.stdout.split())


def test_the_class_table_keeps_every_number_on_80_columns(tmp_path):
    sources = []
    for name in ("a_student_whose_folder_name_is_far_too_long_for_the_table", "bob"):
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy2(REPO_ROOT / "solutions" / "dropout.py", folder / "dropout.py")
        sources.append(str(folder))
    done = run_cli("grade", *sources, "--out", str(tmp_path / "out"), env_columns=80)
    assert done.returncode == 0, done.stderr
    widest, cut = _widths_and_ellipses(done.stdout)
    assert widest <= 80 and not cut, done.stdout
    table = done.stdout[done.stdout.index("Scores"):]
    for head in ("loss", "/14", "gd", "/10", "optim", "/20", "total", f"/{TOTAL_POINTS:g}"):
        assert head in table
    rows = [line for line in table.splitlines() if line.startswith("\u2502 bob")]
    assert rows and rows[0].split("\u2502")[-2].strip() == "8"  # the total, whole


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
