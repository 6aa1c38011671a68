"""A session's private scratch tree (the submission's copy, the grader files added to it and
the worker script) and the dedicated uid its worker runs as."""

from __future__ import annotations

import itertools
import os
import pwd
import random
import shutil
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from autograder.sandbox.paths import SANDBOX_CWD, WORKER_FILES, WORKER_SOURCE

LEVELS = ("bwrap", "user", "none")
# A submission is a handful of .py files; these caps only stop a hostile upload.
COPY_MAX_BYTES = 64 * 2**20
COPY_MAX_ENTRIES = 2000
COPY_SKIP = ("__pycache__", ".git")


@dataclass
class Scratch:
    """A session's private directory tree and the identity its worker runs as."""

    base: Path
    cwd: Path
    worker_dir: Path
    level: str
    uid: int | None = None
    gid: int | None = None
    claim: Path | None = None
    marker: str = ""
    warnings: list[str] = field(default_factory=list)
    # The worker profile's additions (autograder/sandbox/profiles.py): site-packages entries
    # bound back into the bwrap view besides numpy, and variables added to its environment.
    packages: tuple[Path, ...] = ()
    env: dict[str, str] = field(default_factory=dict)

    @property
    def visible_cwd(self) -> str:
        """The working directory as the worker sees it."""
        return SANDBOX_CWD if self.level == "bwrap" else str(self.cwd)


# ----- dedicated uids ------------------------------------------------------------------
def uid_pool() -> tuple[int, int]:
    """A range of uids that no account uses, inside this (container's) uid mapping."""
    try:
        lines = Path("/proc/self/uid_map").read_text().split()
        start, count = int(lines[0]), int(lines[2])
    except (OSError, ValueError, IndexError):
        start, count = 0, 2**32 - 1
    end = start + count - 1
    if end >= 1_600_000_000 and start <= 1_500_000_000:
        return 1_500_000_000, 1_600_000_000
    return max(start, end - 20_000), end - 2  # the top of a small map (skip 65534/-1)


def claim_dir() -> Path:
    """Root-only directory of claim files, so two sessions never share a uid."""
    path = Path(tempfile.gettempdir()) / "dltips-uids"
    path.mkdir(mode=0o700, exist_ok=True)
    if path.lstat().st_uid != os.geteuid() or path.is_symlink():
        raise RuntimeError(f"{path} is not ours; refusing to use it for uid claims")
    return path


def allocate_uid() -> tuple[int, Path]:
    """A fresh uid (and gid of the same number) for one session, with its claim file."""
    low, high = uid_pool()
    for _ in range(100):
        uid = random.randrange(low, high)
        if uid in (65534, 65535) or _has_account(uid):
            continue
        claim = claim_dir() / str(uid)
        try:
            os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            continue
        return uid, claim
    raise RuntimeError("could not allocate a free uid for the worker")


def _has_account(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


# ----- scratch directories -------------------------------------------------------------
def make_scratch(submission: Path, level: str, lease: Any = None) -> Scratch:
    """A private copy of ``submission`` plus the worker script, owned by the worker's uid.

    With a ``lease`` (see ``sandbox.lease``) the tree lives in the lease's directory and
    the marker and uid are the lease's: whoever holds the lease cleans up, even if this
    process dies. Without one, the scratch claims its own uid (released by
    ``release_scratch``).
    """
    if level not in LEVELS:
        raise ValueError(f"unknown isolation level {level!r}")
    parent = None if lease is None else str(lease.directory)
    base = Path(tempfile.mkdtemp(prefix="dltips-session-", dir=parent))
    marker = os.urandom(12).hex() if lease is None else lease.marker
    scratch = Scratch(base=base, cwd=base / "submission", worker_dir=base / "worker",
                      level=level, marker=marker)
    try:
        if os.geteuid() == 0 and level in ("bwrap", "user"):
            if lease is not None and lease.uid is not None:
                scratch.uid, scratch.gid = lease.uid, lease.gid
            else:
                scratch.uid, scratch.claim = allocate_uid()
                scratch.gid = scratch.uid
        # 0711: the worker's uid may pass through to its own directory, never list ours.
        os.chmod(base, 0o711)
        install_worker_files(scratch.worker_dir)
        scratch.warnings = copy_submission(Path(submission), scratch.cwd)
        if scratch.uid is not None:
            chown_tree(scratch.cwd, scratch.uid, scratch.gid)
    except BaseException:
        release_scratch(scratch)
        raise
    return scratch


def install_worker_files(target: Path) -> None:
    """Copy server.py and protocol.py into a directory the worker can read, not change."""
    target.mkdir(mode=0o755)
    os.chmod(target, 0o755)
    for name in WORKER_FILES:
        shutil.copyfile(WORKER_SOURCE / name, target / name)
        os.chmod(target / name, 0o644)


def copy_submission(source: Path, target: Path) -> list[str]:
    """Copy regular files and directories only (no symlinks, no bytecode); returns warnings."""
    if source.is_symlink() or not source.is_dir():
        raise NotADirectoryError(f"submission {source} is not a directory (links are never "
                                 "followed)")
    budget = {"bytes": COPY_MAX_BYTES, "entries": COPY_MAX_ENTRIES}
    warnings: list[str] = []
    target.mkdir(mode=0o700)
    _copy_dir(source, target, budget, warnings, depth=0)
    return warnings


def _copy_dir(source: Path, target: Path, budget: dict[str, int], warnings: list[str],
              depth: int) -> None:
    with os.scandir(source) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name in COPY_SKIP or entry.name.endswith(".pyc"):
                continue
            budget["entries"] -= 1
            if budget["entries"] < 0 or depth > 8:
                warnings.append(f"skipped {entry.name}: the submission has too many files")
                continue
            if entry.is_symlink():
                warnings.append(f"skipped {entry.name}: symbolic links are not copied")
            elif entry.is_dir(follow_symlinks=False):
                (target / entry.name).mkdir(mode=0o700)
                _copy_dir(Path(entry.path), target / entry.name, budget, warnings, depth + 1)
            elif entry.is_file(follow_symlinks=False):
                _copy_file(Path(entry.path), target / entry.name, budget, warnings)


def _copy_file(source: Path, target: Path, budget: dict[str, int], warnings: list[str]) -> None:
    size = source.lstat().st_size
    if size > budget["bytes"]:
        warnings.append(f"skipped {source.name}: the submission is larger than "
                        f"{COPY_MAX_BYTES // 2**20} MiB")
        return
    budget["bytes"] -= size
    fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as src, open(target, "xb") as dst:
        shutil.copyfileobj(src, dst)
    os.chmod(target, 0o600)


def chown_tree(root: Path, uid: int, gid: int | None) -> None:
    """Give the copy to the worker's uid (it contains only what we created)."""
    gid = uid if gid is None else gid
    os.chown(root, uid, gid)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)


def add_grader_files(scratch: Scratch, files: Mapping[str, bytes]) -> None:
    """Write grader data into the fresh copy (no student code has run: no links to fear)."""
    for name, data in files.items():
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"extra file names must be relative paths inside the copy: {name!r}")
        target = scratch.cwd.joinpath(*relative.parts)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        target.write_bytes(bytes(data))
        os.chmod(target, 0o600)
    if files and scratch.uid is not None:
        chown_tree(scratch.cwd, scratch.uid, scratch.gid)


def release_scratch(scratch: Scratch) -> None:
    """Delete the scratch tree and free the uid claim (call after the worker is dead)."""
    _rmtree(scratch.base)
    if scratch.claim is not None:
        scratch.claim.unlink(missing_ok=True)
        scratch.claim = None


def _rmtree(path: Path) -> None:
    remove_tree(path)


def remove_tree(path: str | Path) -> None:
    """Delete ``path`` and everything below it, whatever student code made of it.

    Not ``shutil.rmtree``, which recurses once per level (a 1500-deep chain of folders
    raises RecursionError) and builds paths that outgrow PATH_MAX. Here every directory is
    emptied into the top one, by renames relative to open directory descriptors: at most
    two descriptors are open, no path is longer than two names, links are never followed
    (a link is removed, not its target) and permissions a student removed are restored
    (``fchmod`` on our own descriptor). Call it once no process can still write there.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):
        os.unlink(path)
        return
    top = os.open(path, _DIR_FLAGS)
    try:
        os.fchmod(top, 0o700)
        _empty_into(top)
    finally:
        os.close(top)
    os.rmdir(path)


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _empty_into(top: int) -> None:
    """Remove everything in the directory ``top``, flattening sub-directories into it."""
    spare = itertools.count()
    while True:
        with os.scandir(top) as entries:
            names = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
        if not names:
            return
        for name, is_dir in names:
            if not is_dir:
                os.unlink(name, dir_fd=top)
                continue
            child = os.open(name, _DIR_FLAGS, dir_fd=top)
            try:
                os.fchmod(child, 0o700)
                with os.scandir(child) as entries:
                    inner = [e.name for e in entries]
                for item in inner:  # up one level, under a name not used in top
                    while True:
                        target = f".dltips-rm-{next(spare)}"
                        try:
                            os.stat(target, dir_fd=top, follow_symlinks=False)
                        except FileNotFoundError:
                            break
                    os.rename(item, target, src_dir_fd=child, dst_dir_fd=top)
            finally:
                os.close(child)
            os.rmdir(name, dir_fd=top)

