"""Student notebooks from the source notebooks, exactly as ``nbgrader generate_assignment``
would release them.

``solutions/<nn>_<topic>.ipynb`` (nbgrader cell metadata, schema 3) is the single source.
``assignments/<nn>_<topic>.ipynb`` is generated beside the stub modules (so the notebook's
folder holds the modules it imports) by running nbgrader's own ``GenerateAssignment``
preprocessor list in-process, minus ``SaveCells`` (the only one that needs a gradebook):
solutions and hidden tests cleared, outputs cleared, cells locked, checksums computed,
metadata validated. The output is byte-deterministic (the source notebooks carry fixed cell
ids), so a test can keep the committed student notebooks fresh.

The notebooks read their data through ``nb.data("<file>")`` (``autograder.delivery.notebook``);
``data_files`` lists those files so a release can carry them.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.course.contract import REPO_ROOT

NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"
_DATA_CALL = re.compile(r"""\.data\(\s*["']([\w.-]+)["']\s*\)""")


def source_notebooks(root: Path = REPO_ROOT) -> list[Path]:
    """The source notebooks in ``solutions/``, in lecture order."""
    return sorted((root / "solutions").glob(NOTEBOOK_PATTERN))


def student_notebook_text(source: Path) -> str:
    """The student version of one source notebook, as nbgrader would write it.

    Inputs:
    - source: a source notebook path.

    Returns:
    - the notebook's JSON text (nbformat 4, as nbconvert's NotebookExporter writes it).
    Raises nbgrader's ValidationError for broken nbgrader metadata.
    """
    from nbconvert.exporters import NotebookExporter
    from traitlets.config import Config

    config = Config()
    config.Exporter.default_preprocessors = []
    exporter = NotebookExporter(config=config)
    for preprocessor in release_preprocessors():
        exporter.register_preprocessor(preprocessor, enabled=True)
    text, _ = exporter.from_filename(str(source))
    return text


def release_preprocessors() -> list[type]:
    """``GenerateAssignment``'s preprocessors without ``SaveCells`` (gradebook only)."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import SaveCells

    return [p for p in GenerateAssignment().preprocessors if p is not SaveCells]


def student_notebook_path(source: Path, root: Path = REPO_ROOT) -> Path:
    return root / "assignments" / source.name


def write_student_notebooks(root: Path = REPO_ROOT) -> list[Path]:
    """Regenerate ``assignments/<nn>_<topic>.ipynb`` from every source (and delete student
    notebooks whose source is gone); returns the paths written."""
    sources = source_notebooks(root)
    for orphan in (root / "assignments").glob(NOTEBOOK_PATTERN):
        if orphan.name not in {source.name for source in sources}:
            orphan.unlink()
    written = []
    for source in sources:
        target = student_notebook_path(source, root)
        target.write_text(student_notebook_text(source), encoding="utf-8")
        written.append(target)
    return written


def stale_notebooks(root: Path = REPO_ROOT) -> list[str]:
    """Names of student notebooks that are missing, outdated, or have no source any more."""
    stale = []
    for source in source_notebooks(root):
        target = student_notebook_path(source, root)
        if not target.exists() or target.read_text(encoding="utf-8") != student_notebook_text(
                source):
            stale.append(source.name)
    sources = {source.name for source in source_notebooks(root)}
    stale += sorted(p.name for p in (root / "assignments").glob(NOTEBOOK_PATTERN)
                    if p.name not in sources)
    return stale


def data_files(root: Path = REPO_ROOT) -> list[str]:
    """The data file names the source notebooks read with ``nb.data("<name>")``."""
    import nbformat

    names: set[str] = set()
    for source in source_notebooks(root):
        notebook = nbformat.read(source, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                names.update(_DATA_CALL.findall(cell.source))
    return sorted(names)


def data_source(name: str, root: Path = REPO_ROOT) -> Path:
    """Where this repository keeps data file ``name`` (``source_data/``)."""
    return root / "source_data" / name
