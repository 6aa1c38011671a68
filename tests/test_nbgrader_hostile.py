"""Hostile submissions through nbgrader's real command line, on a course made by
`dltips nbgrader init` (issue 14, items 1, 2 and 7).

One `nbgrader autograde` run of a small course (three tiny notebooks) and a class of six:

- ``honest``: the release with a written answer, the control;
- ``tagger``: tags every cell ``skip-execution`` (nbgrader gives a test cell without
  output full marks) and edits the test cells' points;
- ``eve``: ``schema_version`` 4 on an answer and 1 on a locked cell (nbgrader's
  ``CheckCellMetadata`` then stops the run for the whole class), a test cell's ``grade``
  flag cleared, another turned into a raw cell;
- ``linker``: a ``losses.py`` that links to the reference solution, a notebook that links
  to ``honest``'s (their written answer), a link to ``honest``'s folder, a link to a
  device, a FIFO, a socket, a device node (as root) and a file over the size cap;
- ``bloated``: a notebook of more cells than the cap;
- ``hog``: a ``losses.sigmoid`` that returns 24 MiB per call to a figure cell that keeps
  every reply (the kernel grew to 8 GB that way).

Source notebooks: ``00_hostile`` (a test that always fails, one that scores 1.5, one whose
last line yields no result, a written answer), ``01_more`` (a test worth 1) and
``02_figures`` (the figure loop; it grades nothing, so no grading run starts).
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
from pathlib import Path

import nbformat
import pytest
from helpers_notebooks import nbgrader_meta
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.course.contract import MODULES, REPO_ROOT
from autograder.delivery import nbgrader_course as course_mod
from autograder.delivery import nbgrader_scrub
from autograder.delivery.notebook import FIGURE_REPLY_BUDGET, KERNEL_MEMORY_LIMIT

pytestmark = pytest.mark.slow  # one nbgrader class run: about 40 s on a quiet machine

ASSIGNMENT = "unit"
STUDENTS = ("bloated", "eve", "hog", "honest", "linker", "tagger")
HONEST_ANSWER = "honest's own answer: 42"
REPLY_BYTES = 24 * 2**20
FIGURE_CALLS = 20


def _notebook(*cells) -> nbformat.NotebookNode:
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def _hidden(code: str) -> str:
    return f"### BEGIN HIDDEN TESTS\n{code}\n### END HIDDEN TESTS"


SOURCES = {
    "00_hostile": _notebook(
        new_markdown_cell("# hostile", metadata=nbgrader_meta("intro")),
        new_code_cell("x = 1", metadata=nbgrader_meta("setup")),
        new_code_cell("assert x == 1\n" + _hidden("raise AssertionError('not done')"),
                      metadata=nbgrader_meta("fail", grade=True, points=2)),
        new_code_cell(_hidden("float(1.5)"), metadata=nbgrader_meta("half", grade=True, points=2)),
        new_code_cell("_ = x  # no result", metadata=nbgrader_meta("silent", grade=True, points=1)),
        new_markdown_cell("YOUR ANSWER HERE", metadata=nbgrader_meta(
            "why", grade=True, solution=True, locked=False, points=1)),
    ),
    "01_more": _notebook(
        new_code_cell(_hidden("float(1.0)"), metadata=nbgrader_meta("more", grade=True, points=1)),
    ),
    "02_figures": _notebook(
        new_code_cell(
            "import resource\nimport numpy as np\n"
            "from autograder.delivery.notebook import setup_notebook\n"
            "nb = setup_notebook('losses', graded=())\n"
            "print('RLIMIT_AS', resource.getrlimit(resource.RLIMIT_AS)[0])",
            metadata=nbgrader_meta("fig-setup")),
        new_code_cell(
            "kept, failure = [], ''\n"
            f"for _ in range({FIGURE_CALLS}):\n"
            "    try:\n"
            "        kept.append(nb.losses.sigmoid(np.zeros(3)))\n"
            "    except Exception as error:\n"
            "        failure = f'{type(error).__name__}: {error}'\n"
            "        break\n"
            "print('replies', len(kept), failure)",
            metadata=nbgrader_meta("fig-loop")),
    ),
}
# What every student who hands in both notebooks scores (an unchanged answer scores 0, a
# written one waits for the instructor: None).
EXPECTED = {"fail": 0.0, "half": 1.5, "silent": 0.0, "why": 0.0, "more": 1.0}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("nbgrader-hostile")
    root = tmp / "repo"
    (root / "solutions").mkdir(parents=True)
    for module in MODULES:
        shutil.copyfile(REPO_ROOT / "solutions" / f"{module}.py",
                        root / "solutions" / f"{module}.py")
    shutil.copytree(REPO_ROOT / "source_data", root / "source_data")
    for name, nb in SOURCES.items():
        nbformat.write(nb, root / "solutions" / f"{name}.ipynb")
    course = tmp / "course"
    course_mod.init_course(course, ASSIGNMENT, root=root)
    done = course_mod.run_nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    assert done.returncode == 0, done.stderr[-3000:]
    release = course / "release" / ASSIGNMENT
    folders = {}
    for student in STUDENTS:
        folders[student] = course / "submitted" / student / ASSIGNMENT
        shutil.copytree(release, folders[student])
    _answer(folders["honest"], HONEST_ANSWER)
    _tag(folders["tagger"])
    _schema(folders["eve"])
    _links(folders["linker"], folders["honest"])
    _bloat(folders["bloated"])
    _hog(folders["hog"])
    autograde = course_mod.run_nbgrader(course, "autograde", ASSIGNMENT, "--force")
    return {"course": course, "autograde": autograde, "folders": folders}


def _edit(folder: Path, name: str, change) -> None:
    path = folder / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


def _answer(folder: Path, text: str) -> None:
    def change(nb):
        next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")).source = text
    _edit(folder, "00_hostile", change)


def _tag(folder: Path) -> None:
    def change(nb):
        for cell in nb.cells:
            meta = cell.metadata.setdefault("nbgrader", {})
            cell.metadata["tags"] = ["skip-execution", "raises-exception"]
            if meta.get("grade") and not meta.get("solution"):
                meta["points"] = 100  # nbgrader restores points; the tag is what matters
    for name in ("00_hostile", "01_more"):
        _edit(folder, name, change)


def _schema(folder: Path) -> None:
    def change(nb):
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade_id") == "why":
                meta["schema_version"] = 4
            if meta.get("grade_id") == "setup":
                meta["schema_version"] = 1
            if meta.get("grade_id") == "silent":
                meta["grade"] = False  # nbgrader alone: "Inconsistent checksums", rc 1
            if meta.get("grade_id") == "half":
                cell.cell_type = "raw"
                cell.pop("outputs", None)
                cell.pop("execution_count", None)
    _edit(folder, "00_hostile", change)


def _links(folder: Path, neighbour: Path) -> None:
    (folder / "losses.py").unlink()
    (folder / "losses.py").symlink_to(REPO_ROOT / "solutions" / "losses.py")
    (folder / "00_hostile.ipynb").unlink()
    (folder / "00_hostile.ipynb").symlink_to(os.path.relpath(neighbour / "00_hostile.ipynb",
                                                             folder))
    (folder / "peek").symlink_to(os.path.relpath(neighbour, folder), target_is_directory=True)
    (folder / "notes" / "deeper").mkdir(parents=True)
    (folder / "notes" / "deeper" / "device.csv").symlink_to("/dev/null")
    os.mkfifo(folder / "pipe.py")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "sock"))
    server.close()
    if os.geteuid() == 0:
        os.mknod(folder / "null.dev", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    with open(folder / "big.bin", "wb") as big:
        big.truncate(nbgrader_scrub.MAX_FILE_BYTES + 1)  # sparse: no disk used


def _bloat(folder: Path) -> None:
    def change(nb):
        nb.cells += [new_markdown_cell("") for _ in range(nbgrader_scrub.MAX_NOTEBOOK_CELLS)]
    _edit(folder, "00_hostile", change)


def _hog(folder: Path) -> None:
    with (folder / "losses.py").open("a", encoding="utf-8") as module:
        module.write(f"\n\ndef sigmoid(z):\n    return np.ones({REPLY_BYTES // 8})\n")


def _grades(run: dict, student: str) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{run['course'] / 'gradebook.db'}", "dltips") as gradebook:
        return {grade.name: grade.auto_score for notebook in ("00_hostile", "01_more")
                for grade in gradebook.find_submission_notebook(
                    notebook, ASSIGNMENT, student).grades}


def _outputs(run: dict, student: str, notebook: str) -> str:
    path = run["course"] / "autograded" / student / ASSIGNMENT / f"{notebook}.ipynb"
    nb = nbformat.read(path, as_version=4)
    return "\n".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", []))


# ---------------------------------------------------------------------------------------
# Item 1: no tag, metadata value or cell type of a student's skips, aborts or re-scores
# ---------------------------------------------------------------------------------------


def test_the_whole_class_is_graded(run):
    # eve's schema_version 4 stopped nbgrader for everyone; a FIFO failed linker.
    assert run["autograde"].returncode == 0, run["autograde"].stderr[-4000:]
    for student in STUDENTS:
        assert (run["course"] / "autograded" / student / ASSIGNMENT / "01_more.ipynb").exists()


@pytest.mark.parametrize("student", ["honest", "tagger", "eve", "hog"])
def test_tags_and_metadata_change_no_score(run, student):
    assert _grades(run, student) == {**EXPECTED, "why": None if student == "honest" else 0.0}


def test_a_test_cell_without_a_result_scores_zero(run):
    graded = nbformat.read(run["course"] / "autograded" / "honest" / ASSIGNMENT
                           / "00_hostile.ipynb", as_version=4)
    silent = next(c for c in graded.cells if c.metadata.nbgrader["grade_id"] == "silent")
    assert silent.outputs[0].ename == "NoScore"
    assert _grades(run, "honest")["silent"] == 0.0  # nbgrader alone gives full marks


def test_graded_cells_are_the_sources_own(run):
    source = SOURCES["00_hostile"]
    for student in ("tagger", "eve"):
        graded = nbformat.read(run["course"] / "autograded" / student / ASSIGNMENT
                               / "00_hostile.ipynb", as_version=4)
        assert [c.cell_type for c in graded.cells] == [c.cell_type for c in source.cells]
        for cell in graded.cells:
            assert "tags" not in cell.metadata, (student, cell.id)
            assert cell.metadata.nbgrader["schema_version"] == 3, (student, cell.id)


# ---------------------------------------------------------------------------------------
# Item 2: the scrub, before nbgrader copies a submission
# ---------------------------------------------------------------------------------------


def test_links_and_special_files_never_reach_autograded(run):
    autograded = run["course"] / "autograded" / "linker" / ASSIGNMENT
    names = {p.relative_to(autograded).as_posix() for p in autograded.rglob("*")}
    assert not {"losses.py", "peek", "pipe.py", "sock", "null.dev", "big.bin",
                "notes/deeper/device.csv"} & names
    assert not [p for p in autograded.rglob("*") if p.is_symlink()]
    graded_text = "\n".join(p.read_text(errors="replace") for p in autograded.rglob("*")
                            if p.is_file())
    assert HONEST_ANSWER not in graded_text  # the classmate's notebook was a link
    # The linked notebook counts as not handed in; the real one is graded.
    assert _grades(run, "linker") == {**EXPECTED, "fail": 0, "half": 0, "silent": 0, "why": 0}


def test_the_scrub_says_what_it_removed(run):
    folder = run["folders"]["linker"]
    report = (run["course"] / "scrubbed" / "linker" / ASSIGNMENT / "SCRUBBED.txt").read_text()
    expected = ["losses.py: a symbolic link to", "00_hostile.ipynb: a symbolic link",
                "peek: a symbolic link", "notes/deeper/device.csv: a symbolic link to /dev/null",
                "pipe.py: a FIFO", "sock: a socket", "big.bin: "]
    if os.geteuid() == 0:
        expected.append("null.dev: a device")
    for line in expected:
        assert line in report, line
        assert f"Scrubbed linker/{ASSIGNMENT}: {line}" in run["autograde"].stderr, line
    # Links and special files are deleted; the big file is kept aside, not lost.
    assert sorted(p.name for p in folder.iterdir()) == sorted([
        *(p.name for p in (run["course"] / "release" / ASSIGNMENT).iterdir()
          if p.name not in ("losses.py", "00_hostile.ipynb")), "notes"])
    assert (run["course"] / "scrubbed" / "linker" / ASSIGNMENT / "big.bin").stat().st_size == (
        nbgrader_scrub.MAX_FILE_BYTES + 1)
    assert (REPO_ROOT / "solutions" / "losses.py").exists()  # a link's target is untouched
    assert HONEST_ANSWER in (run["folders"]["honest"] / "00_hostile.ipynb").read_text()


def test_a_notebook_of_too_many_cells_is_set_aside(run):
    kept = run["course"] / "scrubbed" / "bloated" / ASSIGNMENT
    assert "00_hostile.ipynb: " in (kept / "SCRUBBED.txt").read_text()
    assert len(nbformat.read(kept / "00_hostile.ipynb", as_version=4).cells) > (
        nbgrader_scrub.MAX_NOTEBOOK_CELLS)
    assert _grades(run, "bloated") == {**EXPECTED, "fail": 0, "half": 0, "silent": 0, "why": 0}


def test_honest_students_are_not_scrubbed(run):
    assert not (run["course"] / "scrubbed" / "honest").exists()
    assert not (run["course"] / "scrubbed" / "hog").exists()


# ---------------------------------------------------------------------------------------
# Item 7: the figure calls' reply budget and the kernel's memory cap
# ---------------------------------------------------------------------------------------


def test_figure_replies_stop_at_the_budget(run):
    text = _outputs(run, "hog", "02_figures")
    assert f"RLIMIT_AS {KERNEL_MEMORY_LIMIT}" in text
    line = next(line for line in text.splitlines() if line.startswith("replies"))
    replies = int(line.split()[1])
    assert 0 < replies <= FIGURE_REPLY_BUDGET // REPLY_BYTES < FIGURE_CALLS, line
    assert "reply budget" in line and "[memory]" in line
    # Control: the stub's NotImplementedError, not the budget, stops the others.
    assert "replies 0 NotImplementedError" in _outputs(run, "honest", "02_figures")


def test_collect_copies_links_as_links_for_the_scrub(run, tmp_path):
    # nbgrader's own collect copies a link's target into submitted/, where nothing can
    # tell it from the student's file; the course's collect keeps it a link.
    exchange = tmp_path / "exchange"
    record = f"collector+{ASSIGNMENT}+2026-01-01 00:00:00.000000 UTC+x1"
    inbound = exchange / "dltips" / "inbound" / record
    shutil.copytree(run["course"] / "release" / ASSIGNMENT, inbound)
    (inbound / "losses.py").unlink()
    (inbound / "losses.py").symlink_to(REPO_ROOT / "solutions" / "losses.py")
    os.mkfifo(inbound / "pipe.py")
    done = course_mod.run_nbgrader(run["course"], "collect", ASSIGNMENT,
                                   f"--Exchange.root={exchange}")
    assert done.returncode == 0, done.stderr[-3000:]
    submitted = run["course"] / "submitted" / "collector" / ASSIGNMENT
    assert (submitted / "losses.py").is_symlink()  # the scrub deletes it at autograde
    assert not (submitted / "pipe.py").exists()
    assert (submitted / "01_more.ipynb").is_file()
