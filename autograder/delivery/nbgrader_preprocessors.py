"""nbgrader preprocessors that keep student content out of the instructor's kernel and keep
hidden tests out of the feedback. ``nbgrader_config.py`` (written by ``dltips nbgrader
init``) names them by their dotted path; nbgrader imports them from the installed package.

Why: ``nbgrader autograde`` executes every code cell of a submitted notebook, and imports
whatever the kernel finds in the student's folder, with the instructor's permissions.
nbgrader restores the instructor's locked cells, but a code cell the student *adds* runs
as written, and an extra file (``numpy.py``, an ``autograder/`` package) is copied next to
the notebook. The teaching notebooks reach student code only through the sandboxed worker,
so neither is ever needed:

- ``NeutralizeForeignCells`` (sanitize step, after ``OverwriteCells``): every code cell that
  is not one of the source notebook's locked cells, with the source's exact content,
  becomes a markdown note quoting it; it is never executed. Stray nbgrader metadata that
  names no cell of the source notebook is dropped (nbgrader would otherwise fail the whole
  submission on it).
- ``RemoveForeignFiles`` (first autograde step, before ``Execute``): in
  ``autograded/<student>/<assignment>/`` only the paths that exist in
  ``source/<assignment>/`` (the module files, kept as the student wrote them, and the data,
  overwritten from the source), the notebooks and nbgrader's ``timestamp.txt`` survive.
- ``ShortTracebacks`` (feedback): a failing test cell shows ``Error: message`` only, since
  IPython tracebacks print the lines around the failure, hidden tests included.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

FOREIGN_CELL_NOTE = (
    "**채점에서 제외된 코드 셀** (not part of the assignment, so it was not run when "
    "grading). 코드는 모듈 파일(`.py`)에 작성하세요; 노트북의 코드 셀은 바꿀 수 없습니다.\n\n"
)
NBGRADER_FILES = frozenset({"timestamp.txt"})


# ---------------------------------------------------------------------------------------
# Sanitize: code cells
# ---------------------------------------------------------------------------------------


class NeutralizeForeignCells(NbGraderPreprocessor):
    """Turn every code cell that is not an instructor cell of the source notebook into a
    markdown note, so autograde never executes it."""

    def preprocess(self, nb: nbformat.NotebookNode, resources: dict
                   ) -> tuple[nbformat.NotebookNode, dict]:
        """Inputs: the submitted notebook and nbgrader's resources (``resources['nbgrader']``
        names the notebook, the assignment and the gradebook). Returns them, sanitized."""
        info = resources["nbgrader"]
        self._source_cells = source_cells(info["db_url"], info["notebook"], info["assignment"])
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: nbformat.NotebookNode, resources: dict, index: int
                        ) -> tuple[nbformat.NotebookNode, dict]:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code":
            if not is_instructor_code_cell(cell, self._source_cells):
                self.log.warning("Code cell %s (%s) is not an instructor cell of the source "
                                 "notebook: not executed", index, grade_id or "no grade_id")
                return neutralized(cell), resources
        elif "nbgrader" in cell.metadata and grade_id not in self._source_cells:
            self.log.warning("Cell %s names no cell of the source notebook (%s): its nbgrader "
                             "metadata is dropped", index, grade_id)
            del cell.metadata["nbgrader"]
        return cell, resources


def source_cells(db_url: str, notebook: str, assignment: str) -> dict[str, tuple]:
    """grade_id -> (cell_type, locked, checksum) of every source cell the gradebook holds
    for this notebook (what ``generate_assignment`` recorded)."""
    with Gradebook(db_url) as gradebook:
        try:
            cells = gradebook.find_notebook(notebook, assignment).source_cells
        except MissingEntry:
            return {}
        return {c.name: (c.cell_type, bool(c.locked), c.checksum) for c in cells}


def is_instructor_code_cell(cell: nbformat.NotebookNode, sources: dict[str, tuple]) -> bool:
    """True for a locked code cell whose id, type and checksum match a source cell."""
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    if grade_id not in sources or not utils.is_locked(cell):
        return False
    cell_type, locked, checksum = sources[grade_id]
    return cell_type == "code" and locked and utils.compute_checksum(cell) == checksum


def neutralized(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A markdown cell saying the code cell was not run, quoting its code (indented, so
    it cannot break out of the code block)."""
    quoted = "\n".join("    " + line for line in cell.source.splitlines()) or "    (empty)"
    note = nbformat.v4.new_markdown_cell(FOREIGN_CELL_NOTE + quoted)
    if "id" in cell:
        note["id"] = cell["id"]
    return note


# ---------------------------------------------------------------------------------------
# Autograde: files next to the notebooks
# ---------------------------------------------------------------------------------------


class RemoveForeignFiles(Preprocessor):
    """Delete from the notebook's folder every file whose path is not in the source
    assignment, before the kernel starts there."""

    enabled = True  # nbconvert's default is False: a silent no-op without this

    def preprocess(self, nb: nbformat.NotebookNode, resources: dict
                   ) -> tuple[nbformat.NotebookNode, dict]:
        """Inputs: a notebook in ``autograded/<student>/<assignment>/`` and its resources
        (``resources['metadata']['path']`` is that folder). Returns them unchanged."""
        folder = Path(resources["metadata"]["path"])
        coursedir = CourseDirectory(config=self.config)
        source = Path(coursedir.format_path(coursedir.source_directory, ".",
                                            resources["nbgrader"]["assignment"]))
        allowed = {os.path.relpath(p, source)
                   for p in utils.find_all_files(str(source), coursedir.ignore + ["*.ipynb"])}
        for removed in remove_foreign_files(folder, allowed):
            self.log.warning("Removed %s from %s: not a file of the assignment", removed,
                             folder)
        return nb, resources


def remove_foreign_files(folder: Path, allowed: set[str]) -> list[str]:
    """Delete every file (or link) under ``folder`` whose relative path is not in
    ``allowed``, except top-level notebooks and nbgrader's own files; then empty folders.

    Inputs:
    - folder: the autograded copy of one student's assignment.
    - allowed: relative paths (``os.sep``-separated) that may stay.

    Returns:
    - the relative paths removed, sorted.
    """
    removed = []
    for directory, dirnames, filenames in os.walk(folder, topdown=False):
        here = Path(directory)
        for name in filenames:
            relative = os.path.relpath(here / name, folder)
            top_level = os.sep not in relative
            if relative in allowed or (top_level and (name.endswith(".ipynb")
                                                      or name in NBGRADER_FILES)):
                continue
            (here / name).unlink()
            removed.append(relative)
        for name in dirnames:
            path = here / name
            if path.is_symlink():
                path.unlink()
                removed.append(os.path.relpath(path, folder))
            elif not any(path.iterdir()):
                path.rmdir()
    return sorted(removed)


# ---------------------------------------------------------------------------------------
# Feedback
# ---------------------------------------------------------------------------------------


class ShortTracebacks(Preprocessor):
    """In test cells, replace each error's traceback by ``ename: evalue``."""

    enabled = True  # nbconvert's default is False: a silent no-op without this

    def preprocess_cell(self, cell: nbformat.NotebookNode, resources: dict, index: int
                        ) -> tuple[nbformat.NotebookNode, dict]:
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
