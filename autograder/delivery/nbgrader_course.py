"""The unit as an nbgrader course: ``dltips nbgrader init DIR`` writes it, and
``dltips grade --nbgrader DIR`` grades its ``submitted/`` tree.

    DIR/nbgrader_config.py        course id, absolute sqlite gradebook, kernel, cell timeout,
                                  exclude_overwriting, ignore patterns, sanitize and feedback
                                  preprocessors (see nbgrader-notes.md sections 3-7)
    DIR/source/<assignment>/      the source notebooks (solutions/NN_topic.ipynb, hidden
                                  tests included), the stub modules, data/ (the files the
                                  notebooks read)

One assignment holds the whole unit: the notebooks share the seven module files (they sit
once beside the notebooks, as in a student's folder), and one submission is what
``dltips grade`` grades, so both give one total out of the same points.

From there the instructor uses nbgrader only (generate_assignment, release/collect,
autograde, formgrader, generate_feedback, export).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder.course.contract import CONTRACT, MODULES, REPO_ROOT
from autograder.course.solution_source import stub_text
from autograder.delivery.student_notebooks import data_files, data_source, source_notebooks
from autograder.grading.engine import PACKAGE_ROOT, GradeOptions
from autograder.grading.policy import (
    ENV_DISCLOSE,
    ENV_LANG,
    Settings,
    read_settings,
    write_settings,
)

COURSE_ID = "dltips"
DEFAULT_ASSIGNMENT = "keras_tips_1"
CONFIG_NAME = "nbgrader_config.py"
# What students read (language, hidden-test disclosure): read by the config, which hands it
# to the notebooks' kernels, and by `dltips grade --nbgrader`, so both channels agree.
SETTINGS_NAME = "dltips_settings.json"
MODULE_FILES = tuple(f"{module}.py" for module in MODULES)
# nbgrader globs these against every basename (directories too): never released, never
# copied from a submission. nbgrader's own defaults first.
IGNORE = (".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".git", "solutions",
          "*_solution.py", "*_solution.ipynb", "hidden", "keras_refs.npz")
# A hidden grading run takes at most the runner's own limit; the first hidden cell of a
# notebook waits for it, so every cell may take that long plus room for the figures.
CELL_TIMEOUT = int(GradeOptions().runner_timeout) + 60
# Run by the kernel before any cell; leaves no name behind in the notebook's namespace.
KERNEL_PATH_LINE = ("__import__('sys').path[:] = [p for p in __import__('sys').path "
                    "if p not in ('', '.', __import__('os').getcwd())]")
_ASSIGNMENT_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_PREPROCESSORS = "autograder.delivery.nbgrader_preprocessors"


class CourseError(ValueError):
    """The course folder or the repository cannot produce a course (one-line message)."""


# ---------------------------------------------------------------------------------------
# dltips nbgrader init
# ---------------------------------------------------------------------------------------


def init_course(course: Path, assignment: str = DEFAULT_ASSIGNMENT, *, force: bool = False,
                root: Path = REPO_ROOT, settings: Settings | None = None) -> Path:
    """Write ``nbgrader_config.py`` and ``source/<assignment>/`` into ``course``.

    Inputs:
    - course: the course folder (created if missing).
    - assignment: the nbgrader assignment name (letters, digits, ``_`` and ``-``).
    - force: rewrite an existing course's config and ``source/<assignment>/``; the
      gradebook, ``release/``, ``submitted/`` and everything else are left alone.
    - root: the repository holding ``solutions/``, ``source_data/``.
    - settings: what students read (``autograder.grading.policy``), saved as
      ``course/dltips_settings.json`` (default: the defaults).

    Returns:
    - ``course/source/<assignment>``. Raises CourseError for a bad name, an existing
      course without ``force`` or a repository without source notebooks.
    """
    if not _ASSIGNMENT_NAME.match(assignment):
        raise CourseError(f"assignment name {assignment!r}: use letters, digits, _ and -")
    course = Path(course).resolve()
    if (course / CONFIG_NAME).exists() and not force:
        raise CourseError(f"{course / CONFIG_NAME} exists; pass --force to rewrite the config "
                          f"and source/{assignment}/ (the gradebook and submissions are kept)")
    notebooks = source_notebooks(root)
    if not notebooks:
        raise CourseError(f"no source notebooks (NN_topic.ipynb) in {root / 'solutions'}")
    source = course / "source" / assignment
    if source.exists():
        shutil.rmtree(source)
    (source / "data").mkdir(parents=True)
    for notebook in notebooks:
        shutil.copyfile(notebook, source / notebook.name)
    for module in MODULES:
        (source / f"{module}.py").write_text(stub_text(module, root), encoding="utf-8")
    for name in data_files(root):
        shutil.copyfile(data_source(name, root), source / "data" / name)
    write_settings(course / SETTINGS_NAME, settings or Settings())
    (course / CONFIG_NAME).write_text(config_text(assignment), encoding="utf-8")
    return source


def course_settings(course: Path) -> Settings:
    """The course's settings (``dltips_settings.json``); the defaults for a course written
    before the file existed. SettingsError for a file that is not valid."""
    path = Path(course) / SETTINGS_NAME
    return read_settings(path) if path.is_file() else Settings()


def config_text(assignment: str) -> str:
    """The course's ``nbgrader_config.py``: every path absolute, computed from its own place,
    so nbgrader finds the course from any working directory and the folder can move."""
    return f'''\
"""nbgrader configuration of the dltips course (written by `dltips nbgrader init`).

Run nbgrader from this folder. Student code never runs in the notebook kernel: the
notebooks call the student's modules through the sandboxed worker. Submissions are
scrubbed before nbgrader copies them (autograder/delivery/nbgrader_scrub.py), only the
source notebook's cells run (autograder/delivery/nbgrader_sanitize.py), foreign files are
removed before the kernel starts and a test cell without a valid score scores 0
(autograder/delivery/nbgrader_preprocessors.py).
"""

import json
import os

c = get_config()  # noqa: F821 - provided by nbgrader's config loader
_root = os.path.dirname(os.path.abspath(__file__))

# What students read, set once for the course in {SETTINGS_NAME} (language, how much a
# failed hidden test discloses): the notebooks' kernels inherit it from nbgrader's
# environment; `dltips grade --nbgrader` reads the same file (both take the defaults
# below when it is missing).
_students_read = {dict(lang=Settings().lang, disclose=Settings().disclose)!r}
if os.path.exists(os.path.join(_root, {SETTINGS_NAME!r})):
    with open(os.path.join(_root, {SETTINGS_NAME!r}), encoding="utf-8") as _settings:
        _students_read.update(json.load(_settings))
os.environ[{ENV_LANG!r}] = _students_read["lang"]
os.environ[{ENV_DISCLOSE!r}] = _students_read["disclose"]

c.CourseDirectory.root = _root
c.CourseDirectory.course_id = {COURSE_ID!r}
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_root, "gradebook.db")
# Globbed against every file and folder name: never released by generate_assignment and
# never copied from a submission into autograded/. The defaults, then solution files.
c.CourseDirectory.ignore = {list(IGNORE)!r}

# autograde replaces every file of source/<assignment>/ in a submission with the source's
# copy, except these: the student's modules are what is graded. Exact paths relative to
# source/<assignment>/ (a "./" prefix silently fails).
c.Autograde.exclude_overwriting = {{{assignment!r}: {list(MODULE_FILES)!r}}}

# Before nbgrader copies a submission (with the instructor's rights, following links), the
# scrub deletes its links, devices, FIFOs and sockets and moves aside files and notebooks
# over the size caps, saying so in this log and in scrubbed/<student>/<assignment>/.
c.Autograde.pre_convert_hook = "autograder.delivery.nbgrader_scrub.scrub_hook"
# nbgrader collect copies links in the exchange as links (not as copies of their targets),
# so the scrub sees them.
c.ExchangeFactory.collect = "autograder.delivery.nbgrader_collect.CollectKeepingLinks"

# Sanitize: first, the notebook that is graded is the source notebook's cells, in its
# order, with only the text of the student's written answers (no cell, tag, metadata or
# cell type of the student's reaches a later step); then nbgrader's own steps.
# Autograde: foreign files go before the kernel starts; a test cell that produced no valid
# score scores 0.
c.Autograde.sanitize_preprocessors = [
    "autograder.delivery.nbgrader_sanitize.SourceCellsOnly",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "{_PREPROCESSORS}.RemoveForeignFiles",
    "nbgrader.preprocessors.Execute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "{_PREPROCESSORS}.ScoreOrZero",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# The kernel: this environment's python3; the first hidden cell of a notebook waits for
# its grading run (at most {CELL_TIMEOUT - 60} s), so a cell may take {CELL_TIMEOUT} s.
# Before the first cell, the kernel drops its working directory (the student's folder)
# from sys.path: no cell can import a student module by accident.
c.Execute.kernel_name = "python3"
c.Execute.timeout = {CELL_TIMEOUT}
# nbgrader fails a whole submission when the kernel is slow to start or its output lags
# the reply by more than iopub_timeout (4 s by default): both happen on a loaded machine.
c.Execute.startup_timeout = 120
c.Execute.iopub_timeout = 60
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:",
                             "--IPKernelApp.exec_lines=" + {KERNEL_PATH_LINE!r}]

# Feedback: scores kept, hidden tests removed, tracebacks one line.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "{_PREPROCESSORS}.ShortTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
'''


# ---------------------------------------------------------------------------------------
# dltips grade --nbgrader
# ---------------------------------------------------------------------------------------


def submissions(course: Path, assignment: str) -> list[tuple[str, Path]]:
    """(student id, folder) of every ``submitted/<student>/<assignment>/``, sorted by id.

    Raises CourseError when ``course/submitted`` is missing or no student submitted
    ``assignment`` (naming the assignments that were submitted, if any).
    """
    submitted = Path(course) / "submitted"
    if not submitted.is_dir():
        raise CourseError(f"{submitted}: no such folder (is {course} an nbgrader course with "
                          "collected submissions?)")
    found = sorted((s.name, s / assignment) for s in submitted.iterdir()
                   if (s / assignment).is_dir() and not s.name.startswith("."))
    if not found:
        others = sorted({a.name for s in submitted.iterdir() if s.is_dir()
                         for a in s.iterdir() if a.is_dir()})
        hint = f" (submitted assignments: {', '.join(others)})" if others else ""
        raise CourseError(f"no submission of {assignment!r} in {submitted}{hint}")
    return found


# ---------------------------------------------------------------------------------------
# Grade cells: what each hidden cell scores
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeCell:
    """One autograded cell of a source notebook and the contract functions it scores."""

    notebook: str
    grade_id: str
    points: float
    module: str
    functions: tuple[str, ...]

    @property
    def tags(self) -> set[str]:
        """``module.function`` for every function the cell scores."""
        return {f"{self.module}.{f}" for f in self.functions}


def grade_cells(notebook: Path) -> list[GradeCell]:
    """The cells of a source notebook that call ``hidden_score(module, *functions,
    max_points=...)``, in notebook order (functions default to all of the module's)."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    found = []
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] != "code" or not meta.get("grade"):
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for call in _hidden_score_calls(source):
            module, *functions = [arg.value for arg in call.args]
            found.append(GradeCell(Path(notebook).stem, meta["grade_id"], float(meta["points"]),
                                   module, tuple(functions) or CONTRACT[module]))
    return found


def _hidden_score_calls(source: str) -> list[ast.Call]:
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("%"))
    return [node for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "hidden_score"]


def cell_points(cell: GradeCell, results: dict) -> float:
    """The points ``dltips grade``'s results.json gives the functions of ``cell``: the sum
    over the hidden tests tagged with any of them, clamped to the cell's points (what
    ``hidden_score`` returns in the notebook)."""
    earned = sum(t["score"] for t in results["tests"] if cell.tags & set(t["tags"][1:]))
    return min(max(float(earned), 0.0), cell.points)


# ---------------------------------------------------------------------------------------
# Running nbgrader's own command line
# ---------------------------------------------------------------------------------------


def nbgrader_env() -> dict[str, str]:
    """The environment for ``nbgrader``: this interpreter's bin first on PATH (nbgrader
    shells out to ``alembic`` and starts the ``python3`` kernel from there) and this
    checkout of ``autograder`` importable by nbgrader and its kernels."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT),
                                                      env.get("PYTHONPATH", "")]))
    env.setdefault("MPLBACKEND", "Agg")
    return env


def run_nbgrader(course: Path, *args: str, timeout: float = 3600,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS...`` in ``course`` with ``nbgrader_env()`` updated by ``env``;
    output captured."""
    executable = Path(sys.executable).parent / "nbgrader"
    command = [str(executable) if executable.exists() else "nbgrader", *args]
    return subprocess.run(command, cwd=course, env={**nbgrader_env(), **(env or {})},
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
