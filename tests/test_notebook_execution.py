"""Every teaching notebook executed headless in a real python3 kernel (nbclient), one kernel
per notebook and scenario:

- the source notebooks on the reference modules (``solutions/``), as a student's Jupyter
  runs them and as ``nbgrader autograde`` does (``NBGRADER_EXECUTION=autograde``): no error,
  nothing on stderr, figures drawn, and hidden cells scoring every point (80);
- the source notebooks under autograde on the untouched stubs, laid out as an nbgrader course
  folder (modules and ``data/``): every hidden cell scores 0.0 and no cell errors;
- the student notebooks on the stubs (``assignments/``): the only errors are the visible
  checks' AssertionErrors, and every example or figure says which function to implement.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.contract import MODULES, REPO_ROOT
from autograder.delivery import student_notebooks

SOURCES = student_notebooks.source_notebooks()
TOTAL_POINTS = 80.0
CELL_TIMEOUT = 300


def execute(notebook_path: Path, folder: Path, *, autograde: bool) -> nbformat.NotebookNode:
    """Run every cell of a notebook in a python3 kernel whose working directory is
    ``folder``; the kernel imports this checkout's ``autograder``."""
    notebook = nbformat.read(notebook_path, as_version=4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", str(REPO_ROOT))
        patch.delenv("MPLBACKEND", raising=False)
        if autograde:
            patch.setenv("NBGRADER_EXECUTION", "autograde")
        else:
            patch.delenv("NBGRADER_EXECUTION", raising=False)
        NotebookClient(notebook, kernel_name="python3", timeout=CELL_TIMEOUT,
                       allow_errors=True, resources={"metadata": {"path": str(folder)}}
                       ).execute()
    return notebook


def outputs(notebook, kind: str, name: str | None = None) -> list[tuple[str, dict]]:
    return [(cell.id, out) for cell in notebook.cells if cell.cell_type == "code"
            for out in cell.outputs if out.output_type == kind
            and (name is None or out.get("name") == name)]


def hidden_scores(notebook) -> dict[str, float]:
    """grade cell id -> the float its last expression evaluated to."""
    scores = {}
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            (result,) = [out for out in cell.outputs if out.output_type == "execute_result"]
            scores[cell.id] = float(result.data["text/plain"])
    return scores


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
        assert len(figures) == shows > 0, name


@pytest.mark.parametrize("mode", ["direct", "autograde"])
def test_reference_scores_every_point_in_every_hidden_cell(reference_runs, mode):
    total = 0.0
    for name, notebook in reference_runs[mode].items():
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and cell.cell_type == "code":
                assert hidden_scores(notebook)[cell.id] == meta["points"], (name, cell.id)
                total += meta["points"]
    assert total == TOTAL_POINTS


def test_stubs_under_autograde_score_zero_with_no_kernel_error(stub_runs):
    for name, notebook in stub_runs.items():
        assert outputs(notebook, "error") == [], name
        assert outputs(notebook, "stream", "stderr") == [], name
        scores = hidden_scores(notebook)
        assert scores and set(scores.values()) == {0.0}, name
        text = "".join(out.text for _, out in outputs(notebook, "stream", "stdout"))
        assert "먼저 구현하세요" in text, name


def test_students_see_their_checks_fail_and_a_line_per_missing_function(student_runs):
    for name, notebook in student_runs.items():
        assert outputs(notebook, "stream", "stderr") == [], name
        grade_cells = {cell.id for cell in notebook.cells
                       if cell.metadata.get("nbgrader", {}).get("grade")
                       and cell.cell_type == "code"}
        errors = outputs(notebook, "error")
        assert {cell_id for cell_id, _ in errors} == grade_cells, name
        assert {out.ename for _, out in errors} == {"AssertionError"}, name
        said = []
        for cell in notebook.cells:
            if cell.cell_type == "code" and "friendly_errors()" in cell.source:
                text = "".join(out.get("text", "") for out in cell.outputs)
                assert text.strip(), f"{name} {cell.id}: an example cell that says nothing"
                said.append(text)
        assert "를 먼저 구현하세요: " in "".join(said), name
