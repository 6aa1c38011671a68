"""Step 1 of grading: find a submission's module files and stage a private flat copy.

A submission is a directory or a .zip of one, holding any subset of the module files
(``losses.py``, ``optimizers.py``, ...), at its top or in a sub-folder (``assignments/``,
or the folder a zip tool wraps everything in). Staging copies only those files, as
regular files, so nothing else in the submission (a planted ``conftest.py``, a symlink to
the reference solutions, a huge data file) ever reaches the grader or the worker.
"""

from __future__ import annotations

import os
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.course.contract import MODULES

MAX_MODULE_BYTES = 1 * 2**20  # a module file larger than this is not a hand-written exercise
MAX_ZIP_MEMBERS = 5000
MAX_ZIP_BYTES = 64 * 2**20  # zipfile reads the whole central directory into memory
MAX_SEARCH_DEPTH = 4
_IGNORED_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints", "node_modules"}


class StagingError(ValueError):
    """The submission path itself is unusable (missing, not a directory or zip, corrupt zip)."""


@dataclass
class StagedSubmission:
    """A submission ready for grading: its name, where it came from, its staged copy."""

    name: str
    source: Path
    directory: Path
    modules: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def submission_name(source: Path) -> str:
    """The results folder name: the directory name, or the zip's name without .zip."""
    return source.stem if source.suffix.lower() == ".zip" else source.name


def stage(source: Path, destination: Path) -> StagedSubmission:
    """Copy the module files of ``source`` into the empty directory ``destination``.

    Raises StagingError for anything about the path itself that makes it unreadable as a
    submission: missing, a symbolic link (never followed: it could point at the solutions
    or at another student's work), a FIFO or device, a zip that cannot be opened. The
    engine grades such a submission as empty, with the reason as a note.
    """
    source = Path(source)
    kind = _path_kind(source)
    destination.mkdir(parents=True, exist_ok=True)
    if kind == "directory":
        found, notes = _modules_in_directory(source)
        _copy_files(found, destination, notes, source)
    else:
        with _open_regular(source) as handle:
            found, notes = _modules_in_zip(source, handle, destination)
    # The modules not handed in are said by the report, in the course's language.
    return StagedSubmission(submission_name(source), source, destination, sorted(found), notes)


def _path_kind(source: Path) -> str:
    """'directory' or 'file' for a usable submission path; StagingError for anything else.

    The path itself is never followed: a submission that is a link is refused by name.
    """
    try:
        info = os.lstat(source)
    except OSError as error:
        raise StagingError(f"{source}: {error.strerror or error}") from None
    if stat.S_ISLNK(info.st_mode):
        raise StagingError(f"{source}: the submission is a symbolic link, which is never "
                           "followed")
    if stat.S_ISDIR(info.st_mode):
        return "directory"
    if stat.S_ISREG(info.st_mode):
        return "file"
    raise StagingError(f"{source}: not a directory or a .zip file (it is a "
                       f"{_file_type(info.st_mode)})")


def _file_type(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"),
                       (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device")):
        if test(mode):
            return name
    return "special file"


def _open_regular(path: Path | str, dir_fd: int | None = None):
    """A binary file object for a regular file, opened without following a link and
    without blocking (a FIFO swapped in after the check is refused, not waited on)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     dir_fd=dir_fd)
    except OSError as error:
        raise StagingError(f"{path}: cannot be opened ({error.strerror or error})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise StagingError(f"{path}: not a regular file (a {_file_type(info.st_mode)})")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


# ---------------------------------------------------------------------------------------
# Directories
# ---------------------------------------------------------------------------------------


def _modules_in_directory(root: Path) -> tuple[dict[str, tuple[str, int]], list[str]]:
    """module -> (path relative to root, depth), for the shallowest candidates.

    ``os.fwalk`` with ``follow_symlinks=False`` never leaves the tree: linked directories
    are not entered and every file is later opened relative to its directory's fd.
    """
    candidates: dict[str, list[tuple[int, str, str]]] = {}
    for directory, dirnames, filenames, _ in os.fwalk(root, follow_symlinks=False):
        relative = os.path.relpath(directory, root)
        depth = 0 if relative == "." else len(Path(relative).parts)
        dirnames[:] = sorted(d for d in dirnames if d not in _IGNORED_DIRS)
        if depth >= MAX_SEARCH_DEPTH:
            dirnames[:] = []
        for filename in filenames:
            module = _module_of(filename)
            if module:
                path = os.path.normpath(os.path.join(relative, filename))
                candidates.setdefault(module, []).append((depth, path, path))
    return _choose(candidates, "")


def _choose(candidates: dict, root: Path | str) -> tuple[dict, list[str]]:
    """Per module the shallowest candidate; several at the same depth is noted."""
    chosen, notes = {}, []
    for module, options in candidates.items():
        options.sort(key=lambda o: (o[0], o[1]))
        best = options[0]
        ties = [o for o in options if o[0] == best[0]]
        if len(ties) > 1:
            where = ", ".join(_relative(o[1], root) for o in ties)
            notes.append(f"{module}.py found {len(ties)} times ({where}); "
                         f"graded {_relative(best[1], root)}")
        chosen[module] = best[2]
    return chosen, notes


def _copy_files(found: dict[str, str], destination: Path, notes: list[str],
                root: Path | None = None) -> None:
    """Copy each chosen file (a path relative to the submission root) as a regular file."""
    for module, relative in list(found.items()):
        try:
            data = _read_below(root, relative, MAX_MODULE_BYTES)
        except StagingError as error:  # a link, a FIFO, unreadable... (links could point
            notes.append(f"{module}.py: {error}; not graded")  # at the solutions)
            del found[module]
            continue
        if data is None:
            notes.append(f"{module}.py is larger than {MAX_MODULE_BYTES} bytes; not graded")
            del found[module]
        else:
            (destination / f"{module}.py").write_bytes(data)


def _read_below(root: Path | None, relative: str, limit: int) -> bytes | None:
    """The bytes of ``root/relative``, every component opened without following links;
    None when the file is larger than ``limit``."""
    parts = Path(relative).parts
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(root, flags)
    except OSError as error:
        raise StagingError(f"cannot be opened ({error.strerror or error})") from None
    try:
        for part in parts[:-1]:
            try:
                next_fd = os.open(part, flags, dir_fd=fd)
            except OSError:
                raise StagingError("is inside a linked or unreadable folder") from None
            os.close(fd)
            fd = next_fd
        try:
            handle = _open_regular(parts[-1], dir_fd=fd)
        except StagingError:
            raise StagingError("is not a regular file (a link?)") from None
        with handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    return None if len(data) > limit else data


# ---------------------------------------------------------------------------------------
# Zip files
# ---------------------------------------------------------------------------------------

# Anything zipfile may raise on a hostile archive: bad structure, names flagged UTF-8 that
# are not, a "version needed to extract" it does not support, encryption, bad sizes...
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError,
               RuntimeError, ValueError, UnicodeDecodeError, struct.error, OverflowError)


def _modules_in_zip(source: Path, handle, destination: Path) -> tuple[dict[str, Path], list[str]]:
    if os.fstat(handle.fileno()).st_size > MAX_ZIP_BYTES:
        raise StagingError(f"{source.name}: larger than {MAX_ZIP_BYTES // 2**20} MiB, not a "
                           "submission of module files")
    try:
        archive = zipfile.ZipFile(handle)
    except _ZIP_ERRORS as error:
        raise StagingError(f"{source.name}: unreadable zip ({_short_error(error)})") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise StagingError(f"{source.name}: more than {MAX_ZIP_MEMBERS} entries in the zip")
        candidates: dict[str, list] = {}
        for info in members:
            module = _zip_member_module(info)
            if module:
                depth = len(PurePosixPath(info.filename).parts) - 1
                candidates.setdefault(module, []).append((depth, info.filename, info))
        chosen, notes = _choose(candidates, "")
        for module, info in list(chosen.items()):
            if info.file_size > MAX_MODULE_BYTES:
                notes.append(f"{module}.py is larger than {MAX_MODULE_BYTES} bytes; not graded")
                del chosen[module]
                continue
            try:
                with archive.open(info) as member:
                    data = member.read(MAX_MODULE_BYTES + 1)
            except _ZIP_ERRORS as error:  # corrupt, encrypted or exotic members
                notes.append(f"{module}.py could not be read from the zip "
                             f"({_short_error(error)}); not graded")
                del chosen[module]
                continue
            if len(data) > MAX_MODULE_BYTES:  # the declared size lied
                notes.append(f"{module}.py is larger than {MAX_MODULE_BYTES} bytes; not graded")
                del chosen[module]
                continue
            (destination / f"{module}.py").write_bytes(data)
            chosen[module] = destination / f"{module}.py"
    return chosen, notes


def _short_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:150]}"


def _zip_member_module(info: zipfile.ZipInfo) -> str | None:
    path = PurePosixPath(info.filename)
    if info.is_dir() or path.is_absolute() or ".." in path.parts:
        return None
    if any(part in _IGNORED_DIRS for part in path.parts):
        return None
    if stat.S_ISLNK(info.external_attr >> 16):  # a stored symlink is not a module
        return None
    if len(path.parts) > MAX_SEARCH_DEPTH + 1:
        return None
    return _module_of(path.name)


def _module_of(filename: str) -> str | None:
    stem, dot, ext = filename.rpartition(".")
    return stem if dot and ext == "py" and stem in MODULES else None


def _relative(path: str, root: Path | str) -> str:
    return os.path.relpath(path, root) if root else path


def probe(source: Path) -> list[str]:
    """The modules a submission path holds, without copying anything.

    Raises StagingError, and nothing else, for a path that is not a readable submission.
    """
    source = Path(source)
    if _path_kind(source) == "directory":
        return sorted(_modules_in_directory(source)[0])
    with _open_regular(source) as handle:
        try:
            with zipfile.ZipFile(handle) as archive:
                names = {_zip_member_module(info) for info in archive.infolist()}
        except _ZIP_ERRORS as error:
            raise StagingError(f"{source.name}: unreadable zip ({_short_error(error)})"
                               ) from None
    return sorted(name for name in names if name)
