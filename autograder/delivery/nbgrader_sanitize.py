"""An ``nbgrader autograde`` sanitize step: only the instructor's cells run in the kernel.

nbgrader restores the locked cells of a submitted notebook (``OverwriteCells``) but keeps
every cell a student added, in the order the student left them, and the metadata of every
cell (tags, ``metadata.nbgrader``, the cell type), and then executes them all in the
instructor's kernel. So a student could add a code cell, move a grade cell above the
notebook's ``sys.path`` guard, tag a grade cell ``skip-execution`` (nbgrader gives a grade
cell without output full marks), or set ``schema_version: 4`` on one cell (nbgrader's
``CheckCellMetadata`` then stops ``nbgrader autograde`` for the whole class).

``SourceCellsOnly`` builds the notebook that is graded from the source notebook
(``source/<assignment>/<notebook>.ipynb``): its metadata, its cells, in its order, each the
source's own cell (source, metadata, tags) with outputs cleared. The one thing taken from
the submission is the text of each answer (solution) cell: the first submitted cell of the
same type marked as that answer; its metadata is the source cell's. An answer the student
deleted is left out (never the model answer); every other submitted cell is dropped. (The
unit's answers are all markdown; an answer *code* cell, should a notebook get one, would
run the student's text in the kernel.) It
must be the **first** sanitize step, so no other preprocessor ever sees a student's cell
metadata; ``dltips nbgrader init`` writes::

    c.Autograde.sanitize_preprocessors = [
        "autograder.delivery.nbgrader_sanitize.SourceCellsOnly",
        "nbgrader.preprocessors.ClearOutput",
        "nbgrader.preprocessors.DeduplicateIds",
        "nbgrader.preprocessors.OverwriteKernelspec",
        "nbgrader.preprocessors.OverwriteCells",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]

``OverwriteCells`` then only confirms the cells against the gradebook (and sets the answers'
checksums, which tell an unchanged answer). The number and size of the submitted cells are
capped before this step, by the scrub (``nbgrader_scrub``).
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor


class SourceCellsOnly(NbGraderPreprocessor):
    """The source notebook's cells, in its order; only answers' text comes from the student."""

    def preprocess(self, nb, resources):
        """Return the notebook described in the module docstring (a new object).

        Inputs:
        - nb: the submitted notebook, as nbformat read it.
        - resources: nbgrader's resources (``resources["nbgrader"]`` names the assignment
          and the notebook).

        Returns ``(notebook, resources)``; raises FileNotFoundError without the source notebook.
        """
        source = nbformat.read(self._source_path(resources), as_version=4)
        answers = _submitted_answers(nb)
        cells = [kept for cell in source.cells if (kept := self._keep(cell, answers))]
        submitted = nb.get("cells") if isinstance(nb, dict) else None
        taken = sum(1 for cell in cells if utils.is_solution(cell))
        self.log.info("Graded the source notebook's cells; %d answer(s) taken from the %d "
                      "submitted cell(s), the others not used", taken,
                      len(submitted) if isinstance(submitted, list) else 0)
        source.cells = cells
        return source, resources

    def _keep(self, cell, answers: dict):
        """The cell that is graded in place of source ``cell``, or None (a deleted answer)."""
        if not utils.is_solution(cell):
            return _released_copy(cell)
        text = answers.get((_grade_id(cell), cell.cell_type))
        if text is None:  # never the source's own answer: it is the model one
            self.log.warning("Answer %r is missing from the submission", _grade_id(cell))
            return None
        answer = _released_copy(cell)
        answer.source = text
        return answer

    def _source_path(self, resources) -> Path:
        coursedir = CourseDirectory(config=self.config)
        info = resources["nbgrader"]
        folder = coursedir.format_path(coursedir.source_directory, ".", info["assignment"])
        return Path(folder) / f"{info['notebook']}.ipynb"


def _submitted_answers(nb) -> dict[tuple[str, str], str]:
    """(grade_id, cell type) -> text of the first submitted cell marked as that answer.
    Every value is checked for its type: the submission is student data."""
    answers: dict[tuple[str, str], str] = {}
    cells = nb.get("cells") if isinstance(nb, dict) else None
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict):
            continue
        metadata = cell.get("metadata")
        meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
        if not isinstance(meta, dict) or meta.get("solution") is not True:
            continue
        grade_id, kind, text = meta.get("grade_id"), cell.get("cell_type"), cell.get("source")
        if isinstance(text, list) and all(isinstance(line, str) for line in text):
            text = "".join(text)
        if isinstance(grade_id, str) and isinstance(kind, str) and isinstance(text, str):
            answers.setdefault((grade_id, kind), text)
    return answers


def _grade_id(cell) -> str | None:
    """A source cell's nbgrader grade_id, or None for a cell without nbgrader metadata."""
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _released_copy(cell):
    """A source cell as it runs at autograde: the source's own, without outputs."""
    cell = copy.deepcopy(cell)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell
