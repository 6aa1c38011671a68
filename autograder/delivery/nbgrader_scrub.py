"""Scrub a submission before nbgrader copies it (the course config's ``pre_convert_hook``).

Why: ``nbgrader autograde`` copies ``submitted/<student>/<assignment>/`` into
``autograded/`` with ``shutil.copy`` (``Autograde.init_assignment``), which follows
symbolic links, with the instructor's rights, before any preprocessor runs. A link there
hands the student whatever the instructor can read (the reference modules, a classmate's
notebook, ``/dev/zero`` until the disk is full); a FIFO fails the copy. nbgrader calls
``Autograde.pre_convert_hook`` for each submission right before ``init_assignment``
(``BaseConverter.convert_notebooks``) and only logs what the hook raises, so
``scrub_hook`` acts and never raises: whatever it cannot check, it refuses.

What goes, found without following or opening anything that is not a regular file or a
folder (directory fds opened with ``O_NOFOLLOW``, entries read with ``lstat``):

- symbolic links anywhere in the tree (links to folders too), devices, FIFOs, sockets:
  deleted (a link holds only its target's path, which the report records);
- files over ``MAX_FILE_BYTES``, notebooks over ``MAX_NOTEBOOK_BYTES`` or with more than
  ``MAX_NOTEBOOK_CELLS`` cells, folders nested deeper than ``MAX_DEPTH``: moved out of
  ``submitted/`` into ``<course>/scrubbed/<student>/<assignment>/`` (kept, not graded);
- then, of the regular files left, whatever is over the submission's caps: more than
  ``MAX_FILES`` files, or more than ``MAX_TOTAL_BYTES`` bytes in all, moved aside the same
  way. Which files stay is decided deterministically: first the expected files (every file
  of ``<course>/source/<assignment>/``, at its path; without that folder, the
  modules' files and the top-level notebooks), then the others, each group smallest first (ties
  by path), each file kept while both caps still hold. So the largest and the extra files
  go first, and an expected notebook or module goes only if the expected files alone do
  not fit (with the defaults they always do: 7 notebooks at the 32 MiB cap and 8 modules
  at the 8 MiB cap make 288 MiB). Folders are not counted (their depth is capped).

Every removal is a warning in nbgrader's log and a line of
``<course>/scrubbed/<student>/<assignment>/SCRUBBED.txt`` (past ``MAX_REPORTED`` files over
one of the whole submission's caps, one more line counts the rest). A notebook that goes
is taken out of the notebooks nbgrader was about to grade, so nbgrader scores it as not
submitted (0).
If the submission folder itself (or its student folder) is a link, or the scrub fails, no
notebook of it is graded: nbgrader reports that one submission as failed and goes on.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.course.contract import MODULES

MAX_FILE_BYTES = 8 * 2**20       # a module file, a data file (the modules' own cap is 1 MiB)
MAX_NOTEBOOK_BYTES = 32 * 2**20  # a notebook with its figures' outputs
MAX_NOTEBOOK_CELLS = 2000        # the source notebooks have at most a few dozen
MAX_DEPTH = 32
MAX_FILES = 1000                 # files in a whole submission (the source has about 20)
MAX_TOTAL_BYTES = 512 * 2**20    # bytes in a whole submission (the expected files fit)
MAX_REPORTED = 50                # removal lines per cap; the rest in one summary line
SCRUBBED_DIR = "scrubbed"
REPORT_NAME = "SCRUBBED.txt"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


@dataclass
class Scrub:
    """What one scrub did: ``removed`` lines (``path: reason``) and the notebooks it took
    out (their file names)."""

    removed: list[str] = field(default_factory=list)
    notebooks: set[str] = field(default_factory=set)
    refused: str = ""  # why nothing of this submission may be graded, if so


# ---------------------------------------------------------------------------------------
# The hook
# ---------------------------------------------------------------------------------------


def scrub_hook(assignment: str = "", student: str = "", notebooks: list | None = None,
               **_: Any) -> None:
    """``Autograde.pre_convert_hook``: scrub the submission ``notebooks`` belong to.

    Inputs (nbgrader passes them by keyword): ``assignment`` and ``student`` are the
    command line's patterns (``*`` for every student), so the folder is taken from
    ``notebooks``, the absolute paths of the submission's notebooks; that very list is
    what ``init_assignment`` grades next, so removed notebooks are taken out of it in place.
    """
    if not notebooks:
        return
    folder = Path(notebooks[0]).parent
    log = _nbgrader_log()
    try:
        result = scrub_submission(folder)
    except Exception as error:  # noqa: BLE001 - nbgrader would swallow it: refuse instead
        result = Scrub(refused=f"the scrub failed ({type(error).__name__}: {error})")
    if result.refused:
        notebooks.clear()
    else:
        notebooks[:] = [n for n in notebooks if Path(n).name not in result.notebooks]
    lines = result.removed + ([f"NOT GRADED: {result.refused}"] if result.refused else [])
    for line in lines:
        log.warning("Scrubbed %s/%s: %s", folder.parent.name, folder.name, line)
    if lines:
        _write_report(_quarantine(folder), lines, log)


def _nbgrader_log() -> logging.Logger:
    """The running nbgrader application's log (its lines go where nbgrader's go)."""
    from traitlets.config import Application

    if Application.initialized():
        return Application.instance().log
    return logging.getLogger(__name__)


def _quarantine(folder: Path) -> Path:
    """``<course>/scrubbed/<student>/<assignment>`` for ``<course>/submitted/<student>/<a>``."""
    return folder.parent.parent.parent / SCRUBBED_DIR / folder.parent.name / folder.name


def _write_report(quarantine: Path, lines: list[str], log: logging.Logger) -> None:
    try:
        quarantine.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(quarantine / REPORT_NAME, "a", encoding="utf-8") as report:
            report.writelines(line + "\n" for line in lines)
    except OSError as error:
        log.error("Could not write the scrub report in %s: %s", quarantine, error)


# ---------------------------------------------------------------------------------------
# The scrub
# ---------------------------------------------------------------------------------------


def scrub_submission(folder: Path) -> Scrub:
    """Scrub ``folder`` (``<course>/submitted/<student>/<assignment>``) as the module
    docstring says; moved files go to ``_quarantine(folder)``. Returns what was done."""
    result = Scrub()
    with _opened_submission(folder, result) as fd:
        if fd is not None:
            mover = _Mover(_quarantine(folder))
            _scrub_dir(fd, "", 0, mover, result)
            _cap_submission(fd, _expected_files(folder), mover, result)
    return result


@contextlib.contextmanager
def _opened_submission(folder: Path, result: Scrub) -> Iterator[int | None]:
    """An fd of ``folder``, reached from ``submitted/`` (the instructor's folder) without
    following a link on the student's and the assignment's level; a link there is deleted
    and the submission refused (fd None)."""
    parent = os.open(folder.parent.parent, os.O_RDONLY | os.O_DIRECTORY)
    fds = [parent]
    try:
        for name in (folder.parent.name, folder.name):
            try:
                fds.append(os.open(name, _DIR_FLAGS, dir_fd=fds[-1]))
            except OSError as error:
                if error.errno not in (errno.ELOOP, errno.ENOTDIR):
                    raise
                target = _unlink_link(name, fds[-1])
                result.removed.append(f"{name}: {target}, deleted")
                result.refused = f"{name} is not a folder but a link or a file"
                yield None
                return
        yield fds[-1]
    finally:
        for fd in fds:
            os.close(fd)


def _unlink_link(name: str, dir_fd: int) -> str:
    info = os.lstat(name, dir_fd=dir_fd)
    if not stat.S_ISLNK(info.st_mode):
        return "not a folder"
    target = os.readlink(name, dir_fd=dir_fd)
    os.unlink(name, dir_fd=dir_fd)
    return f"a symbolic link to {target}"


class _Mover:
    """Moves entries out of the submission into the quarantine folder (a rename: never
    opened, never followed); deletes them when a rename is impossible."""

    def __init__(self, quarantine: Path) -> None:
        self.quarantine = quarantine

    def move(self, name: str, dir_fd: int, relative: str) -> str:
        destination = self.quarantine / relative
        try:
            destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if destination.exists() or destination.is_symlink():
                destination = destination.with_name(destination.name + f".{os.getpid()}")
            os.rename(name, destination, src_dir_fd=dir_fd)
            return f"moved to {destination}"
        except OSError:
            _remove(name, dir_fd)
            return "deleted (it could not be moved)"


def _remove(name: str, dir_fd: int) -> None:
    """Delete a file or a whole folder below ``dir_fd`` without following links."""
    info = os.lstat(name, dir_fd=dir_fd)
    if not stat.S_ISDIR(info.st_mode):
        os.unlink(name, dir_fd=dir_fd)
        return
    fd = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    try:
        for entry in list(os.scandir(fd)):
            _remove(entry.name, fd)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=dir_fd)


def _scrub_dir(fd: int, prefix: str, depth: int, mover: _Mover, result: Scrub) -> None:
    for entry in list(os.scandir(fd)):
        relative = prefix + entry.name
        info = entry.stat(follow_symlinks=False)
        verdict = _verdict(entry.name, fd, info, top_level=not prefix)
        if verdict is None and stat.S_ISDIR(info.st_mode):
            if depth + 1 < MAX_DEPTH:
                child = os.open(entry.name, _DIR_FLAGS, dir_fd=fd)
                try:
                    _scrub_dir(child, relative + "/", depth + 1, mover, result)
                finally:
                    os.close(child)
                continue
            verdict = f"a folder nested deeper than {MAX_DEPTH} levels", "move"
        if verdict is None:
            continue
        reason, how = verdict
        if how == "move":
            done = mover.move(entry.name, fd, relative)
        else:
            _remove(entry.name, fd)
            done = "deleted"
        result.removed.append(f"{relative}: {reason}, {done}")
        if not prefix and entry.name.endswith(".ipynb"):
            result.notebooks.add(entry.name)


def _verdict(name: str, dir_fd: int, info: os.stat_result, top_level: bool
            ) -> tuple[str, str] | None:
    """(why, "delete" or "move") for an entry that must go, None for one that stays."""
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        return f"a symbolic link to {os.readlink(name, dir_fd=dir_fd)}", "delete"
    if stat.S_ISDIR(mode):
        return None
    if not stat.S_ISREG(mode):
        return f"a {_special_kind(mode)}, never opened", "delete"
    notebook = top_level and name.endswith(".ipynb")
    cap = MAX_NOTEBOOK_BYTES if notebook else MAX_FILE_BYTES
    if info.st_size > cap:
        return f"{info.st_size:,} bytes, over the cap of {cap:,}", "move"
    if notebook:
        cells = _cell_count(name, dir_fd)
        if cells > MAX_NOTEBOOK_CELLS:
            return f"{cells:,} cells, over the cap of {MAX_NOTEBOOK_CELLS:,}", "move"
    return None


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "special file"


def _cell_count(name: str, dir_fd: int) -> int:
    """The number of cells of a notebook file (0 for anything that is not notebook JSON:
    nbgrader reports that one itself)."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return 0
        data = handle.read(MAX_NOTEBOOK_BYTES + 1)
    try:
        notebook = json.loads(data)
    except (ValueError, RecursionError):
        return 0
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    return len(cells) if isinstance(cells, list) else 0



# ---------------------------------------------------------------------------------------
# The whole submission's caps (after the scrub: only regular files and folders are left)
# ---------------------------------------------------------------------------------------


def _expected_files(folder: Path) -> set[str]:
    """The paths (relative, ``/``-separated) a submission is expected to hold: the files of
    ``<course>/source/<assignment>/`` (the instructor's), else the modules' files and the
    submission's top-level notebooks."""
    source = folder.parent.parent.parent / "source" / folder.name
    if source.is_dir() and not source.is_symlink():
        return {path.relative_to(source).as_posix() for path in source.rglob("*")
                if path.is_file() and not path.is_symlink()}
    notebooks = {entry.name for entry in os.scandir(folder)
                 if entry.name.endswith(".ipynb") and entry.is_file(follow_symlinks=False)}
    return {f"{module}.py" for module in MODULES} | notebooks


def _regular_files(fd: int, prefix: str = "") -> Iterator[tuple[str, int]]:
    """(relative path, size) of every regular file below ``fd``, links never followed."""
    for entry in list(os.scandir(fd)):
        info = entry.stat(follow_symlinks=False)
        if stat.S_ISREG(info.st_mode):
            yield prefix + entry.name, info.st_size
        elif stat.S_ISDIR(info.st_mode):
            child = os.open(entry.name, _DIR_FLAGS, dir_fd=fd)
            try:
                yield from _regular_files(child, prefix + entry.name + "/")
            finally:
                os.close(child)


def over_caps(files: list[tuple[str, int]], expected: set[str]
              ) -> list[tuple[str, str, str]]:
    """(path, cap, why) of the files that go for the submission to hold at most ``MAX_FILES``
    files and ``MAX_TOTAL_BYTES`` bytes: expected files first, then the others, each group
    smallest first (ties by path); a file stays while both caps still hold. ``cap`` is
    ``"files"`` or ``"bytes"``."""
    order = sorted(files, key=lambda file: (file[0] not in expected, file[1], file[0]))
    count = total = 0
    going = []
    for path, size in order:
        if count >= MAX_FILES:
            going.append((path, "files", f"over the submission's cap of {MAX_FILES:,} files"))
        elif total + size > MAX_TOTAL_BYTES:
            going.append((path, "bytes", f"{size:,} bytes, over the submission's total cap "
                                         f"of {MAX_TOTAL_BYTES:,} bytes"))
        else:
            count, total = count + 1, total + size
    return going


def _cap_submission(fd: int, expected: set[str], mover: _Mover, result: Scrub) -> None:
    """Move aside what ``over_caps`` names; at most ``MAX_REPORTED`` lines per cap, then
    one line for the rest."""
    going = over_caps(list(_regular_files(fd)), expected)
    reported: dict[str, int] = {}
    unreported: dict[str, list[str]] = {}
    for directory, names in _by_folder(going).items():
        parent = _open_folder(fd, directory)
        try:
            for name, cap, why in names:
                relative = f"{directory}/{name}" if directory else name
                done = mover.move(name, parent, relative)
                if reported.get(cap, 0) < MAX_REPORTED:
                    reported[cap] = reported.get(cap, 0) + 1
                    result.removed.append(f"{relative}: {why}, {done}")
                else:
                    unreported.setdefault(cap, []).append(done)
                if not directory and name.endswith(".ipynb"):
                    result.notebooks.add(name)
        finally:
            if parent != fd:
                os.close(parent)
    for cap, done in unreported.items():
        moved = sum(1 for line in done if line.startswith("moved"))
        limit = f"{MAX_FILES:,} files" if cap == "files" else f"{MAX_TOTAL_BYTES:,} bytes"
        result.removed.append(f"... and {len(done):,} more files over the submission's cap of "
                              f"{limit}: {moved:,} moved to {mover.quarantine}, "
                              f"{len(done) - moved:,} deleted")


def _by_folder(going: list[tuple[str, str, str]]
               ) -> dict[str, list[tuple[str, str, str]]]:
    """``going`` grouped by folder (``""`` for the top level), in sorted order."""
    groups: dict[str, list[tuple[str, str, str]]] = {}
    for path, cap, why in sorted(going):
        directory, _, name = path.rpartition("/")
        groups.setdefault(directory, []).append((name, cap, why))
    return groups


def _open_folder(fd: int, directory: str) -> int:
    """An fd of ``directory`` below ``fd`` (``fd`` itself for ``""``), links never followed."""
    if not directory:
        return fd
    current = fd
    try:
        for part in directory.split("/"):
            following = os.open(part, _DIR_FLAGS, dir_fd=current)
            if current != fd:
                os.close(current)
            current = following
    except OSError:
        if current != fd:
            os.close(current)
        raise
    return current
