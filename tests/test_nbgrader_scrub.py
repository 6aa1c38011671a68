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


def _sizes(folder: Path, **files: int) -> None:
    for name, size in files.items():
        path = folder / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)


def test_files_over_the_file_count_cap_go_extras_first(tmp_path, monkeypatch):
    """No source folder here: the expected files are the modules and top-level notebooks."""
    monkeypatch.setattr(nbgrader_scrub, "MAX_FILES", 5)
    folder = _submission(tmp_path)  # 00_a.ipynb, 01_b.ipynb, losses.py: expected
    _sizes(folder, e1=40, e2=10, e3=30, sub__e4=20, sub__e5=20)
    notebooks = _notebooks(folder)
    scrub_hook(assignment="unit", student="*", notebooks=notebooks)
    left = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    # The 3 expected files, then the 2 smallest extras (ties by path).
    assert left == ["00_a.ipynb", "01_b.ipynb", "e2", "losses.py", "sub/e4"]
    assert notebooks == _notebooks(folder) and len(notebooks) == 2
    moved = tmp_path / "course" / "scrubbed" / "mallory" / "unit"
    assert sorted(p.relative_to(moved).as_posix() for p in moved.rglob("e*")) == [
        "e1", "e3", "sub/e5"]
    report = _report(tmp_path)
    assert "e1: over the submission's cap of 5 files, moved to" in report
    assert "sub/e5: over the submission's cap of 5 files" in report


def test_files_over_the_total_size_cap_go_largest_first(tmp_path, monkeypatch):
    """With a source folder, its files (data/ too) are the expected ones; a notebook of
    the student's own is not, and when it goes it leaves the list nbgrader grades."""
    monkeypatch.setattr(nbgrader_scrub, "MAX_TOTAL_BYTES", 1000)
    folder = _submission(tmp_path)
    source = tmp_path / "course" / "source" / "unit"
    _sizes(source, **{"00_a.ipynb": 1, "01_b.ipynb": 1, "losses.py": 1, "data__t.csv": 1})
    _sizes(folder, **{"data__t.csv": 600, "zz_own.ipynb": 500, "small": 300, "big": 900})
    notebooks = _notebooks(folder)
    scrub_hook(assignment="unit", student="*", notebooks=notebooks)
    left = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    # Expected: 2 x 30 + 6 + 600 bytes; then small (300) fits, zz_own (500) and big do not.
    assert left == ["00_a.ipynb", "01_b.ipynb", "data/t.csv", "losses.py", "small"]
    assert notebooks == [str(folder / "00_a.ipynb"), str(folder / "01_b.ipynb")]
    report = _report(tmp_path)
    assert "big: 900 bytes, over the submission's total cap of 1,000 bytes, moved to" in report
    assert "zz_own.ipynb: 500 bytes, over the submission's total cap" in report
    assert "data/t.csv" not in report


def test_an_expected_notebook_goes_only_when_the_expected_files_do_not_fit(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(nbgrader_scrub, "MAX_TOTAL_BYTES", 100)
    folder = _submission(tmp_path)
    (folder / "01_b.ipynb").write_text('{"cells": [], "metadata": {"pad": "' + "p" * 80 + '"}}')
    size = (folder / "01_b.ipynb").stat().st_size  # 30 + 6 + size > 100, 30 + 6 + 5 < 100
    _sizes(folder, **{f"extra{i}": 1 for i in range(5)})
    notebooks = _notebooks(folder)
    scrub_hook(assignment="unit", student="*", notebooks=notebooks)
    assert notebooks == [str(folder / "00_a.ipynb")]  # the larger expected one went
    assert sorted(p.name for p in folder.iterdir()) == [
        "00_a.ipynb", "extra0", "extra1", "extra2", "extra3", "extra4", "losses.py"]
    assert f"01_b.ipynb: {size} bytes, over the submission's total cap of 100 bytes" in (
        _report(tmp_path))


def test_removals_past_the_reported_count_are_summed_up(tmp_path, monkeypatch):
    monkeypatch.setattr(nbgrader_scrub, "MAX_FILES", 3)
    monkeypatch.setattr(nbgrader_scrub, "MAX_REPORTED", 2)
    folder = _submission(tmp_path)
    _sizes(folder, **{f"extra{i}": 1 for i in range(6)})
    scrub_hook(assignment="unit", student="*", notebooks=_notebooks(folder))
    lines = _report(tmp_path).splitlines()
    assert len(lines) == 3, lines
    assert lines[-1].startswith("... and 4 more files over the submission's cap of 3 files: "
                                "4 moved to ")
    assert sorted(p.name for p in folder.iterdir()) == ["00_a.ipynb", "01_b.ipynb", "losses.py"]
