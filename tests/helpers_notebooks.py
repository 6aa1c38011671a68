"""Running notebooks headless for the tests: one python3 kernel per notebook (nbclient)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.course.contract import REPO_ROOT

CELL_TIMEOUT = 300


def execute(notebook_path: Path, folder: Path, *, autograde: bool,
            import_root: Path = REPO_ROOT) -> nbformat.NotebookNode:
    """Run every cell of a notebook in a python3 kernel whose working directory is
    ``folder`` and whose ``autograder`` is the one under ``import_root``; errors are
    recorded as outputs, not raised. ``DLTIPS_NOTEBOOK_QUICK=1``: the notebooks that train
    Keras models (06_mnist) use their small settings, so a run takes seconds."""
    notebook = nbformat.read(notebook_path, as_version=4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", str(import_root))
        patch.delenv("MPLBACKEND", raising=False)
        patch.setenv("DLTIPS_NOTEBOOK_QUICK", "1")
        # The course language of these Korean notebooks, as an nbgrader course set to
        # Korean hands it to its kernels (the student release carries it in a file).
        patch.setenv("DLTIPS_LANG", "ko")
        if autograde:
            patch.setenv("NBGRADER_EXECUTION", "autograde")
        else:
            patch.delenv("NBGRADER_EXECUTION", raising=False)
        NotebookClient(notebook, kernel_name="python3", timeout=CELL_TIMEOUT,
                       allow_errors=True, resources={"metadata": {"path": str(folder)}}
                       ).execute()
    return notebook


def outputs(notebook, kind: str, name: str | None = None) -> list[tuple[str, dict]]:
    """(cell id, output) for every output of ``kind`` (and stream ``name``)."""
    return [(cell.id, out) for cell in notebook.cells if cell.cell_type == "code"
            for out in cell.outputs if out.output_type == kind
            and (name is None or out.get("name") == name)]


def is_grade_code(cell) -> bool:
    return cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade", False)


def hidden_scores(notebook) -> dict[str, float]:
    """grade cell id -> the float its last expression evaluated to."""
    scores = {}
    for cell in filter(is_grade_code, notebook.cells):
        (result,) = [out for out in cell.outputs if out.output_type == "execute_result"]
        scores[cell.id] = float(result.data["text/plain"])
    return scores


def nbgrader_meta(grade_id: str, *, grade: bool = False, solution: bool = False,
                  locked: bool = True, points: float | None = None) -> dict:
    """A cell's ``metadata`` as nbgrader's schema 3 writes it (nbgrader-notes.md, 1)."""
    meta = {"schema_version": 3, "grade_id": grade_id, "grade": grade, "solution": solution,
            "locked": locked}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}
