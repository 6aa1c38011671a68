"""``SourceCellsOnly``: under autograde only the instructor's cells run, in their order.

The submitted notebook here is the released one as ``OverwriteCells`` leaves it, tampered
with the way a student could: a code cell added on top, a grade cell moved above the
``sys.path`` guard, a locked cell deleted, an answer written.
"""

from __future__ import annotations

import nbformat
import pytest
from traitlets.config import Config

from autograder.course.contract import REPO_ROOT
from autograder.delivery.nbgrader_sanitize import SourceCellsOnly

NOTEBOOK = "01_learning_rate"
ANSWER_ID = "lr-answer-alpha10"


@pytest.fixture
def course(tmp_path):
    (tmp_path / "source" / "unit").mkdir(parents=True)
    source = (REPO_ROOT / "solutions" / f"{NOTEBOOK}.ipynb").read_text(encoding="utf-8")
    (tmp_path / "source" / "unit" / f"{NOTEBOOK}.ipynb").write_text(source, encoding="utf-8")
    return tmp_path


def _sanitize(course, notebook):
    config = Config()
    config.CourseDirectory.root = str(course)
    resources = {"nbgrader": {"assignment": "unit", "notebook": NOTEBOOK}}
    return SourceCellsOnly(config=config).preprocess(notebook, resources)[0]


def _released():
    return nbformat.read(REPO_ROOT / "assignments" / f"{NOTEBOOK}.ipynb", as_version=4)


def test_the_untouched_release_keeps_every_cell_in_order(course):
    notebook = _released()
    ids = [cell.id for cell in notebook.cells]
    assert [cell.id for cell in _sanitize(course, notebook).cells] == ids


def test_added_and_moved_cells_cannot_run_first_and_answers_are_kept(course):
    source_ids = [cell.id for cell in nbformat.read(
        course / "source" / "unit" / f"{NOTEBOOK}.ipynb", as_version=4).cells]
    notebook = _released()
    grade = next(cell for cell in notebook.cells if cell.id == "lr-grade-predict")
    notebook.cells.remove(grade)
    notebook.cells.insert(0, grade)                        # above the sys.path guard
    notebook.cells.insert(0, nbformat.v4.new_code_cell("import os; os.system('evil')"))
    guard = next(cell for cell in notebook.cells if "sys.path[:]" in cell.source)
    notebook.cells.remove(guard)                           # a deleted locked cell
    answer = next(cell for cell in notebook.cells if cell.id == ANSWER_ID)
    answer.source = "학생의 답"
    cells = _sanitize(course, notebook).cells
    assert [cell.id for cell in cells] == source_ids
    assert not any("evil" in cell.source for cell in cells)
    assert any("sys.path[:]" in cell.source for cell in cells)      # restored
    assert next(cell for cell in cells if cell.id == ANSWER_ID).source == "학생의 답"


def test_a_deleted_answer_is_never_replaced_by_the_model_answer(course):
    notebook = _released()
    notebook.cells = [cell for cell in notebook.cells if cell.id != ANSWER_ID]
    cells = _sanitize(course, notebook).cells
    assert ANSWER_ID not in {cell.id for cell in cells}
    assert not any("BEGIN SOLUTION" in cell.source for cell in cells)


def test_a_code_cell_disguised_as_an_answer_is_not_run(course):
    notebook = _released()
    answer = next(cell for cell in notebook.cells if cell.id == ANSWER_ID)
    disguised = nbformat.v4.new_code_cell("import os; os.system('evil')", id="x")
    disguised.metadata = answer.metadata
    notebook.cells[notebook.cells.index(answer)] = disguised
    cells = _sanitize(course, notebook).cells
    assert not any("evil" in cell.source for cell in cells)
    assert all(cell.cell_type == "markdown" for cell in cells if "answer" in cell.id)


def test_no_student_metadata_tag_or_cell_type_reaches_grading(course):
    source = nbformat.read(course / "source" / "unit" / f"{NOTEBOOK}.ipynb", as_version=4)
    notebook = _released()
    notebook.metadata["nbgrader"] = {"schema_version": 4}
    for cell in notebook.cells:
        cell.metadata["tags"] = ["skip-execution"]
        cell.metadata.setdefault("nbgrader", {})["schema_version"] = 4
        if cell.metadata["nbgrader"].get("grade") and not cell.metadata["nbgrader"].get(
                "solution"):
            cell.cell_type = "markdown"  # a test cell that would never run
            cell.metadata["nbgrader"]["points"] = 100
    answer = next(cell for cell in notebook.cells if cell.id == ANSWER_ID)
    answer.source = "학생의 답"
    graded = _sanitize(course, notebook)
    assert graded.metadata == source.metadata
    by_id = {cell.id: cell for cell in source.cells}
    for cell in graded.cells:
        assert cell.metadata == by_id[cell.id].metadata, cell.id
        assert cell.cell_type == by_id[cell.id].cell_type
        if cell.id != ANSWER_ID:
            assert cell.source == by_id[cell.id].source
    assert next(cell for cell in graded.cells if cell.id == ANSWER_ID).source == "학생의 답"


def test_malformed_student_cells_are_ignored_not_fatal(course):
    notebook = _released()
    notebook.cells[0].metadata = {"nbgrader": ["not", "a", "dict"]}
    notebook.cells[1].metadata = {"nbgrader": {"solution": True, "grade_id": 7}}
    answer = next(cell for cell in notebook.cells if cell.id == ANSWER_ID)
    answer.source = ["학생의 ", "답"]
    graded = _sanitize(course, notebook)
    assert next(cell for cell in graded.cells if cell.id == ANSWER_ID).source == "학생의 답"


def _test_cell(points: float, *outputs) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("hidden_score('x', max_points=2)", metadata={
        "nbgrader": {"grade": True, "solution": False, "locked": True, "grade_id": "t",
                     "points": points, "schema_version": 3}})
    cell.outputs = list(outputs)
    return cell


def _result(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("execute_result", data={"text/plain": text},
                                  execution_count=1)


@pytest.mark.parametrize("outputs, nbgrader_alone, expected", [
    ([], 2.0, 0),                                          # no result: nbgrader gives all
    ([_result("True")], 2.0, 0),
    ([_result("np.float64(0.5)")], 2.0, 0),
    ([_result("-1.0")], 2.0, 0),
    ([_result("nan")], None, 0),
    ([nbformat.v4.new_output("stream", name="stdout", text="1.5\n")], 2.0, 0),
    ([_result("1.5")], 1.5, 1.5),                          # a score is kept
    ([_result("0")], 0.0, 0.0),
    ([nbformat.v4.new_output("error", ename="E", evalue="", traceback=[])], 0, 0),
])
def test_a_test_cell_scores_only_a_valid_result(outputs, nbgrader_alone, expected):
    from nbgrader.utils import determine_grade

    from autograder.delivery.nbgrader_preprocessors import ScoreOrZero

    alone = determine_grade(_test_cell(2.0, *outputs))[0]
    if nbgrader_alone is not None:
        assert alone == nbgrader_alone  # what nbgrader does without ScoreOrZero
    cell, _ = ScoreOrZero().preprocess_cell(_test_cell(2.0, *outputs), {}, 0)
    assert determine_grade(cell)[0] == expected


def test_a_result_above_the_points_scores_zero_instead_of_failing_the_submission():
    from nbgrader.utils import determine_grade

    from autograder.delivery.nbgrader_preprocessors import ScoreOrZero

    with pytest.raises(ValueError):
        determine_grade(_test_cell(2.0, _result("3.0")))
    cell, _ = ScoreOrZero().preprocess_cell(_test_cell(2.0, _result("3.0")), {}, 0)
    assert determine_grade(cell)[0] == 0
