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
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.course.contract import MODULES

MAX_MODULE_BYTES = 1 * 2**20  # a module file larger than this is not a hand-written exercise
MAX_ZIP_MEMBERS = 5000
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
    """Copy the module files of ``source`` into the empty directory ``destination``."""
    source = Path(source)
    if not source.exists():
        raise StagingError(f"{source}: no such file or directory")
    destination.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        found, notes = _modules_in_directory(source)
        _copy_files(found, destination, notes)
    elif zipfile.is_zipfile(source):
        found, notes = _modules_in_zip(source, destination)
    else:
        raise StagingError(f"{source}: not a directory or a .zip file")
    staged = StagedSubmission(submission_name(source), source, destination, sorted(found), notes)
    missing = [m for m in MODULES if m not in found]
    if missing and found:
        staged.notes.append(f"not submitted: {', '.join(m + '.py' for m in missing)}")
    if not found:
        staged.notes.append("no module files found (expected e.g. losses.py, optimizers.py)")
    return staged


# ---------------------------------------------------------------------------------------
# Directories
# ---------------------------------------------------------------------------------------


def _modules_in_directory(root: Path) -> tuple[dict[str, Path], list[str]]:
    candidates: dict[str, list[tuple[int, str, Path]]] = {}
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        depth = len(Path(directory).relative_to(root).parts)
        dirnames[:] = sorted(d for d in dirnames if d not in _IGNORED_DIRS)
        if depth >= MAX_SEARCH_DEPTH:
            dirnames[:] = []
        for filename in filenames:
            module = _module_of(filename)
            if module:
                path = Path(directory) / filename
                candidates.setdefault(module, []).append((depth, str(path), path))
    return _choose(candidates, root)


def _choose(candidates: dict, root: Path | str) -> tuple[dict, list[str]]:
    """Per module the shallowest candidate; several at the same depth is noted."""
    chosen, notes = {}, []
    for module, options in candidates.items():
        options.sort()
        best = options[0]
        ties = [o for o in options if o[0] == best[0]]
        if len(ties) > 1:
            where = ", ".join(_relative(o[1], root) for o in ties)
            notes.append(f"{module}.py found {len(ties)} times ({where}); "
                         f"graded {_relative(best[1], root)}")
        chosen[module] = best[2]
    return chosen, notes


def _copy_files(found: dict[str, Path], destination: Path, notes: list[str]) -> None:
    for module, path in list(found.items()):
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):  # symlinks could point at the solutions
            notes.append(f"{module}.py is not a regular file (a link?); not graded")
            del found[module]
        elif info.st_size > MAX_MODULE_BYTES:
            notes.append(f"{module}.py is larger than {MAX_MODULE_BYTES} bytes; not graded")
            del found[module]
        else:
            (destination / f"{module}.py").write_bytes(path.read_bytes())


# ---------------------------------------------------------------------------------------
# Zip files
# ---------------------------------------------------------------------------------------


def _modules_in_zip(source: Path, destination: Path) -> tuple[dict[str, Path], list[str]]:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise StagingError(f"{source}: unreadable zip ({error})") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise StagingError(f"{source}: more than {MAX_ZIP_MEMBERS} entries in the zip")
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
                data = archive.read(info)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError,
                    RuntimeError) as error:  # corrupt, encrypted or exotic members
                notes.append(f"{module}.py could not be read from the zip ({error}); "
                             "not graded")
                del chosen[module]
                continue
            (destination / f"{module}.py").write_bytes(data)
            chosen[module] = destination / f"{module}.py"
    return chosen, notes


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
    """The modules a submission path holds, without copying anything (raises StagingError)."""
    source = Path(source)
    if not source.exists():
        raise StagingError(f"{source}: no such file or directory")
    if source.is_dir():
        return sorted(_modules_in_directory(source)[0])
    if not zipfile.is_zipfile(source):
        raise StagingError(f"{source}: not a directory or a .zip file")
    try:
        with zipfile.ZipFile(source) as archive:
            names = {_zip_member_module(info) for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError) as error:
        raise StagingError(f"{source}: unreadable zip ({error})") from None
    return sorted(name for name in names if name)
