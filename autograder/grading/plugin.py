"""The pytest plugin that turns a suite run into graded results.

Loaded by ``autograder.grading.runner`` with ``-p autograder.grading.plugin``. It
- registers the suite markers (``module``, ``points``, ``functions``);
- provides the fixtures ``student`` (a proxy into the sandboxed worker of the module's
  profile), ``reference`` (the trusted solution module), ``keras_refs`` (the cached Keras
  outputs); a suite's module-level ``worker_files()`` is the grader data put into its
  worker's copy;
- records one result per test (points, outcome, message, the kind of student failure) and
  writes them as JSON when the session ends.

Everything here runs on the trusted side; student code only ever runs in the worker.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.course.contract import COURSE_DIR
from autograder.grading.limits import (
    CALL_TIMEOUT,
    MEMORY_MB,
    WALL_CAP,
    profile_for,
    profile_session,
    start_session,
)
from autograder.grading.results import progress_path
from autograder.grading.testing import ModuleProxy, StudentCallFailed
from autograder.sandbox.profiles import DEFAULT, WorkerProfile
from autograder.sandbox.session import StudentSession

KERAS_REFS = COURSE_DIR / "references" / "keras_refs.npz"
MESSAGE_LIMIT = 2000

_MARKERS = (
    "module(name): the student module a suite file grades",
    "points(n): points a test is worth",
    "functions(*names): the contract functions a test exercises",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dltips")
    group.addoption("--dltips-submission", help="staged submission directory")
    group.addoption("--dltips-results", help="where to write the per-test results JSON")
    group.addoption("--dltips-isolation", default="auto")
    group.addoption("--dltips-call-timeout", type=float, default=CALL_TIMEOUT)
    group.addoption("--dltips-wall-cap", type=float, default=WALL_CAP)
    group.addoption("--dltips-memory-mb", type=int, default=MEMORY_MB)


def pytest_configure(config: pytest.Config) -> None:
    for line in _MARKERS:
        config.addinivalue_line("markers", line)
    config.stash[_RECORDS] = []


_RECORDS = pytest.StashKey[list]()
_SESSION = pytest.StashKey[StudentSession]()
_PROFILE_SESSIONS = pytest.StashKey[dict]()


# ---------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------


# Set by ``autograder.grading.runner`` before pytest is even imported, so that the worker boots
# while pytest loads and collects; None when the suite is run by plain pytest.
PRESTARTED: StudentSession | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    submission = config.getoption("--dltips-submission")
    if not submission:
        return
    started = PRESTARTED or start_session(
        submission,
        isolation=config.getoption("--dltips-isolation"),
        call_timeout=config.getoption("--dltips-call-timeout"),
        wall_cap=config.getoption("--dltips-wall-cap"),
        memory_mb=config.getoption("--dltips-memory-mb"),
    )
    config.stash[_SESSION] = started
    _log_progress(config, {"isolation": started.isolation_level,
                           "isolation_note": started.isolation_note,
                           "isolation_program": started.isolation_program})
    config.stash[_PROFILE_SESSIONS] = {}


@pytest.fixture(scope="session")
def _student_session(pytestconfig: pytest.Config) -> Iterator[StudentSession]:
    session = pytestconfig.stash.get(_SESSION, None)
    if session is None:
        raise pytest.UsageError("--dltips-submission is required to run a grading suite")
    try:
        yield session
    finally:
        session.close()


def pytest_unconfigure(config: pytest.Config) -> None:
    for session in _all_sessions(config):  # e.g. a collection error: never used
        session.close()


def _all_sessions(config: pytest.Config) -> list[StudentSession]:
    default = config.stash.get(_SESSION, None)
    others = list(config.stash.get(_PROFILE_SESSIONS, {}).values())
    return ([default] if default is not None else []) + others


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests of modules with their own worker profile run last (stable otherwise): their
    worker boots while the numpy suites run (the report orders results by the contract)."""
    items.sort(key=lambda item: _module_profile(item) is not DEFAULT)


def _module_name(item: pytest.Item) -> str:
    marker = item.get_closest_marker("module")
    return str(marker.args[0]) if marker is not None and marker.args else ""


def _module_profile(item: pytest.Item) -> WorkerProfile:
    module = _module_name(item)
    return profile_for(module) if module else DEFAULT


def _prestart_profile_workers(session: pytest.Session) -> None:
    """Start the worker of each heavier profile now, before any test (so before any
    student code runs in this run), so that its boot (TensorFlow's import, seconds)
    overlaps the numpy suites, whose tests run first.

    Only for a module the submission hands in as a file (a missing one starts no worker).
    Its suite's grader files (``_worker_files``) are written into the worker's copy
    before the worker exists, as always; nothing is ever
    written into a copy whose worker runs (at the user level, another process of the
    student's uid could learn that copy's path from /proc and plant links in it). The
    suite's ``warm_up()``, if any, then loads the trusted side's data meanwhile.
    """
    config = session.config
    if config.stash.get(_SESSION, None) is None:
        return
    submission = Path(config.getoption("--dltips-submission"))
    started: set[str] = set()
    for item in session.items:
        module, profile = _module_name(item), _module_profile(item)
        suite = getattr(item, "module", None)
        if (profile is DEFAULT or module in started
                or not (submission / f"{module}.py").is_file()):
            continue
        started.add(module)
        try:
            _profile_session(config, profile, _worker_files(suite)).prestart()
        except Exception:  # noqa: BLE001 - the first test that needs it reports it
            continue
        warm_up = getattr(suite, "warm_up", None)
        if warm_up is not None:
            warm_up()


def _profile_session(config: pytest.Config, profile: WorkerProfile,
                     files: Mapping[str, bytes]) -> StudentSession:
    """The session of a non-default profile, made once with the profile's limits and the
    suite's grader files (written into its copy before any worker of it starts); its
    worker starts when a request needs it (never for a missing module), unless
    ``_prestart_profile_workers`` started it already."""
    sessions = config.stash[_PROFILE_SESSIONS]
    if profile.name not in sessions:
        sessions[profile.name] = profile_session(
            config.getoption("--dltips-submission"), profile,
            isolation=config.getoption("--dltips-isolation"),
            call_timeout=config.getoption("--dltips-call-timeout"),
            wall_cap=config.getoption("--dltips-wall-cap"),
            memory_mb=config.getoption("--dltips-memory-mb"), files=dict(files),
            # the engine's lease: its sweep also ends this worker if the runner dies
            lease=getattr(config.stash[_SESSION], "lease", None))
    return sessions[profile.name]


def _module_of(request: pytest.FixtureRequest) -> str:
    marker = request.node.get_closest_marker("module")
    if marker is None or not marker.args:
        raise pytest.UsageError(f"{request.node.nodeid}: suite file lacks pytest.mark.module")
    return str(marker.args[0])


@pytest.fixture
def student(request: pytest.FixtureRequest, _student_session: StudentSession) -> ModuleProxy:
    """The submission's module graded by this suite file, behind the worker boundary.

    Modules of the default profile share the prestarted worker; a module with its own
    profile (autograder/sandbox/profiles.py) gets a worker of that profile, started on first use.
    """
    module = _module_of(request)
    profile = profile_for(module)
    if profile is DEFAULT:
        return ModuleProxy(_student_session, module)
    return ModuleProxy(_profile_session(request.config, profile,
                                        _worker_files(request.module)), module)


def _worker_files(suite: Any) -> dict[str, bytes]:
    """The grader files a suite puts into its worker's copy before the worker starts:
    relative path -> bytes, from the suite module's ``worker_files()`` (cached there, one
    value per run, so its tests compare with the same bytes), else none."""
    worker_files = getattr(suite, "worker_files", None)
    return dict(worker_files()) if worker_files is not None else {}


@pytest.fixture
def reference(request: pytest.FixtureRequest) -> Any:
    """The trusted reference solution of this suite's module (hidden suites only)."""
    return importlib.import_module(f"solutions.{_module_of(request)}")


class _NpzRefs(Mapping):
    """Read-only, lazily loaded view of the cached Keras outputs (never unpickles)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._data: dict[str, np.ndarray] | None = None

    def _load(self) -> dict[str, np.ndarray]:
        if self._data is None:
            with np.load(self._path, allow_pickle=False) as npz:
                self._data = {key: npz[key] for key in npz.files}
        return self._data

    def __getitem__(self, key: str) -> np.ndarray:
        try:
            return self._load()[key].copy()
        except KeyError:
            raise KeyError(f"no cached Keras reference {key!r} in {self._path.name}; "
                           "run `dltips references` to regenerate") from None

    def __iter__(self):
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


_KERAS_REFS = _NpzRefs(KERAS_REFS)


@pytest.fixture(scope="session")
def keras_refs() -> Mapping[str, np.ndarray]:
    """Keras/scikit-learn outputs for the named reference cases (hidden suites only)."""
    return _KERAS_REFS


# ---------------------------------------------------------------------------------------
# Recording results
# ---------------------------------------------------------------------------------------


def _log_progress(config: pytest.Config, entry: dict) -> None:
    path = config.getoption("--dltips-results")
    if path:
        with progress_path(path).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")


def pytest_collection_finish(session: pytest.Session) -> None:
    _log_progress(session.config, {"planned": [_describe(item) for item in session.items]})
    _prestart_profile_workers(session)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or (report.when == "setup" and not report.passed):
        record = _record(item, call, report)
        item.config.stash[_RECORDS].append(record)
        _log_progress(item.config, {"record": record})


def _describe(item: pytest.Item) -> dict[str, Any]:
    """What a record says about a test before it runs: its id, title, module, points, and
    the suite it belongs to (its folder: ``hidden`` or ``public``), which the report needs
    to find the title's translation (``messages.test_title``)."""
    module_marker = item.get_closest_marker("module")
    points_marker = item.get_closest_marker("points")
    functions_marker = item.get_closest_marker("functions")
    return {
        "nodeid": item.nodeid,
        "suite": item.path.parent.name,
        "name": item.name,
        "doc": _doc_summary(item),
        "module": str(module_marker.args[0]) if module_marker else "",
        "functions": list(functions_marker.args) if functions_marker else [],
        "points": float(points_marker.args[0]) if points_marker else 0.0,
    }


def _record(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> dict:
    return {
        **_describe(item),
        "passed": bool(report.passed),
        "kind": "passed" if report.passed else _failure_kind(call, report),
        "message": "" if report.passed else _failure_message(call, report),
        "mistake": None if report.passed else _matched_mistake(call),
        "duration": round(report.duration, 4),
        "notes": _new_retry_notes(item.config),
    }


_NOTES_SEEN = pytest.StashKey[dict]()


def _new_retry_notes(config: pytest.Config) -> list[dict]:
    """The calls retried after an outside signal since the previous record (tests run one
    at a time, so they belong to this test; see StudentSession.retries), as data: the
    report words them in the feedback's language (``report.note_text``)."""
    seen = config.stash.setdefault(_NOTES_SEEN, {})
    notes = []
    for session in _all_sessions(config):
        notes += [{"key": "retried", **retry}
                  for retry in session.retries[seen.get(id(session), 0):]]
        seen[id(session)] = len(session.retries)
    return notes


def _matched_mistake(call: pytest.CallInfo) -> str | None:
    """The id of the catalogued mistake a wrong answer matched (``check_close`` names it),
    else None: the report names it to the student, the class report counts it."""
    mistake = getattr(call.excinfo.value, "mistake", None) if call.excinfo else None
    return mistake if isinstance(mistake, str) else None


def _doc_summary(item: pytest.Item) -> str:
    """The test docstring's first paragraph, on one line: what the feedback says it checks."""
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    paragraph = doc.strip().split("\n\n")[0]
    return " ".join(paragraph.split())


def _failure_kind(call: pytest.CallInfo, report: pytest.TestReport) -> str:
    error = call.excinfo.value if call.excinfo else None
    if isinstance(error, StudentCallFailed):
        return error.kind
    if isinstance(error, AssertionError):
        return "wrong_answer"
    if report.when == "setup":
        return "grader_error"
    return "grader_error" if error is not None and not _student_facing(error) else "wrong_answer"


def _student_facing(error: BaseException) -> bool:
    return isinstance(error, (AssertionError, pytest.fail.Exception))


def _failure_message(call: pytest.CallInfo, report: pytest.TestReport) -> str:
    error = call.excinfo.value if call.excinfo else None
    if isinstance(error, (AssertionError, pytest.fail.Exception)) and str(error):
        text = str(error)
    else:
        text = report.longreprtext or repr(error)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.getoption("--dltips-results")
    if not path:
        return
    student_session = session.config.stash.get(_SESSION, None)
    tails = [s.output_tail() for s in _all_sessions(session.config)]
    payload = {
        "tests": session.config.stash[_RECORDS],
        "exitstatus": int(exitstatus),
        "isolation": getattr(student_session, "isolation_level", None),
        "isolation_note": getattr(student_session, "isolation_note", ""),
        "isolation_program": getattr(student_session, "isolation_program", ""),
        "output_tail": "\n".join(tail for tail in tails if tail),
        "finished": time.time(),
    }
    Path(path).write_text(json.dumps(payload, indent=1), encoding="utf-8")
