"""The teaching notebooks as files: single source, fresh student copies, nbgrader-valid
metadata, nothing secret released, and grade cells whose points are the hidden suite's.

The points mapping is read from the suites' markers, never written down here: every
contract function is graded by exactly one hidden cell across the six notebooks, each cell
is worth what the hidden suite gives its functions, so nbgrader's autograded total is the
``dltips grade`` total.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator

from autograder.course.contract import CONTRACT, REPO_ROOT
from autograder.course.suites.hidden import MODULE_POINTS
from autograder.delivery import student_notebooks

# The suite markers are registered by autograder.grading.plugin, which this project run does
# not load.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")

SECTIONS = ["00_recap", "01_learning_rate", "02_normalization", "03_overfitting",
            "04_optimizers", "05_batch_normalization"]
SOURCES = student_notebooks.source_notebooks()
WRITTEN_ANSWERS = 4
GRADE_CALL = re.compile(r"(visible_check|hidden_score)\((.*)\)")
HANGUL = re.compile(r"[가-힣]")


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _python(source: str) -> str:
    """A code cell without its IPython magics (``%matplotlib inline``), as plain Python."""
    return "\n".join("" if line.lstrip().startswith("%") else line
                     for line in source.splitlines())


def _calls(source: str, name: str) -> list[ast.Call]:
    tree = ast.parse(_python(source))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name) and node.func.id == name]


def _call_args(call: ast.Call) -> tuple[list, dict]:
    return ([ast.literal_eval(a) for a in call.args],
            {k.arg: ast.literal_eval(k.value) for k in call.keywords})


def _hidden_points() -> dict[tuple[str, str], float]:
    """(module, function) -> points of the hidden tests of that function, from the markers."""
    points: dict[tuple[str, str], float] = defaultdict(float)
    for module in CONTRACT:
        suite = importlib.import_module(f"autograder.course.suites.hidden.test_{module}")
        for name, test in vars(suite).items():
            if name.startswith("test_") and inspect.isfunction(test):
                marks = {mark.name: mark.args for mark in test.pytestmark}
                share = float(marks["points"][0]) / len(marks["functions"])
                for function in marks["functions"]:
                    points[module, function] += share
    return points


def _grade_cells() -> list[tuple[str, nbformat.NotebookNode]]:
    return [(source.stem, cell) for source in SOURCES for cell in _read(source).cells
            if _meta(cell).get("grade") and cell.cell_type == "code"]


# ---------------------------------------------------------------------------------------
# Single source, fresh copies
# ---------------------------------------------------------------------------------------


def test_one_source_notebook_per_lecture_section():
    assert [source.stem for source in SOURCES] == SECTIONS


def test_committed_student_notebooks_are_fresh():
    assert student_notebooks.stale_notebooks() == [], (
        "run `dltips release stubs` and commit assignments/")


def test_student_notebooks_equal_what_nbgrader_generate_assignment_releases(tmp_path):
    """nbgrader's own converter (as `nbgrader generate_assignment --no-db`), in-process."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    (tmp_path / "source" / "unit").mkdir(parents=True)
    for source in SOURCES:
        (tmp_path / "source" / "unit" / source.name).write_bytes(source.read_bytes())
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.assignment_id = "unit"
    config.GenerateAssignment.no_database = True
    config.SaveCells.enabled = False
    GenerateAssignment(coursedir=CourseDirectory(config=config), config=config).start()
    for source in SOURCES:
        released = (tmp_path / "release" / "unit" / source.name).read_text(encoding="utf-8")
        assert released == student_notebooks.student_notebook_text(source), source.name


def test_generation_is_byte_deterministic():
    source = SOURCES[0]
    assert (student_notebooks.student_notebook_text(source)
            == student_notebooks.student_notebook_text(source))


# ---------------------------------------------------------------------------------------
# nbgrader metadata and locking
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["solutions", "assignments"])
def test_metadata_is_valid_for_nbgrader(folder):
    for name in SECTIONS:
        notebook = _read(REPO_ROOT / folder / f"{name}.ipynb")
        nbformat.validate(notebook)
        MetadataValidator().validate_nb(notebook)  # raises on broken nbgrader metadata
        assert notebook.metadata.kernelspec.name == "python3"
        assert all(_meta(cell).get("schema_version") == 3 for cell in notebook.cells)


def test_every_code_cell_is_locked_and_only_written_answers_are_editable():
    answers = []
    for source in SOURCES:
        for cell in _read(source).cells:
            meta = _meta(cell)
            if cell.cell_type == "code":
                assert meta["locked"] and not meta["solution"], (source.name, cell.id)
            elif not meta["locked"]:
                answers.append((source.stem, cell.id))
                assert meta["grade"] and meta["solution"] and meta["points"] > 0
                assert "### BEGIN SOLUTION" in cell.source, "instructors see a model answer"
    assert len(answers) == WRITTEN_ANSWERS
    assert {name for name, _ in answers} == {"01_learning_rate", "02_normalization",
                                             "03_overfitting", "05_batch_normalization"}


def test_student_code_cells_cannot_be_edited_or_deleted():
    for name in SECTIONS:
        for cell in _read(REPO_ROOT / "assignments" / f"{name}.ipynb").cells:
            if cell.cell_type == "code":
                assert cell.metadata["editable"] is False and cell.metadata["deletable"] is False


def test_source_and_student_notebooks_carry_no_outputs():
    for folder in ("solutions", "assignments"):
        for name in SECTIONS:
            for cell in _read(REPO_ROOT / folder / f"{name}.ipynb").cells:
                if cell.cell_type == "code":
                    assert cell.outputs == [] and cell.execution_count is None


# ---------------------------------------------------------------------------------------
# Nothing secret is released
# ---------------------------------------------------------------------------------------


def test_student_notebooks_hold_no_solution_and_no_hidden_test():
    for source in SOURCES:
        student = (REPO_ROOT / "assignments" / source.name).read_text(encoding="utf-8")
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "hidden_score("):
            assert marker not in student, (source.name, marker)
        for cell in _read(source).cells:
            meta = _meta(cell)
            secret = ""
            if meta.get("solution"):
                secret = cell.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
            elif meta.get("grade"):
                secret = cell.source.split("### BEGIN HIDDEN TESTS")[1]
            # Long lines only: a short one ("step 만에 수렴합니다.") may also be lecture text.
            for line in (line.strip() for line in secret.splitlines()):
                assert len(line) < 25 or line not in student, (source.name, line)


def test_notebooks_never_import_tensorflow_or_keras():
    for source in SOURCES:
        for cell in _read(source).cells:
            if cell.cell_type != "code":
                continue
            for node in ast.walk(ast.parse(_python(cell.source))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                assert not any(n.split(".")[0] in ("tensorflow", "keras") for n in names)


# ---------------------------------------------------------------------------------------
# Grade cells: the hidden suite's points, each function once
# ---------------------------------------------------------------------------------------


def test_each_grade_cell_checks_and_scores_the_same_functions_for_their_points():
    for name, cell in _grade_cells():
        (visible,) = _calls(cell.source, "visible_check")
        (hidden,) = _calls(cell.source, "hidden_score")
        visible_args, _ = _call_args(visible)
        hidden_args, hidden_kwargs = _call_args(hidden)
        assert visible_args == hidden_args, (name, cell.id)
        assert hidden_kwargs == {"max_points": _meta(cell)["points"]}, (name, cell.id)
        body = cell.source.split("### BEGIN HIDDEN TESTS")[1]
        last = body.split("### END HIDDEN TESTS")[0].strip().splitlines()[-1]
        assert last.startswith("hidden_score("), "the score must be the cell's last expression"
        assert cell.source.rstrip().endswith("### END HIDDEN TESTS")


def test_hidden_cells_cover_every_contract_function_once_with_the_suite_points():
    points = _hidden_points()
    covered: dict[tuple[str, str], str] = {}
    for name, cell in _grade_cells():
        (hidden,) = _calls(cell.source, "hidden_score")
        (module, *functions), _ = _call_args(hidden)
        for function in functions:
            assert (module, function) not in covered, f"{module}.{function} graded twice"
            covered[module, function] = name
        assert _meta(cell)["points"] == pytest.approx(sum(points[module, f] for f in functions))
    assert set(covered) == {(m, f) for m, functions in CONTRACT.items() for f in functions}
    total = sum(_meta(cell)["points"] for _, cell in _grade_cells())
    assert total == pytest.approx(sum(MODULE_POINTS.values())) == pytest.approx(80.0)


def test_each_notebook_grades_only_the_modules_it_sets_up_for_grading():
    """One grading run per notebook covers exactly the modules its hidden cells score."""
    for source in SOURCES:
        cells = _read(source).cells
        (setup,) = [call for cell in cells if cell.cell_type == "code"
                    for call in _calls(cell.source, "setup_notebook")]
        modules, options = _call_args(setup)
        graded = set(options.get("graded", modules))
        scored = {_call_args(call)[0][0] for cell in cells if _meta(cell).get("grade")
                  and cell.cell_type == "code" for call in _calls(cell.source, "hidden_score")}
        assert scored == graded, source.name


# ---------------------------------------------------------------------------------------
# Content
# ---------------------------------------------------------------------------------------


def test_every_figure_is_followed_by_a_korean_sentence():
    for source in SOURCES:
        cells = _read(source).cells
        for index, cell in enumerate(cells):
            if cell.cell_type == "code" and "plt.show()" in cell.source:
                after = cells[index + 1]
                assert after.cell_type == "markdown" and HANGUL.search(after.source), (
                    source.name, cell.id)


def test_notebooks_explain_in_korean_with_keras_2_and_keras_3_code():
    for source in SOURCES:
        markdown = "\n".join(c.source for c in _read(source).cells if c.cell_type == "markdown")
        assert len(HANGUL.findall(markdown)) > 500, source.name
        assert "Keras 3" in markdown and ("Keras 2" in markdown or "Keras 1" in markdown)
        assert "$" in markdown, f"{source.name}: formulas in LaTeX"


def test_the_data_the_notebooks_read_is_in_the_repository():
    names = student_notebooks.data_files()
    assert {"lecture_table.csv", "linear_regression_3f.csv"} <= set(names)
    for name in names:
        assert student_notebooks.data_source(name).is_file(), name


def test_an_edited_source_or_an_orphan_makes_the_student_notebooks_stale(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "assignments").mkdir()
    source = tmp_path / "solutions" / "00_recap.ipynb"
    source.write_bytes(SOURCES[0].read_bytes())
    assert student_notebooks.stale_notebooks(tmp_path) == ["00_recap.ipynb"]  # missing
    student_notebooks.write_student_notebooks(tmp_path)
    assert student_notebooks.stale_notebooks(tmp_path) == []
    notebook = _read(source)
    notebook.cells[0].source += "\n\n추가된 설명."
    nbformat.write(notebook, source)
    assert student_notebooks.stale_notebooks(tmp_path) == ["00_recap.ipynb"]
    student_notebooks.write_student_notebooks(tmp_path)
    (tmp_path / "assignments" / "09_gone.ipynb").write_text("{}")
    assert student_notebooks.stale_notebooks(tmp_path) == ["09_gone.ipynb"]
    student_notebooks.write_student_notebooks(tmp_path)
    assert not (tmp_path / "assignments" / "09_gone.ipynb").exists()
