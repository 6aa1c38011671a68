"""``nbgrader validate``, nbgrader's own command, on a student notebook: a grade cell whose
visible checks fail is reported as failed (the cell's last expression is the points the
checks give, below the cell's points) although nothing raises; a complete module passes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course.contract import REPO_ROOT
from autograder.delivery import student_notebooks

pytestmark = pytest.mark.slow  # nbgrader validate executes the notebook in a kernel

WRONG_MSE = "return float(np.mean((y_true - y_pred) ** 2))"


def _student_folder(root: Path, losses: str) -> Path:
    folder = root / "student"
    shutil.copytree(REPO_ROOT / "assignments", folder)
    (folder / "data").mkdir()
    for name in student_notebooks.data_files():
        shutil.copy(student_notebooks.data_source(name), folder / "data")
    (folder / "losses.py").write_text(losses, encoding="utf-8")
    return folder


def _validate(folder: Path) -> str:
    nbgrader = Path(sys.executable).with_name("nbgrader")
    command = [str(nbgrader)] if nbgrader.exists() else [sys.executable, "-m", "nbgrader"]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("NBGRADER_EXECUTION", None)
    done = subprocess.run([*command, "validate", "00_recap.ipynb"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600)
    return done.stdout + done.stderr


def test_nbgrader_validate_reports_the_failing_grade_cell_only(tmp_path):
    reference = (REPO_ROOT / "solutions" / "losses.py").read_text(encoding="utf-8")
    assert WRONG_MSE in reference
    wrong = reference.replace(WRONG_MSE, "return float(np.sum((y_true - y_pred) ** 2))")
    said = _validate(_student_folder(tmp_path / "wrong", wrong))
    assert "VALIDATION FAILED ON 1 CELL(S)" in said, said
    assert 'visible_check("losses", "mean_squared_error")' in said
    assert "Partial credit; passed some but not all of the tests" in said
    assert "Traceback" not in said
    said = _validate(_student_folder(tmp_path / "right", reference))
    assert "Success! Your notebook passes all the tests." in said, said
