"""Every teaching notebook executed headless in a real python3 kernel (nbclient), one kernel
per notebook and scenario:

- the source notebooks on the reference modules (``solutions/``), as a student's Jupyter
  runs them and as ``nbgrader autograde`` does (``NBGRADER_EXECUTION=autograde``): no error,
  nothing on stderr, figures drawn, and hidden cells scoring every point (the hidden suites'
  total over the contract's modules);
- the source notebooks under autograde on the untouched stubs, laid out as an nbgrader course
  folder (modules and ``data/``): every hidden cell scores 0.0 and no cell errors;
- the student notebooks on the stubs (``assignments/``): no cell errors (so "Restart Kernel
  and Run All Cells", which stops at the first error, reaches the end), every grade cell ends
  in a score below its points (what ``nbgrader validate`` reports as failed), and every
  example or figure says which function to implement;
- a student notebook on a partly done folder: the figures its finished modules can draw
  are drawn.

06_mnist trains Keras models: it runs with its small settings (``DLTIPS_NOTEBOOK_QUICK=1``,
set by ``helpers_notebooks.execute``), and under autograde its example cells do not run at
all (TensorFlow in the instructor's kernel); it says so instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import notebook_claims
import pytest
from helpers_notebooks import execute, hidden_scores, is_grade_code, outputs

from autograder.course.contract import MODULES, REPO_ROOT
from autograder.course.suites.hidden import MODULE_POINTS
from autograder.delivery import student_notebooks

# Slow end to end: deselected by the README's test command, run by .ci/run.
pytestmark = pytest.mark.slow

SOURCES = student_notebooks.source_notebooks()
TOTAL_POINTS = sum(MODULE_POINTS[module] for module in MODULES)
TODO_LINE = "먼저 구현하세요"  # friendly_errors: "<function>를 먼저 구현하세요: <hint>"
SKIP_LINE = "skipped during nbgrader autograde"  # 06_mnist's setup cell under autograde


def skips_examples_under_autograde(notebook: nbformat.NotebookNode) -> bool:
    """Whether the notebook's example cells are gated on nbgrader's flag (they then run no
    student code under autograde, so they cannot say which function to implement)."""
    return any("NBGRADER_EXECUTION" in cell.source for cell in notebook.cells
               if cell.cell_type == "code")


def course_folder(root: Path) -> Path:
    """An nbgrader-style assignment folder: the stub modules and ``data/``."""
    folder = root / "unit"
    folder.mkdir()
    for module in MODULES:
        shutil.copy(REPO_ROOT / "assignments" / f"{module}.py", folder)
    (folder / "data").mkdir()
    for name in student_notebooks.data_files():
        shutil.copy(student_notebooks.data_source(name), folder / "data")
    return folder


@pytest.fixture(scope="module")
def reference_runs() -> dict[str, dict[str, nbformat.NotebookNode]]:
    return {mode: {source.stem: execute(source, REPO_ROOT / "solutions",
                                        autograde=mode == "autograde") for source in SOURCES}
            for mode in ("direct", "autograde")}


@pytest.fixture(scope="module")
def stub_runs(tmp_path_factory) -> dict[str, nbformat.NotebookNode]:
    folder = course_folder(tmp_path_factory.mktemp("course"))
    return {source.stem: execute(source, folder, autograde=True) for source in SOURCES}


@pytest.fixture(scope="module")
def student_runs() -> dict[str, nbformat.NotebookNode]:
    return {source.stem: execute(REPO_ROOT / "assignments" / source.name,
                                 REPO_ROOT / "assignments", autograde=False)
            for source in SOURCES}


@pytest.mark.parametrize("mode", ["direct", "autograde"])
def test_reference_runs_without_error_or_stderr_and_draws_its_figures(reference_runs, mode):
    for name, notebook in reference_runs[mode].items():
        assert outputs(notebook, "error") == [], name
        assert outputs(notebook, "stream", "stderr") == [], name
        figures = [out for _, out in outputs(notebook, "display_data")
                   if "image/png" in out.data]
        shows = sum(cell.source.count("plt.show()") for cell in notebook.cells
                    if cell.cell_type == "code")
        assert shows > 0, name
        if mode == "autograde" and skips_examples_under_autograde(notebook):
            assert figures == [], name
            assert SKIP_LINE in "".join(out.text for _, out in outputs(notebook, "stream")), name
        else:
            assert len(figures) == shows, name


@pytest.mark.parametrize("mode", ["direct", "autograde"])
def test_reference_scores_every_point_in_every_hidden_cell(reference_runs, mode):
    total = 0.0
    for name, notebook in reference_runs[mode].items():
        scores = hidden_scores(notebook)
        for cell in filter(is_grade_code, notebook.cells):
            points = cell.metadata["nbgrader"]["points"]
            assert scores[cell.id] == points, (name, cell.id)
            total += points
    assert total == TOTAL_POINTS


def test_numbers_the_text_claims_are_printed_by_the_reference_run(reference_runs):
    """Each ``Printed`` claim of tests/notebook_claims.py, to the precision the text gives."""
    claims = [key for key, how in notebook_claims.CLAIMS.items()
              if isinstance(how, notebook_claims.Printed)]
    assert claims
    for name, _, token in claims:
        text = "".join(out.get("text", "") for _, out in
                       outputs(reference_runs["direct"][name], "stream", "stdout"))
        printed = notebook_claims.printed_numbers(text)
        assert any(notebook_claims.matches(token, value) for value in printed), (name, token)


def test_stubs_under_autograde_score_zero_with_no_kernel_error(stub_runs):
    for name, notebook in stub_runs.items():
        assert outputs(notebook, "error") == [], name
        assert outputs(notebook, "stream", "stderr") == [], name
        scores = hidden_scores(notebook)
        assert scores and set(scores.values()) == {0.0}, name
        text = "".join(out.text for _, out in outputs(notebook, "stream", "stdout"))
        said = SKIP_LINE if skips_examples_under_autograde(notebook) else TODO_LINE
        assert said in text, name


def test_students_see_their_checks_fail_and_a_line_per_missing_function(student_runs):
    for name, notebook in student_runs.items():
        assert outputs(notebook, "stream", "stderr") == [], name
        assert outputs(notebook, "error") == [], f"{name}: Run All would stop here"
        for cell in filter(is_grade_code, notebook.cells):
            (result,) = [out for out in cell.outputs if out.output_type == "execute_result"]
            assert float(result.data["text/plain"]) == 0.0, (name, cell.id)
            shown = "".join(o.get("text", "") for o in cell.outputs)
            # The header and the failure line (notebook.visible_failed), in either language.
            assert "visible check" in shown and "nbgrader validate" in shown, (name, cell.id)
        said = []
        for cell in notebook.cells:
            if cell.cell_type == "code" and "friendly_errors()" in cell.source:
                text = "".join(out.get("text", "") for out in cell.outputs)
                assert text.strip(), f"{name} {cell.id}: an example cell that says nothing"
                said.append(text)
        assert "를 먼저 구현하세요: " in "".join(said), name


def test_run_all_on_a_partly_done_folder_draws_what_it_can(tmp_path):
    """02_normalization with normalization.py done and gradient_descent.py still a stub:
    the cells using normalization draw their figure and score full points, the convergence
    figure (it needs gradient_descent) says what to implement, and nothing stops Run All."""
    folder = tmp_path / "student"
    shutil.copytree(REPO_ROOT / "assignments", folder)
    (folder / "data").mkdir()
    for data in student_notebooks.data_files():
        shutil.copy(student_notebooks.data_source(data), folder / "data")
    text = (REPO_ROOT / "solutions" / "normalization.py").read_text(encoding="utf-8")
    (folder / "normalization.py").write_text(
        "".join(line for line in text.splitlines(keepends=True)
                if line.strip() not in ("# BEGIN SOLUTION", "# END SOLUTION")), "utf-8")
    notebook = execute(folder / "02_normalization.ipynb", folder, autograde=False)
    assert outputs(notebook, "error") == [] and outputs(notebook, "stream", "stderr") == []
    drawn = {cell_id for cell_id, out in outputs(notebook, "display_data")
             if "image/png" in out.data}
    drawing = [cell for cell in notebook.cells
               if cell.cell_type == "code" and "plt.show()" in cell.source]
    needs_gd = {cell.id for cell in drawing if "gd." in cell.source or "fastest_run" in cell.source}
    assert needs_gd and drawn == {cell.id for cell in drawing} - needs_gd
    for cell in filter(is_grade_code, notebook.cells):
        (result,) = [out for out in cell.outputs if out.output_type == "execute_result"]
        assert float(result.data["text/plain"]) == cell.metadata["nbgrader"]["points"]
