"""nbgrader preprocessors that keep student files out of the instructor's kernel and hidden
tests out of the feedback. ``nbgrader_config.py`` (written by ``dltips nbgrader init``) names
them by their dotted path; nbgrader imports them from the installed package.

Why: ``nbgrader autograde`` executes a submitted notebook with the instructor's permissions
in a copy of the student's folder, and copies every file the student handed in there (an
extra ``numpy.py``, an ``autograder/`` package), where the kernel could import it. The
teaching notebooks reach student code only through the sandboxed worker, and only the
source notebook's cells run (``autograder.delivery.nbgrader_sanitize.SourceCellsOnly``), so:

- ``RemoveForeignFiles`` (first autograde step, before ``Execute``): in
  ``autograded/<student>/<assignment>/`` only the paths that exist in
  ``source/<assignment>/`` (the module files, kept as the student wrote them, and the data,
  overwritten from the source), the notebooks and nbgrader's ``timestamp.txt`` survive.
- ``ScoreOrZero`` (after ``Execute``, right before ``SaveAutoGrades``): nbgrader gives a test
  cell that produced no result full marks, and takes the text of its result as points
  (``utils.determine_grade``: ``True``, ``None`` or ``-1.0`` are full marks, more than the
  cell's points fails the submission). A test cell scores only a finite number of points
  from 0 to its maximum that its last line produced; anything else, whatever the reason
  (a skipped cell, a cell cut short, no result), becomes an error output first: 0 points.
- ``ShortTracebacks`` (feedback): a failing test cell shows ``Error: message`` only, since
  IPython tracebacks print the lines around the failure, hidden tests included.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from nbgrader.coursedir import CourseDirectory

NBGRADER_FILES = frozenset({"timestamp.txt"})


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
# Autograde: what a test cell scores
# ---------------------------------------------------------------------------------------


class ScoreOrZero(Preprocessor):
    """Put an error first in every test cell that did not produce a valid score."""

    enabled = True  # nbconvert's default is False: a silent no-op without this

    def preprocess_cell(self, cell: nbformat.NotebookNode, resources: dict, index: int
                        ) -> tuple[nbformat.NotebookNode, dict]:
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            problem = missing_score(cell)
            if problem is not None:
                self.log.warning("Test cell %s scores 0: %s",
                                 cell.metadata.nbgrader.get("grade_id"), problem)
                cell.outputs.insert(0, nbformat.v4.new_output(
                    "error", ename="NoScore", evalue=problem,
                    traceback=[f"NoScore: {problem}"]))
        return cell, resources


def missing_score(cell: nbformat.NotebookNode) -> str | None:
    """Why nbgrader would not read a valid score from an executed test cell, or None when
    it would (its first error or stderr output gives 0; its first result gives points)."""
    points = float(cell.metadata.nbgrader["points"])
    for output in cell.get("outputs", []):
        if output.output_type == "error" or (output.output_type == "stream"
                                             and output.get("name") == "stderr"):
            return None
        if output.output_type == "execute_result":
            text = output.get("data", {}).get("text/plain", "")
            text = text if isinstance(text, str) else "".join(text)
            try:
                value = float(text)
            except ValueError:
                return f"its result {text[:40]!r} is not a number of points"
            if not (math.isfinite(value) and 0 <= value <= points):
                return f"its result {value!r} is not between 0 and {points:g} points"
            return None
    return "it produced no result (it did not run to its last line)"


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
