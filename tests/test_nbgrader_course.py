"""`dltips nbgrader init` and `dltips grade --nbgrader`, and the preprocessors that keep
student content out of the instructor's kernel (a tiny course, nbgrader's real CLI).

The whole unit's end-to-end run with the teaching notebooks is test_nbgrader_e2e.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers_notebooks import nbgrader_meta
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from traitlets.config.loader import PyFileConfigLoader

from autograder.course.contract import MODULES, REPO_ROOT
from autograder.course.solution_source import stub_text
from autograder.delivery import nbgrader_course as course_mod
from autograder.delivery.nbgrader_preprocessors import remove_foreign_files
from autograder.grading.engine import GradeOptions

ASSIGNMENT = "tiny"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=600)


def tiny_notebook() -> nbformat.NotebookNode:
    """A source notebook: a locked set-up cell that imports numpy and autograder, tries (as
    a notebook never should) a student module and reads a data file, a 2-point test cell
    ending in a hidden 1.5, a written answer."""
    nb = new_notebook(cells=[
        new_markdown_cell("# tiny", metadata=nbgrader_meta("intro")),
        new_code_cell("import pathlib\nimport numpy, autograder\nx = 1\ntry:\n"
                      "    import losses\nexcept ImportError:\n    pass\n\n\n"
                      "class Data:\n    def data(self, name):\n"
                      "        return pathlib.Path('data', name)\n\n\n"
                      "table = Data().data('lecture_table.csv').read_text()",
                      metadata=nbgrader_meta("setup")),
        new_code_cell("assert x == 1 and table\n### BEGIN HIDDEN TESTS\nfloat(1.5)\n"
                      "### END HIDDEN TESTS", metadata=nbgrader_meta("test", grade=True, points=2)),
        new_markdown_cell("why?", metadata=nbgrader_meta("why", grade=True, solution=True,
                                                  locked=False, points=1)),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


@pytest.fixture
def fake_root(tmp_path) -> Path:
    """A repository with the real solutions and data but one tiny source notebook."""
    root = tmp_path / "repo"
    (root / "solutions").mkdir(parents=True)
    for module in MODULES:
        shutil.copyfile(REPO_ROOT / "solutions" / f"{module}.py",
                        root / "solutions" / f"{module}.py")
    shutil.copytree(REPO_ROOT / "source_data", root / "source_data")
    nbformat.write(tiny_notebook(), root / "solutions" / "00_tiny.ipynb")
    return root


def load_config(course: Path):
    return PyFileConfigLoader(course_mod.CONFIG_NAME, path=str(course)).load_config()


# ---------------------------------------------------------------------------------------
# dltips nbgrader init
# ---------------------------------------------------------------------------------------


def test_init_writes_config_stubs_notebooks_and_data(tmp_path, fake_root):
    course = tmp_path / "course"
    source = course_mod.init_course(course, ASSIGNMENT, root=fake_root)
    assert source == (course / "source" / ASSIGNMENT).resolve()
    for module in MODULES:  # the stubs, never the solutions
        assert (source / f"{module}.py").read_text() == stub_text(module, fake_root)
        assert "# BEGIN SOLUTION" not in (source / f"{module}.py").read_text()
    assert (source / "00_tiny.ipynb").read_bytes() == (
        fake_root / "solutions" / "00_tiny.ipynb").read_bytes()
    assert [p.name for p in (source / "data").iterdir()] == ["lecture_table.csv"]

    config = load_config(course)
    root = course.resolve()
    assert config.CourseDirectory.root == str(root)
    assert config.CourseDirectory.course_id == "dltips"
    assert config.CourseDirectory.db_url == f"sqlite:///{root / 'gradebook.db'}"
    assert config.Execute.kernel_name == "python3"
    # a hidden cell waits for its grading run, which may take the runner's whole time limit
    assert config.Execute.timeout > GradeOptions().runner_timeout
    kept = config.Autograde.exclude_overwriting[ASSIGNMENT]
    assert sorted(kept) == sorted(f"{m}.py" for m in MODULES)
    assert all((source / path).is_file() for path in kept)  # exact paths, no "./"
    sanitize = config.Autograde.sanitize_preprocessors
    # First: no other step ever sees a student's cell metadata.
    assert sanitize[0] == "autograder.delivery.nbgrader_sanitize.SourceCellsOnly"
    autograde = config.Autograde.autograde_preprocessors
    assert autograde[0].endswith("RemoveForeignFiles")
    assert autograde.index("nbgrader.preprocessors.SaveAutoGrades") == (
        autograde.index("autograder.delivery.nbgrader_preprocessors.ScoreOrZero") + 1)
    assert config.Autograde.pre_convert_hook == (
        "autograder.delivery.nbgrader_scrub.scrub_hook")
    assert config.ExchangeFactory.collect == (
        "autograder.delivery.nbgrader_collect.CollectKeepingLinks")
    assert any("ClearHiddenTests" in p for p in config.GenerateFeedback.preprocessors)


def test_config_follows_the_course_when_it_moves(tmp_path, fake_root):
    course_mod.init_course(tmp_path / "course", ASSIGNMENT, root=fake_root)
    shutil.move(tmp_path / "course", tmp_path / "moved")
    config = load_config(tmp_path / "moved")
    assert config.CourseDirectory.root == str((tmp_path / "moved").resolve())


def test_ignore_patterns_never_release_solution_files(tmp_path, fake_root):
    from nbgrader.utils import find_all_files

    source = course_mod.init_course(tmp_path / "course", ASSIGNMENT, root=fake_root)
    (source / "solutions").mkdir()
    shutil.copyfile(fake_root / "solutions" / "losses.py", source / "solutions" / "losses.py")
    shutil.copyfile(fake_root / "solutions" / "losses.py", source / "losses_solution.py")
    (source / "hidden").mkdir()
    (source / "hidden" / "test_losses.py").write_text("def test(): pass\n")
    released = {Path(p).relative_to(source).as_posix()
                for p in find_all_files(str(source), list(course_mod.IGNORE))}
    assert "losses.py" in released and "data/lecture_table.csv" in released
    assert not {"solutions/losses.py", "losses_solution.py", "hidden/test_losses.py"} & released


def test_init_refuses_an_existing_course_unless_forced(tmp_path, fake_root):
    course = tmp_path / "course"
    source = course_mod.init_course(course, ASSIGNMENT, root=fake_root)
    (course / "gradebook.db").write_text("kept")
    (source / "stale.txt").write_text("gone after --force")
    with pytest.raises(course_mod.CourseError, match="--force"):
        course_mod.init_course(course, ASSIGNMENT, root=fake_root)
    course_mod.init_course(course, ASSIGNMENT, force=True, root=fake_root)
    assert (course / "gradebook.db").read_text() == "kept"
    assert not (source / "stale.txt").exists()


@pytest.mark.parametrize("name", ["", "my unit", "../up", "a/b"])
def test_init_rejects_bad_assignment_names(tmp_path, fake_root, name):
    with pytest.raises(course_mod.CourseError, match="assignment name"):
        course_mod.init_course(tmp_path / "course", name, root=fake_root)


def test_init_without_source_notebooks_says_so(tmp_path, fake_root):
    (fake_root / "solutions" / "00_tiny.ipynb").unlink()
    with pytest.raises(course_mod.CourseError, match="no source notebooks"):
        course_mod.init_course(tmp_path / "course", ASSIGNMENT, root=fake_root)


def test_cli_init_errors_are_one_line(tmp_path):
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / course_mod.CONFIG_NAME).write_text("c = get_config()\n")
    done = run_cli("nbgrader", "init", str(tmp_path / "course"))
    assert done.returncode == 2
    assert "--force" in done.stderr and done.stderr.strip().count("\n") == 0
    assert (tmp_path / "course" / course_mod.CONFIG_NAME).read_text() == "c = get_config()\n"


# ---------------------------------------------------------------------------------------
# Grade cells
# ---------------------------------------------------------------------------------------


def test_grade_cells_reads_hidden_score_calls(tmp_path):
    nb = new_notebook(cells=[
        new_code_cell("hidden_score('losses', 'sigmoid', max_points=2.0)",
                      metadata=nbgrader_meta("a", grade=True, points=2)),
        new_code_cell("%matplotlib inline\nvisible_check('dropout')\n"
                      "### BEGIN HIDDEN TESTS\nhidden_score('dropout', max_points=8)\n"
                      "### END HIDDEN TESTS", metadata=nbgrader_meta("b", grade=True, points=8)),
        new_code_cell("hidden_score('losses', 'softmax', max_points=2.0)",
                      metadata=nbgrader_meta("c")),  # not a grade cell
    ])
    nbformat.write(nb, tmp_path / "03_x.ipynb")
    cells = course_mod.grade_cells(tmp_path / "03_x.ipynb")
    assert [(c.grade_id, c.module, c.functions, c.points) for c in cells] == [
        ("a", "losses", ("sigmoid",), 2.0),
        ("b", "dropout", ("dropout_forward", "dropout_backward"), 8.0)]
    results = {"tests": [
        {"score": 1.0, "tags": ["dropout", "dropout.dropout_forward"]},
        {"score": 2.0, "tags": ["dropout", "dropout.dropout_backward"]},
        {"score": 5.0, "tags": ["losses", "losses.softmax"]}]}
    assert course_mod.cell_points(cells[1], results) == 3.0
    assert course_mod.cell_points(cells[0], results) == 0.0


# ---------------------------------------------------------------------------------------
# Foreign files
# ---------------------------------------------------------------------------------------


def test_remove_foreign_files_keeps_only_assignment_paths(tmp_path):
    folder = tmp_path / "autograded"
    for relative in ("losses.py", "data/lecture_table.csv", "00_x.ipynb", "timestamp.txt",
                     "numpy.py", "autograder/__init__.py", "data/extra.csv",
                     "deep/er/sitecustomize.py"):
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text("x")
    (folder / "linked").symlink_to(REPO_ROOT / "solutions", target_is_directory=True)
    removed = remove_foreign_files(folder, {"losses.py", "data/lecture_table.csv"})
    assert removed == ["autograder/__init__.py", "data/extra.csv", "deep/er/sitecustomize.py",
                       "linked", "numpy.py"]
    left = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    assert left == ["00_x.ipynb", "data", "data/lecture_table.csv", "losses.py",
                    "timestamp.txt"]
    assert (REPO_ROOT / "solutions" / "losses.py").exists()  # the link's target is untouched


# ---------------------------------------------------------------------------------------
# A planted code cell and planted files, through nbgrader's real autograde
# ---------------------------------------------------------------------------------------


NBGRADER_DEFAULTS = '''
# Control: nbgrader's own defaults, none of the dltips defences.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput", "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec", "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata"]
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata"]
c.Execute.extra_arguments = []
'''


def plant_attacks(submission: Path, markers: Path, forged_metadata: bool) -> None:
    """Add code cells that write marker files, files that shadow the kernel's imports, and
    a module that writes one when imported."""
    path = next(submission.glob("*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(2, new_code_cell(f"open({str(markers / 'added_cell')!r}, 'w').write('x')"))
    if forged_metadata:  # looks like a locked instructor cell worth 100 points
        nb.cells.insert(3, new_code_cell(
            f"open({str(markers / 'forged_cell')!r}, 'w').write('x')",
            metadata=nbgrader_meta("forged", grade=True, points=100)))
    nbformat.write(nb, path)
    (submission / "losses.py").write_text(f"open({str(markers / 'losses_py')!r}, 'w')\n")
    (submission / "numpy.py").write_text(f"open({str(markers / 'numpy_py')!r}, 'w')\n")
    (submission / "autograder").mkdir()
    (submission / "autograder" / "__init__.py").write_text(
        f"open({str(markers / 'autograder_pkg')!r}, 'w')\n")


@pytest.mark.slow
def test_autograde_never_runs_added_cells_or_planted_files(tmp_path, fake_root):
    course = tmp_path / "course"
    course_mod.init_course(course, ASSIGNMENT, root=fake_root)
    done = course_mod.run_nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    assert done.returncode == 0, done.stderr[-2000:]
    control = tmp_path / "control"
    shutil.copytree(course, control)  # the config finds its course from its own place
    with (control / course_mod.CONFIG_NAME).open("a") as config:
        config.write(NBGRADER_DEFAULTS)

    markers = {}
    for where, forged in ((course, True), (control, False)):
        markers[where] = tmp_path / f"markers-{where.name}"
        markers[where].mkdir()
        submission = where / "submitted" / "eve" / ASSIGNMENT
        shutil.copytree(where / "release" / ASSIGNMENT, submission)
        plant_attacks(submission, markers[where], forged)
        done = course_mod.run_nbgrader(where, "autograde", ASSIGNMENT, "--force")
        assert done.returncode == 0, done.stderr[-3000:]

    # The control proves the attacks are real: nbgrader alone runs them. (The planted
    # autograder/ would shadow an installed package; here PYTHONPATH puts this checkout
    # before the kernel's working directory, so only site-packages modules are shadowed.)
    assert sorted(p.name for p in markers[control].iterdir()) == [
        "added_cell", "losses_py", "numpy_py"]
    assert list(markers[course].iterdir()) == []

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "dltips") as gradebook:
        notebook = gradebook.find_submission_notebook("00_tiny", ASSIGNMENT, "eve")
        assert {g.name: g.auto_score for g in notebook.grades} == {"test": 1.5, "why": 0.0}
        assert gradebook.find_submission(ASSIGNMENT, "eve").max_score == 3.0
    graded = nbformat.read(course / "autograded" / "eve" / ASSIGNMENT / "00_tiny.ipynb", 4)
    source = nbformat.read(fake_root / "solutions" / "00_tiny.ipynb", as_version=4)
    assert [c.id for c in graded.cells] == [c.id for c in source.cells]
    assert not [c for c in graded.cells if "markers-" in c.source]  # the added cells
    left = {p.name for p in (course / "autograded" / "eve" / ASSIGNMENT).iterdir()}
    assert not {"numpy.py", "autograder"} & left and "losses.py" in left


# ---------------------------------------------------------------------------------------
# dltips grade --nbgrader
# ---------------------------------------------------------------------------------------


def test_grade_nbgrader_gives_one_row_per_student(tmp_path):
    course = tmp_path / "course"
    for student in ("alice", "bob"):
        (course / "submitted" / student / "a1").mkdir(parents=True)
    shutil.copyfile(REPO_ROOT / "solutions" / "dropout.py",
                    course / "submitted" / "alice" / "a1" / "dropout.py")
    shutil.copyfile(REPO_ROOT / "assignments" / "dropout.py",
                    course / "submitted" / "bob" / "a1" / "dropout.py")
    (course / "submitted" / "carol" / "other").mkdir(parents=True)  # another assignment
    done = run_cli("grade", "--nbgrader", str(course), "--assignment", "a1",
                   "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    rows = (tmp_path / "out" / "grades.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["alice", "bob"]
    alice = json.loads((tmp_path / "out" / "alice" / "results.json").read_text())
    bob = json.loads((tmp_path / "out" / "bob" / "results.json").read_text())
    assert alice["score"] == 8 and bob["score"] == 0  # dropout's full marks, and none
    assert (tmp_path / "out" / "summary.png").exists()


@pytest.mark.parametrize("args, message", [
    (["--nbgrader", "{course}"], "go together"),
    (["--assignment", "a1"], "go together"),
    (["{course}/submitted/alice/a1", "--nbgrader", "{course}", "--assignment", "a1"],
     "not both"),
    (["--nbgrader", "{course}", "--assignment", "nope"], "submitted assignments: a1"),
    (["--nbgrader", "{course}/missing", "--assignment", "a1"], "no such folder"),
    ([], "give the submissions"),
])
def test_grade_nbgrader_usage_errors_are_one_line(tmp_path, args, message):
    course = tmp_path / "course"
    (course / "submitted" / "alice" / "a1").mkdir(parents=True)
    done = run_cli("grade", *[a.format(course=course) for a in args],
                   "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert message in done.stderr and done.stderr.strip().count("\n") == 0
