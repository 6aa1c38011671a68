"""An ``nbgrader autograde`` sanitize step: only the instructor's cells run in the kernel.

nbgrader restores the locked cells of a submitted notebook (``OverwriteCells``) but keeps
every cell a student added, in the order the student left them, and then executes them all
in the instructor's kernel. A student could therefore add a code cell, or move a grade cell
above the notebook's ``sys.path`` guard and shadow ``autograder`` with a planted package.

``SourceCellsOnly`` rebuilds the notebook in the source notebook's order from the source
notebook's cells: every non-answer cell is the instructor's (the submitted copy, already
restored by ``OverwriteCells``, or the source cell if the student deleted it), every
answer (solution) cell is the student's, and anything else is dropped. Add it to the
course's ``nbgrader_config.py`` right after ``OverwriteCells``::

    c.Autograde.sanitize_preprocessors = [
        "nbgrader.preprocessors.ClearOutput",
        "nbgrader.preprocessors.DeduplicateIds",
        "nbgrader.preprocessors.OverwriteKernelspec",
        "nbgrader.preprocessors.OverwriteCells",
        "autograder.delivery.nbgrader_sanitize.SourceCellsOnly",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]

The source notebook is read from ``<CourseDirectory.root>/<source_directory>/<assignment>/``
(nbgrader's own layout; autograde needs that folder anyway to restore the module stubs).
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor


class SourceCellsOnly(NbGraderPreprocessor):
    """Keep the source notebook's cells, in its order; only answers come from the student."""

    def preprocess(self, nb, resources):
        """Replace ``nb.cells`` as described in the module docstring.

        Inputs:
        - nb: the submitted notebook after ``OverwriteCells``.
        - resources: nbgrader's resources (``resources["nbgrader"]`` names the assignment
          and the notebook).

        Returns ``(nb, resources)``; raises FileNotFoundError without the source notebook.
        """
        source = nbformat.read(self._source_path(resources), as_version=4)
        submitted = {_grade_id(cell): cell for cell in nb.cells if _grade_id(cell)}
        cells = [kept for cell in source.cells if (kept := self._keep(cell, submitted))]
        kept = {id(cell) for cell in cells}
        dropped = sum(id(cell) not in kept for cell in nb.cells)
        if dropped:
            self.log.warning("Dropped %d cell(s) that are not the source notebook's", dropped)
        nb.cells = cells
        return nb, resources

    def _keep(self, cell, submitted: dict):
        """The cell that runs in place of source ``cell``, or None (a deleted answer)."""
        mine = submitted.get(_grade_id(cell)) if _grade_id(cell) else None
        if utils.is_solution(cell):  # never the source's own answer: it is the model one
            return mine if mine is not None and mine.cell_type == cell.cell_type else None
        if (mine is not None and mine.cell_type == cell.cell_type and not utils.is_solution(mine)
                and (utils.is_locked(mine) or utils.is_grade(mine))):
            return mine  # as OverwriteCells restored it (instructor code, gradebook checksum)
        if _grade_id(cell):
            self.log.warning("Cell %r was missing or altered; restored from the source notebook",
                             _grade_id(cell))
        return _released_copy(cell)

    def _source_path(self, resources) -> Path:
        coursedir = CourseDirectory(config=self.config)
        info = resources["nbgrader"]
        folder = coursedir.format_path(coursedir.source_directory, ".", info["assignment"])
        return Path(folder) / f"{info['notebook']}.ipynb"


def _grade_id(cell) -> str | None:
    """The cell's nbgrader grade_id, or None for a cell without nbgrader metadata."""
    meta = cell.metadata.get("nbgrader", {})
    return meta.get("grade_id") if (meta.get("grade") or meta.get("solution")
                                    or meta.get("locked")) else None


def _released_copy(cell):
    """A source cell as it runs at autograde: without outputs."""
    cell = copy.deepcopy(cell)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell

