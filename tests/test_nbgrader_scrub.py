"""The scrub nbgrader runs before it copies a submission (``pre_convert_hook``), on its own:
the cases the class run in test_nbgrader_hostile.py does not reach."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.delivery import nbgrader_scrub
from autograder.delivery.nbgrader_scrub import scrub_hook


def _submission(tmp_path: Path, student: str = "mallory") -> Path:
    folder = tmp_path / "course" / "submitted" / student / "unit"
    folder.mkdir(parents=True)
    for name in ("00_a.ipynb", "01_b.ipynb"):
        (folder / name).write_text('{"cells": [], "metadata": {}}')
    (folder / "losses.py").write_text("x = 1\n")
    return folder


def _notebooks(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.glob("*.ipynb"))


def _report(tmp_path: Path, student: str = "mallory") -> str:
    return (tmp_path / "course" / "scrubbed" / student / "unit" / "SCRUBBED.txt").read_text()


def test_a_clean_submission_is_left_alone(tmp_path):
    folder = _submission(tmp_path)
    notebooks = _notebooks(folder)
    scrub_hook(assignment="unit", student="*", notebooks=notebooks)
    assert notebooks == _notebooks(folder)
    assert not (tmp_path / "course" / "scrubbed").exists()


def test_a_linked_notebook_leaves_the_list_nbgrader_grades(tmp_path):
    folder = _submission(tmp_path)
    neighbour = _submission(tmp_path, "alice")
    (folder / "00_a.ipynb").unlink()
    (folder / "00_a.ipynb").symlink_to(neighbour / "00_a.ipynb")
    notebooks = _notebooks(folder)
    scrub_hook(assignment="unit", student="*", notebooks=notebooks)
    assert notebooks == [str(folder / "01_b.ipynb")]  # the very list, changed in place
    assert not (folder / "00_a.ipynb").exists() and (neighbour / "00_a.ipynb").exists()
    assert f"00_a.ipynb: a symbolic link to {neighbour / '00_a.ipynb'}" in _report(tmp_path)


@pytest.mark.parametrize("level", ["student", "assignment"])
def test_a_linked_submission_folder_is_not_graded(tmp_path, level):
    folder = _submission(tmp_path)
    elsewhere = _submission(tmp_path, "alice")
    notebooks = _notebooks(folder)
    linked = folder.parent if level == "student" else folder
    target = elsewhere.parent if level == "student" else elsewhere
    os.rename(linked, tmp_path / "moved")
    linked.symlink_to(target, target_is_directory=True)
    scrub_hook(assignment="unit", student="*", notebooks=notebooks)
    assert notebooks == []  # nbgrader then fails this one submission, and only it
    assert not linked.is_symlink() and sorted(p.name for p in elsewhere.iterdir()) == [
        "00_a.ipynb", "01_b.ipynb", "losses.py"]
    assert "NOT GRADED" in _report(tmp_path)


def test_a_tree_too_deep_is_moved_aside_whole(tmp_path):
    folder = _submission(tmp_path)
    deep = folder.joinpath(*["d"] * (nbgrader_scrub.MAX_DEPTH + 3))
    deep.mkdir(parents=True)
    (deep / "x.py").write_text("x")
    scrub_hook(assignment="unit", student="*", notebooks=_notebooks(folder))
    assert sum(1 for _ in folder.rglob("x.py")) == 0
    moved = tmp_path / "course" / "scrubbed" / "mallory" / "unit"
    assert sum(1 for _ in moved.rglob("x.py")) == 1
    assert f"nested deeper than {nbgrader_scrub.MAX_DEPTH} levels" in _report(tmp_path)


def test_a_scrub_that_fails_refuses_the_submission_and_never_raises(tmp_path, monkeypatch):
    folder = _submission(tmp_path)

    def broken(_folder):
        raise PermissionError("no")

    monkeypatch.setattr(nbgrader_scrub, "scrub_submission", broken)
    notebooks = _notebooks(folder)
    scrub_hook(assignment="unit", student="*", notebooks=notebooks)  # nbgrader would swallow
    assert notebooks == []
    assert "NOT GRADED: the scrub failed (PermissionError: no)" in _report(tmp_path)


def test_a_notebook_that_is_not_json_is_left_to_nbgrader(tmp_path):
    folder = _submission(tmp_path)
    (folder / "00_a.ipynb").write_text('{"cells": [')  # truncated: nbgrader fails it itself
    notebooks = _notebooks(folder)
    scrub_hook(assignment="unit", student="*", notebooks=notebooks)
    assert notebooks == _notebooks(folder)
