"""The runtime of the teaching notebooks: what their first code cell imports.

    nb = setup_notebook("gradient_descent")          # the student's own module(s)
    gd = nb.gradient_descent
    with friendly_errors():                          # figure and worked-example cells
        w, b, history = gd.gradient_descent(X, y, 0.1, 50)
    visible_check("gradient_descent", "predict")     # grade cells: the visible checks ...
    hidden_score("gradient_descent", "predict", max_points=1.0)   # ... and, hidden, the score

Two modes, chosen by nbgrader's ``NBGRADER_EXECUTION`` variable:

- **direct** (a student's own Jupyter, ``nbconvert --execute``, ``nbgrader validate``): each
  module is compiled from ``<folder>/<module>.py`` afresh on every ``setup_notebook`` call,
  so edits show up after re-running the first cell; ``import <module>`` then gives the same
  fresh module.
- **sandboxed** (``NBGRADER_EXECUTION=autograde``): nbgrader runs every cell with the
  instructor's permissions, so no student code may run in the kernel. Module handles are
  proxies whose calls run in a sandboxed worker
  (``autograder.sandbox.session.StudentSession``) on a staged copy of the module files;
  arguments and results cross as plain data (numpy arrays, numbers, strings, None, lists,
  tuples, dicts). A call that needs randomness takes
  ``nb.rng(seed)``: a fresh ``np.random.Generator`` in direct mode, a
  ``RandomSeed`` (rebuilt as ``np.random.default_rng(seed)`` in the worker) when sandboxed,
  so both modes give the same numbers as long as each call gets its own ``nb.rng(seed)``.

Grading from grade cells (every mode): ``visible_check`` runs the public suite (what
``dltips check`` runs) and ``hidden_score`` the hidden suite (what ``dltips grade`` runs),
both through the engine (``autograder.grading.engine.grade_submission``), so student code
runs in the sandbox there too. Each suite runs at most once per notebook kernel and content of the
module files: the result is cached under a hash of the staged files and shared by every
grade cell of the notebook (one run covers all modules the notebook grades). The visible
run starts in the background as soon as ``setup_notebook`` returns, and under autograde the
hidden run too, so they overlap with the figure cells.

Limits: a grading run takes at most the engine's runner timeout
(``autograder.grading.limits.runner_seconds``: the wall caps of the default and the keras
worker profiles plus the trusted margins, 540 s for all eight modules by default); the
nbgrader cell timeout (``c.Execute.timeout``, ``nbgrader_course.CELL_TIMEOUT``) must be at
least that, or the first hidden cell of a hostile submission times out. Figure calls share
a separate budget of ``FIGURE_WALL_CAP`` seconds of student code per notebook when sandboxed,
and of ``FIGURE_REPLY_BUDGET`` bytes of replies (what comes back is kept by the kernel: a
module returning the largest array a reply may hold, call after call, grew it to 8 GB).
Under autograde ``setup_notebook`` also caps the kernel's own address space
(``RLIMIT_AS`` soft limit, ``KERNEL_MEMORY_LIMIT``): a kernel that still runs out gets a
``MemoryError`` in one cell instead of taking the machine with it. Only the soft limit: the
grading runs and workers the kernel starts set their own caps, some of them higher.

Data files (``nb.data(name)``) are looked up, relative to the notebook's folder, in
``data/`` (an nbgrader course's ``source/<assignment>/data/`` and the student release's
``assignments/data/``), then ``../source_data/`` (this repository: ``solutions/`` and
``assignments/`` sit beside ``source_data/``).

Output rules for nbgrader (see nbgrader-notes.md §2, §4): nothing here writes to stderr
(numpy and Python warnings are silenced while sandboxed), grading functions never raise
(so "Restart Kernel and Run All Cells" reaches the end), and both return a plain Python
``float``: ``hidden_score``'s is the autograded score, ``visible_check``'s the last
expression of a student's grade cell, which ``nbgrader validate`` compares with the cell's
points.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import re
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from autograder.course.contract import CONTRACT
from autograder.grading.messages import say
from autograder.grading.policy import Settings, installed_settings
from autograder.sandbox.worker.protocol import RandomSeed

AUTOGRADE = "autograde"
DATA_DIRS = ("data", "../source_data")
FIGURE_CALL_TIMEOUT = 10.0  # seconds per sandboxed figure call
FIGURE_WALL_CAP = 60.0      # seconds of student code for all figure calls of a notebook
FIGURE_REPLY_BUDGET = 256 * 2**20  # bytes of replies for all figure calls of a notebook
KERNEL_MEMORY_LIMIT = 4 * 2**30    # the kernel's address space under autograde
PASS, FAIL = "✓", "✗"


def _isolation() -> str:
    """Under autograde the kernel holds the instructor's permissions: bwrap or nothing (the
    error says why). In a student's own Jupyter it is their own code: the strongest level
    this machine has, with the note, as ``dltips check`` does."""
    return "strict" if under_autograde() else "auto"


def _settings() -> Settings:
    """What students read here: the nbgrader course's (its kernels' environment) or the
    student release's; the defaults when neither says (or says something unknown)."""
    try:
        return installed_settings()
    except ValueError:
        return Settings()


def _say(key: str, **fields: Any) -> str:
    return say(key, _settings().lang, **fields)


def under_autograde() -> bool:
    """True while ``nbgrader autograde`` executes the notebook."""
    return os.environ.get("NBGRADER_EXECUTION") == AUTOGRADE


class StudentCodeError(RuntimeError):
    """A call into the student's module failed for a reason other than NotImplementedError
    (an exception in sandboxed code, a timeout, a crash, a module that does not import)."""


# ---------------------------------------------------------------------------------------
# Setting up a notebook
# ---------------------------------------------------------------------------------------


class Notebook:
    """What ``setup_notebook`` returns: one attribute per module handle, plus helpers.

    Attributes:
    - ``<module>``: the student's module (direct) or its sandbox proxy (autograde).
    - folder: the folder holding the module files (the notebook's folder).
    - graded: the modules whose visible/hidden suites the grade cells run.
    - sandboxed: whether calls run in the sandboxed worker.
    """

    def __init__(self, folder: Path, handles: dict[str, Any], graded: tuple[str, ...],
                 sandboxed: bool) -> None:
        self.folder, self.graded, self.sandboxed = folder, graded, sandboxed
        for name, handle in handles.items():
            setattr(self, name, handle)

    def rng(self, seed: int) -> Any:
        """A seeded random generator argument for a student function (``rng=``).

        Inputs:
        - seed: an int.

        Returns:
        - ``np.random.default_rng(seed)`` in direct mode, ``RandomSeed(seed)`` when
          sandboxed (the worker turns it into the same generator). Use a fresh one per call.
        """
        return RandomSeed(int(seed)) if self.sandboxed else np.random.default_rng(int(seed))

    def data(self, name: str) -> Path:
        """The path of data file ``name`` (see the module docstring for where it looks).

        Raises FileNotFoundError naming every place looked in.
        """
        return find_data(name, self.folder)


def find_data(name: str, folder: Path) -> Path:
    """``name`` under ``folder/data/`` or ``folder/../source_data/``; FileNotFoundError if in
    neither."""
    tried = [(folder / where / name).resolve() for where in DATA_DIRS]
    for path in tried:
        if path.is_file():
            return path
    raise FileNotFoundError(f"data file {name!r} not found; looked in "
                            + ", ".join(str(p.parent) for p in tried))


class _Current:
    """The notebook set up last in this kernel (grade cells use its folder and modules)."""

    notebook: Notebook | None = None
    session: Any = None  # the StudentSession behind sandboxed handles
    scratch: Path | None = None


def setup_notebook(*modules: str, graded: tuple[str, ...] | list[str] | None = None,
                   folder: str | Path | None = None) -> Notebook:
    """Load the student's modules for this notebook; call it in the first code cell.

    Inputs:
    - modules: contract module names the notebook calls, e.g. ``"gradient_descent"``.
    - graded: the modules its grade cells check (default: all of ``modules``).
    - folder: where the module files are (default: the kernel's working directory, which
      Jupyter and nbgrader set to the notebook's folder).

    Returns:
    - a ``Notebook`` with one handle per module (see the module docstring for the modes).
      A module that is missing or fails to import gets a handle whose calls raise
      ``StudentCodeError``; one line says so now, nothing raises here.
    """
    _check_modules(modules)
    graded = tuple(graded) if graded is not None else tuple(modules)
    _check_modules(graded)
    where = Path(folder).resolve() if folder is not None else Path.cwd()
    _close_session()
    sandboxed = under_autograde()
    if sandboxed:
        cap_kernel_memory()
        handles = _sandboxed_handles(where, modules)
    else:
        for name in CONTRACT:  # so that a module importing a neighbour gets its current file
            sys.modules.pop(name, None)
        handles = {name: _load_direct(where, name) for name in modules}
    _Current.notebook = Notebook(where, handles, graded, sandboxed)
    # The runs the grade cells will need start now and overlap with the figure cells; the
    # hidden suite only under autograde (student notebooks have no hidden cells).
    if graded:
        _prefetch(graded, where, ("public", "hidden") if sandboxed else ("public",))
    return _Current.notebook


def cap_kernel_memory(limit: int = KERNEL_MEMORY_LIMIT) -> None:
    """Lower this process's ``RLIMIT_AS`` soft limit to ``limit`` (never raise it; the hard
    limit stays, so processes started from here may set their own caps)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft > limit:
        new = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (new, hard))


def _prefetch(graded: tuple[str, ...], folder: Path, suites: tuple[str, ...]) -> None:
    """Start grading runs in the background; a failure here is reported by the grade cell."""
    for suite in suites:
        try:
            _suite_future(suite, graded, folder)
        except Exception:  # noqa: BLE001 - the grade cell retries and says why
            pass


def _check_modules(names: tuple[str, ...]) -> None:
    unknown = [name for name in names if name not in CONTRACT]
    if unknown:
        raise ValueError(f"unknown module {unknown[0]!r}; the modules are "
                         + ", ".join(CONTRACT))


# ----- direct mode ----------------------------------------------------------------------


def _load_direct(folder: Path, name: str) -> Any:
    """Compile ``folder/name.py`` into a fresh module (no bytecode cache, so an edit made
    within the same second is never masked by a stale .pyc) and register it as ``name``.

    While it runs, ``folder`` is on ``sys.path`` so the module can import its neighbours,
    as it can in the sandboxed worker."""
    path = folder / f"{name}.py"
    sys.path.insert(0, str(folder))
    try:
        source = path.read_text(encoding="utf-8")
        module = ModuleType(name)
        module.__file__ = str(path)
        code = compile(source, str(path), "exec")
        sys.modules[name] = module
        exec(code, module.__dict__)  # the student's own code, in their own kernel
    except Exception as error:  # noqa: BLE001 - one readable line instead of a traceback
        sys.modules.pop(name, None)
        reason = _import_failure(name, error)
        print(f"⚠ {reason}")
        return _BrokenModule(name, reason)
    finally:
        sys.path.remove(str(folder))
    return module


def _import_failure(name: str, error: BaseException) -> str:
    if isinstance(error, FileNotFoundError):
        return _say("notebook.not_in_folder", module=name, path=error.filename)
    if isinstance(error, SyntaxError):
        return _say("notebook.not_loaded", module=name,
                    reason=f"SyntaxError (line {error.lineno}): {error.msg}")
    return _say("notebook.not_loaded", module=name, reason=f"{type(error).__name__}: {error}")


class _BrokenModule:
    """Stands in for a module that could not be loaded: every call says why."""

    def __init__(self, name: str, reason: str) -> None:
        self._name, self._reason = name, reason

    def __getattr__(self, function: str) -> Any:
        if function.startswith("_"):
            raise AttributeError(function)

        def fail(*args: Any, **kwargs: Any) -> Any:
            raise StudentCodeError(self._reason)

        return fail

    def __repr__(self) -> str:
        return f"<module {self._name} that could not be loaded>"


# ----- sandboxed mode -------------------------------------------------------------------


def _sandboxed_handles(folder: Path, modules: tuple[str, ...]) -> dict[str, Any]:
    """Proxies for ``modules``, backed by one session on a staged copy of the module files."""
    from autograder.grading.staging import stage
    from autograder.sandbox.session import StudentSession

    _Current.scratch = Path(tempfile.mkdtemp(prefix="dltips-notebook-"))
    try:
        staged = stage(folder, _Current.scratch / "modules")
        _Current.session = StudentSession(staged.directory, isolation=_isolation(),
                                          call_timeout=FIGURE_CALL_TIMEOUT,
                                          wall_cap=FIGURE_WALL_CAP,
                                          reply_budget=FIGURE_REPLY_BUDGET)
        failures = {name: _Current.session.import_status(name) for name in modules}
    except Exception as error:  # noqa: BLE001 - a machine problem: say it, keep going
        reason = _say("notebook.sandbox_down", reason=_one_line(error))
        print(f"⚠ {reason}")
        return {name: _BrokenModule(name, reason) for name in modules}
    for name, failure in failures.items():
        if failure is not None:
            print(f"⚠ {_say('notebook.not_loaded', module=name, reason=failure.message)}")
    return {name: _SandboxedModule(_Current.session, name) for name in modules}


class _SandboxedModule:
    """``handle.function(...)`` runs ``module.function`` in the sandboxed worker."""

    def __init__(self, session: Any, name: str) -> None:
        self._session, self._name = session, name

    def __getattr__(self, function: str) -> Any:
        if function.startswith("_"):
            raise AttributeError(function)
        return _SandboxedFunction(self._session, self._name, function)

    def __repr__(self) -> str:
        return f"<module {self._name}, running in the sandbox>"


class _SandboxedFunction:
    def __init__(self, session: Any, module: str, name: str) -> None:
        self._session, self._module, self.__name__ = session, module, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from autograder.sandbox.session import StudentError

        try:
            return self._session.call(self._module, self.__name__, *args, **kwargs)
        except StudentError as error:
            raise _as_exception(error) from None


def _as_exception(error: Any) -> Exception:
    """The sandbox's StudentError as the exception a direct call would have raised."""
    if error.kind == "not_implemented":
        _, _, text = error.message.rpartition("NotImplementedError: ")
        return NotImplementedError(text or error.message)
    return StudentCodeError(f"{error.message} [{error.kind}]")


def _close_session() -> None:
    if _Current.session is not None:
        _Current.session.close()
        _Current.session = None
    if _Current.scratch is not None:
        shutil.rmtree(_Current.scratch, ignore_errors=True)
        _Current.scratch = None


atexit.register(_close_session)


# ---------------------------------------------------------------------------------------
# Figure and example cells
# ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def friendly_errors() -> Iterator[None]:
    """Run a figure or worked-example cell body; an unimplemented function prints one line.

    - NotImplementedError (a stub): prints ``<function>를 먼저 구현하세요: <hint>``.
    - StudentCodeError (the module did not load, a sandboxed call failed): prints its reason.
    - any other exception (a bug in the student's code): in direct mode its traceback is
      shown (it helps debugging) and the cell ends there without raising, so "Run All"
      goes on to the next figures; one printed line under autograde, where nothing may
      raise and warnings are silenced.
    Figures left half-drawn by a failure are closed, so no broken plot is shown.
    """
    quiet = _silenced() if under_autograde() else contextlib.nullcontext()
    try:
        with quiet:
            yield
    except NotImplementedError as error:
        _close_figures()
        print(todo_line(error))
    except StudentCodeError as error:
        _close_figures()
        print(f"⚠ {error}")
    except Exception as error:
        _close_figures()
        if not under_autograde():
            _show_traceback()
        print(f"⚠ {_say('notebook.cell_failed', error=f'{type(error).__name__}: {error}')}")


def _show_traceback() -> None:
    """The current exception's traceback as Jupyter shows an error, without failing the
    cell (IPython's own display); plain text on stdout outside IPython."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        shell.showtraceback()
    else:
        import traceback

        traceback.print_exc(file=sys.stdout)


def todo_line(error: NotImplementedError) -> str:
    """``Implement <function> first: <hint>`` (in the course's language) from a stub's
    ``"<function>: <hint>"``."""
    text = str(error).strip()
    match = re.match(r"(\w+): (.+)", text, re.DOTALL)
    if match:
        return _say("notebook.todo", function=match.group(1), hint=match.group(2))
    return _say("notebook.todo_unknown", text=text or "NotImplementedError")


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """No Python or numpy warnings (they would reach stderr, which zeroes nbgrader cells)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _close_figures() -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


# ---------------------------------------------------------------------------------------
# Grade cells
# ---------------------------------------------------------------------------------------


def visible_check(module: str, *functions: str) -> float:
    """Run the visible checks (``dltips check``'s suite) of these functions and print them.

    Inputs:
    - module: a contract module; functions: some of its contract functions (all if none).

    Prints one row per check: mark, points, title, and for a failure what differs, by how
    much, and a hint. Points are on the hidden suite's scale (``autograder.course.points``),
    so when every check passes they are the grade cell's points.

    Returns:
    - the points the visible checks give, a plain float. In a student notebook it is the
      grade cell's last expression: nbgrader's partial credit, so ``nbgrader validate``
      reports a cell below its points as failed, while "Run All" goes on to the figures.
      Never raises and never writes stderr: a check that cannot run prints one line and
      gives 0.0.
    """
    try:
        with _silenced():
            tests, header = _selected_tests("public", module, functions)
    except Exception as error:  # noqa: BLE001 - reported as one line, never a traceback
        print(f"{FAIL} {_say('notebook.visible_unavailable', reason=_one_line(error))}")
        return 0.0
    print(header)
    for test in tests:
        print(_row(test))
    earned = sum(float(t["score"]) for t in tests)
    total = sum(float(t["max_score"]) for t in tests)
    failed = sum(t["status"] != "passed" for t in tests)
    if failed:
        print(f"{FAIL} " + _say("notebook.visible_failed", failed=failed, total=len(tests),
                                score=f"{earned:g}", max=f"{total:g}"))
    return float(round(min(max(earned, 0.0), total), 6))


def hidden_score(module: str, *functions: str, max_points: float) -> float:
    """The points the hidden suite gives these functions, for nbgrader's partial credit.

    Inputs:
    - module, functions: as for ``visible_check``.
    - max_points: the grade cell's points; the result is clamped to [0, max_points].

    Returns:
    - a plain Python float (never a numpy scalar, whose text nbgrader would misread). Prints
      one row per hidden test with what the course's disclosure policy lets a failure say
      (``autograder.grading.policy``: the same text as ``dltips grade``'s feedback.md and
      results.json; no row at all at ``score``). Never raises and never writes stderr: any
      failure prints one line and returns 0.0.
    """
    try:
        with _silenced():
            tests, header = _selected_tests("hidden", module, functions)
            earned = float(sum(float(t["score"]) for t in tests))
            print(header)
            for test in tests:
                if test.get("visibility") != "hidden":  # hidden: the policy lists no tests
                    print(_row(test))
            return float(min(max(earned, 0.0), float(max_points)))
    except BaseException as error:  # noqa: BLE001 - a grade cell must end in a number
        print(f"{FAIL} {_say('notebook.hidden_unavailable', reason=_one_line(error))}")
        return 0.0


class _GradingUnavailable(RuntimeError):
    """A suite could not be run or has no test for the requested functions."""


def _selected_tests(suite: str, module: str, functions: tuple[str, ...]) -> tuple[list, str]:
    """The suite's result rows tagged with one of ``module.functions``, and a header line."""
    if module not in CONTRACT:
        raise _GradingUnavailable(f"unknown module {module!r}")
    unknown = [f for f in functions if f not in CONTRACT[module]]
    if unknown:
        raise _GradingUnavailable(f"{module} has no contract function {unknown[0]!r}")
    wanted = [f"{module}.{f}" for f in (functions or CONTRACT[module])]
    notebook = _Current.notebook
    folder = notebook.folder if notebook else Path.cwd()
    modules = notebook.graded if notebook and module in notebook.graded else (module,)
    results = _suite_future(suite, modules, folder).result()
    tests = [t for t in results["tests"] if set(wanted) & set(t["tags"][1:])]
    error = results["extra_data"].get("grader_error")
    if not tests:
        raise _GradingUnavailable(error or f"no {suite} test covers {', '.join(wanted)}")
    score = sum(t["score"] for t in tests)
    total = sum(t["max_score"] for t in tests)
    label = "notebook.visible_header" if suite == "public" else "notebook.hidden_header"
    header = _say(label, functions=", ".join(wanted), score=f"{score:g}", max=f"{total:g}")
    if error:
        header += f"\n{FAIL} {_say('notebook.grader_problem', reason=_one_line(error))}"
    return tests, header


def _row(test: dict) -> str:
    """One result row and, for a failure, its text: the test's results.json ``output``,
    written by the report at the run's disclosure level (the visible checks: all of it)."""
    ok = test["status"] == "passed"
    line = f"  {PASS if ok else FAIL} {test['score']:g}/{test['max_score']:g}  {test['name']}"
    if ok:
        return line
    return line + "".join(f"\n      {text}" for text in test["output"].strip().splitlines())


def _one_line(error: BaseException | str) -> str:
    """A reason on one line of at most 300 characters (our own reasons without a type)."""
    if isinstance(error, (str, _GradingUnavailable)):
        text = str(error)
    else:
        text = f"{type(error).__name__}: {error}"
    text = " ".join(str(text).split())
    return text if len(text) <= 300 else text[:297] + "..."


# ----- one grading run per suite and content --------------------------------------------

_RUNS: dict[tuple, Future] = {}
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="dltips-notebook-grading")


def _suite_future(suite: str, modules: tuple[str, ...], folder: Path) -> Future:
    """The (possibly running) grading run of ``suite`` on ``modules`` in ``folder``.

    Keyed on the suite, the modules and a hash of the staged module files, so grade cells
    share one run, and a student who edits a module and re-runs a cell gets a fresh one.
    """
    from autograder.grading.staging import stage

    scratch = Path(tempfile.mkdtemp(prefix="dltips-notebook-stage-"))
    try:
        staged = stage(folder, scratch / "modules")
        key = (suite, tuple(modules), _content_hash(staged.directory))
        if key in _RUNS:
            shutil.rmtree(scratch, ignore_errors=True)
            return _RUNS[key]
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    _RUNS[key] = _POOL.submit(_run_suite, suite, tuple(modules), staged.directory, scratch)
    return _RUNS[key]


def _content_hash(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _run_suite(suite: str, modules: tuple[str, ...], staged: Path, scratch: Path) -> dict:
    """Grade the staged files with the engine; returns Gradescope-style results."""
    from autograder.grading.engine import GradeOptions, grade_submission
    from autograder.grading.runner import suite_dir

    settings = _settings()
    try:
        if not suite_dir(suite).is_dir():
            raise _GradingUnavailable(f"the {suite} suite is not installed here "
                                      "(hidden tests exist only on the grading side)")
        if under_autograde():  # nbgrader: one run of every module, shared by the notebooks
            from autograder.delivery.shared_runs import shared_run

            return shared_run(suite, staged, lambda: grade_submission(
                staged, GradeOptions(suite=suite, isolation=_isolation(),
                                     disclose=settings.disclose, lang=settings.lang)).results,
                variant=settings.to_json())
        result = grade_submission(staged, GradeOptions(suite=suite, modules=modules,
                                                       isolation=_isolation(),
                                                       disclose=settings.disclose,
                                                       lang=settings.lang))
        return result.results
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def forget_results() -> None:
    """Drop cached grading runs (tests; a kernel normally never needs this)."""
    _RUNS.clear()
