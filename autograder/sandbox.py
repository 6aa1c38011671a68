"""Isolation levels for the student-code worker, and the command lines that start it.

Three levels, strongest first (see SECURITY.md for what each guarantees):

``bwrap``  bubblewrap: a private mount namespace holding only the Python installation,
           numpy (the rest of site-packages is masked), the worker script and the
           submission's private copy (the one writable place); new PID, IPC, UTS and network
           namespaces, ``--die-with-parent``, a fresh /tmp. When the grader runs as root the
           worker also drops to a dedicated unprivileged uid inside the sandbox.
``user``   no namespaces, but the worker runs as a dedicated, unprivileged uid allocated for
           this session (only possible as root), and the grader's private directories are
           made unreadable to other users.
``none``   a plain child process with limits; a one-line warning says so.

``auto`` picks the strongest level that works here (probed once per process).
Command line: ``python -m autograder.sandbox probe`` prints what would be used, and
``python -m autograder.sandbox grant-traverse`` adds the search bit the ``user`` level needs
on directories above the Python installation (for example ``/root`` under pyenv).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import pwd
import random
import shutil
import signal
import site
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy

LEVELS = ("bwrap", "user", "none")
REQUESTS = ("auto", *LEVELS)
PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
WORKER_SOURCE = PACKAGE_DIR / "worker"
# keras_bridge.py is loaded only by workers started with --bridge keras (profiles.py).
WORKER_FILES = ("server.py", "protocol.py", "keras_bridge.py")
# The grader's secrets: never visible inside bwrap, chmod go-rwx for the user level.
# Besides the solutions, hidden suites and Keras cache: the project's tests (they hold a
# second complete implementation), the sample catalogue (snippets of the solutions) and
# the mistake models (they name what the tests look for).
PRIVATE_DIRS = (REPO_ROOT / "solutions", PACKAGE_DIR / "suites" / "hidden",
                PACKAGE_DIR / "references", REPO_ROOT / "tests", PACKAGE_DIR / "samples",
                PACKAGE_DIR / "mistakes.py")
SANDBOX_CWD = "/submission"
SANDBOX_WORKER = "/opt/dltips-worker"
PROBE_OK = "dltips-worker-probe-ok"
MARKER_VAR = "DLTIPS_WORKER_MARKER"
PASSTHROUGH_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
PROBE_TIMEOUT = 60.0
PROBE_TTL = 3600.0
# A submission is a handful of .py files; these caps only stop a hostile upload.
COPY_MAX_BYTES = 64 * 2**20
COPY_MAX_ENTRIES = 2000
COPY_SKIP = ("__pycache__", ".git")


class IsolationUnavailable(RuntimeError):
    """An explicitly requested isolation level cannot work on this machine."""


@dataclass(frozen=True)
class Isolation:
    """The level in force and a sentence saying which (and why, when degraded)."""

    level: str
    note: str


@dataclass(frozen=True)
class Limits:
    """Per-worker resource limits, applied by the worker to itself before any student code."""

    memory: int = 1536 * 2**20
    fsize: int = 64 * 2**20
    nproc: int | None = None
    cpu: int | None = None
    nofile: int = 256
    tmpfs: int = 64 * 2**20

    def server_args(self) -> list[str]:
        """The ``--limit-*`` options for server.py."""
        args = ["--limit-as", str(self.memory), "--limit-core", "0",
                "--limit-fsize", str(self.fsize), "--limit-nofile", str(self.nofile)]
        if self.nproc is not None:
            args += ["--limit-nproc", str(self.nproc)]
        if self.cpu is not None:
            args += ["--limit-cpu", str(self.cpu)]
        return args


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
    # The worker profile's additions (autograder/profiles.py): site-packages entries bound
    # back into the bwrap view besides numpy, and variables added to the worker environment.
    packages: tuple[Path, ...] = ()
    env: dict[str, str] = field(default_factory=dict)

    @property
    def visible_cwd(self) -> str:
        """The working directory as the worker sees it."""
        return SANDBOX_CWD if self.level == "bwrap" else str(self.cwd)


@dataclass
class Launch:
    """Everything ``subprocess.Popen`` needs to start one worker."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    user: int | None = None
    group: int | None = None


# ----- choosing a level ----------------------------------------------------------------
def resolve_isolation(requested: str = "auto") -> Isolation:
    """The level to use for ``requested``; raises IsolationUnavailable for an impossible one."""
    if requested not in REQUESTS:
        raise ValueError(f"isolation must be one of {', '.join(REQUESTS)}, not {requested!r}")
    if requested == "none":
        return Isolation("none", NONE_NOTE.format(why="requested explicitly"))
    bwrap_ok, bwrap_why = (False, "not requested") if requested == "user" else bwrap_status()
    if bwrap_ok:
        return Isolation("bwrap", bwrap_note())
    if requested == "bwrap":
        raise IsolationUnavailable(f"isolation 'bwrap' was requested but cannot work here: "
                                   f"{bwrap_why}")
    user_ok, user_why = user_status()
    if user_ok:
        extra = "" if requested == "user" else f" (bwrap unavailable: {bwrap_why})"
        return Isolation("user", USER_NOTE + extra)
    if requested == "user":
        raise IsolationUnavailable(f"isolation 'user' was requested but cannot work here: "
                                   f"{user_why}")
    return Isolation("none", NONE_NOTE.format(
        why=f"bwrap unavailable: {bwrap_why}; user level unavailable: {user_why}"))


NONE_NOTE = ("WARNING: isolation level 'none' ({why}): student code runs as a plain child "
             "process with your own permissions; it can read your files and use the network.")
USER_NOTE = ("Isolation level 'user': the worker runs as a dedicated unprivileged uid with "
             "the grader's private directories made unreadable to it, but it shares the "
             "network and can read world-readable files.")


def bwrap_note() -> str:
    """The sentence for the bwrap level (mentions the uid drop when we are root)."""
    drop = " as a dedicated unprivileged uid" if os.geteuid() == 0 else ""
    return ("Isolation level 'bwrap': the worker runs in a bubblewrap sandbox" + drop +
            " with no network, its own PID namespace, a read-only view of only Python and "
            "numpy, and the submission copy as its only writable directory.")


@functools.cache
def bwrap_status() -> tuple[bool, str]:
    """Whether a bubblewrap sandbox with our exact configuration starts (probed once)."""
    if not sys.platform.startswith("linux"):
        return False, f"bubblewrap needs Linux (this is {sys.platform})"
    if shutil.which("bwrap") is None:
        return False, "the bwrap program is not installed (Debian/Ubuntu package bubblewrap)"
    return cached_probe("bwrap")


@functools.cache
def user_status() -> tuple[bool, str]:
    """Whether the worker can run as a dedicated uid (root only; probed once)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False, "dropping to another uid needs root"
    blockers = traverse_blockers(python_paths())
    if blockers:
        shown = ", ".join(str(p) for p in blockers)
        return False, (f"other users cannot reach the Python installation because {shown} "
                       "lacks the search (x) bit; run `python -m autograder.sandbox "
                       "grant-traverse` to add only that bit (see SECURITY.md)")
    return cached_probe("user")


def level_status(level: str) -> tuple[bool, str]:
    """Whether ``level`` works here (probed once) and, when it does not, why."""
    if level == "bwrap":
        return bwrap_status()
    if level == "user":
        return user_status()
    if level == "none":
        return True, "always available"
    raise ValueError(f"unknown isolation level {level!r}")


def clear_probe_cache() -> None:
    """Forget this process's probe results (the on-disk successes stay; see cached_probe)."""
    bwrap_status.cache_clear()
    user_status.cache_clear()


def cached_probe(level: str) -> tuple[bool, str]:
    """probe(level), remembering a success on disk for PROBE_TTL seconds.

    The engine starts one grading process per submission; without this each would spend
    a worker start-up (~0.2 s) on the probe. Only successes are kept (a failure may be
    transient), and only in a directory owned by us with mode 0700, so another local user
    cannot plant a record that downgrades the isolation level.
    """
    key = probe_key(level)
    records = _read_probe_records()
    stamp = records.get(key)
    if isinstance(stamp, (int, float)) and 0 <= time.time() - stamp < PROBE_TTL:
        return True, "ok (cached probe)"
    ok, why = probe(level)
    if ok:
        records[key] = time.time()
        _write_probe_records(records)
    return ok, why


def probe_key(level: str) -> str:
    """What a probe result depends on: the level, interpreter, numpy, bwrap, worker, kernel."""
    parts = [level, os.path.realpath(sys.executable), str(numpy_dir()), numpy.__version__,
             str(os.geteuid()), os.uname().release]
    bwrap = shutil.which("bwrap") if level == "bwrap" else None
    for path in [bwrap, *(WORKER_SOURCE / name for name in WORKER_FILES)]:
        if path is not None:
            info = os.stat(path)
            parts.append(f"{path}:{info.st_mtime_ns}:{info.st_size}")
    return "|".join(parts)


def _probe_records_path() -> Path | None:
    directory = Path(tempfile.gettempdir()) / f"dltips-{os.geteuid()}"
    try:
        directory.mkdir(mode=0o700, exist_ok=True)
        info = directory.lstat()
    except OSError:
        return None
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        return None  # not provably ours: do not trust or write records there
    return directory / "probes.json"


def _read_probe_records() -> dict[str, float]:
    path = _probe_records_path()
    try:
        records = json.loads(path.read_text()) if path is not None else {}
    except (OSError, ValueError):
        return {}
    return records if isinstance(records, dict) else {}


def _write_probe_records(records: dict[str, float]) -> None:
    path = _probe_records_path()
    if path is None:
        return
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(records))
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)


def probe(level: str) -> tuple[bool, str]:
    """Start a worker at ``level`` in --probe mode and check that it set itself up."""
    empty = Path(tempfile.mkdtemp(prefix="dltips-probe-src-"))
    scratch = None
    try:
        scratch = make_scratch(empty, level)
        launch = build_launch(scratch, Limits(), ["--probe"])
        done = subprocess.run(launch.argv, env=launch.env, cwd=launch.cwd, user=launch.user,
                              group=launch.group, extra_groups=[] if launch.user else None,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT, start_new_session=True)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"the probe could not run: {exc}"
    finally:
        if scratch is not None:
            if scratch.uid is not None:
                kill_uid(scratch.uid, scratch.gid)  # nothing of a failed probe lingers
            release_scratch(scratch)
        shutil.rmtree(empty, ignore_errors=True)
    if done.returncode == 0 and PROBE_OK in done.stdout:
        return True, "ok"
    tail = " ".join((done.stderr or done.stdout).split())[-300:]
    return False, f"the probe sandbox failed (exit {done.returncode}): {tail}"


# ----- paths ---------------------------------------------------------------------------
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
    clear_probe_cache()
    return changed


def protect_private_dirs(dirs: Iterable[Path] = PRIVATE_DIRS) -> list[Path]:
    """chmod go-rwx on the grader's private directories (that exist and are ours)."""
    done = []
    for path in dirs:
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
def make_scratch(submission: Path, level: str) -> Scratch:
    """A private copy of ``submission`` plus the worker script, owned by the worker's uid."""
    if level not in LEVELS:
        raise ValueError(f"unknown isolation level {level!r}")
    base = Path(tempfile.mkdtemp(prefix="dltips-session-"))
    scratch = Scratch(base=base, cwd=base / "submission", worker_dir=base / "worker",
                      level=level, marker=os.urandom(12).hex())
    try:
        if os.geteuid() == 0 and level in ("bwrap", "user"):
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
    if not source.is_dir():
        raise NotADirectoryError(f"submission {source} is not a directory")
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


def release_scratch(scratch: Scratch) -> None:
    """Delete the scratch tree and free the uid claim (call after the worker is dead)."""
    _rmtree(scratch.base)
    if scratch.claim is not None:
        scratch.claim.unlink(missing_ok=True)
        scratch.claim = None


def _rmtree(path: Path) -> None:
    def fix_and_retry(func, target, _exc) -> None:  # noqa: ANN001 - shutil's callback shape
        # Student code may have removed permissions from its own directories.
        try:
            os.chmod(os.path.dirname(target), 0o700)
            os.chmod(target, 0o700)
            func(target)
        except OSError:
            pass

    if path.exists():
        shutil.rmtree(path, onerror=fix_and_retry)


# ----- command lines -------------------------------------------------------------------
def worker_env(scratch: Scratch) -> dict[str, str]:
    """The scrubbed environment of the worker (nothing of the grader's leaks in)."""
    env = {"PATH": SYSTEM_PATH, "HOME": scratch.visible_cwd, "TMPDIR": "/tmp",
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           MARKER_VAR: scratch.marker}
    env.update({k: os.environ[k] for k in PASSTHROUGH_ENV if k in os.environ})
    env = {**scratch.env, **env}  # the profile's variables never replace ours
    return env


def build_launch(scratch: Scratch, limits: Limits, server_args: Sequence[str]) -> Launch:
    """The command that starts server.py for ``scratch.level``."""
    env = worker_env(scratch)
    if scratch.level == "bwrap":
        server = f"{SANDBOX_WORKER}/server.py"
        tail = [worker_python(), "-I", "-B", server, *limits.server_args(), *identity_args(scratch),
                *server_args]
        argv = ["bwrap", *bwrap_args(scratch, env, limits), "--", *tail]
        return Launch(argv, {"PATH": SYSTEM_PATH}, str(scratch.base))
    server = str(scratch.worker_dir / "server.py")
    argv = [worker_python(), "-I", "-B", server, *limits.server_args(), *server_args]
    return Launch(argv, env, str(scratch.cwd), scratch.uid, scratch.gid)


def identity_args(scratch: Scratch) -> list[str]:
    """Under bwrap-as-root the uid drop happens inside, in server.py's first lines."""
    if scratch.uid is None:
        return ["--cwd", SANDBOX_CWD]
    return ["--uid", str(scratch.uid), "--gid", str(scratch.gid), "--cwd", SANDBOX_CWD]


def bwrap_args(scratch: Scratch, env: dict[str, str], limits: Limits) -> list[str]:
    """bubblewrap options: a minimal read-only view, one writable dir, fresh namespaces."""
    view = _View()
    # The fresh /tmp comes first, so that a Python installed under /tmp (a venv made there,
    # as CI systems do) is bound on top of it instead of being hidden by it.
    view.args += ["--perms", "1777", "--size", str(limits.tmpfs), "--tmpfs", "/tmp"]
    view.dirs.add(Path("/tmp"))
    view.system()
    for prefix in python_paths()[1:3]:
        view.ro_bind(prefix)
    view.mask_site_packages(numpy_dir(), scratch.packages)
    view.mask(Path(p) for p in PRIVATE_DIRS)
    view.parents(Path(SANDBOX_WORKER))
    view.args += ["--ro-bind", str(scratch.worker_dir), SANDBOX_WORKER,
                  "--bind", str(scratch.cwd), SANDBOX_CWD, "--chdir", "/",
                  "--proc", "/proc", "--dev", "/dev"]
    return [*namespace_args(), *view.args, "--clearenv",
            *[a for k, v in env.items() for a in ("--setenv", k, v)]]


def namespace_args() -> list[str]:
    """Namespaces and capabilities; as root we skip the user namespace to drop uid inside."""
    common = ["--die-with-parent", "--new-session", "--hostname", "dltips-worker"]
    if os.geteuid() == 0:
        return ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net",
                "--unshare-cgroup-try", *common, "--cap-drop", "ALL",
                "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    return ["--unshare-all", *common, "--cap-drop", "ALL"]


class _View:
    """Accumulates bwrap mount options, creating parent directories world-searchable."""

    def __init__(self) -> None:
        self.args: list[str] = []
        self.bound: list[Path] = []
        self.hidden: list[Path] = []  # already replaced by an empty tmpfs
        self.dirs: set[Path] = {Path("/")}

    def covered(self, path: Path) -> bool:
        return any(path == b or b in path.parents for b in self.bound)

    def parents(self, path: Path) -> None:
        for parent in reversed(path.parents):
            if parent not in self.dirs and not self.covered(parent):
                self.args += ["--perms", "0755", "--dir", str(parent)]
                self.dirs.add(parent)

    def ro_bind(self, path: Path) -> None:
        if self.covered(path) or not path.exists():
            return
        self.parents(path)
        self.args += ["--ro-bind", str(path), str(path)]
        self.bound.append(path)

    def system(self) -> None:
        """/usr plus the /bin, /lib* entries as they are on the host (symlinks or dirs)."""
        self.ro_bind(Path("/usr"))
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            path = Path("/") / name
            if path.is_symlink():
                self.args += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                self.ro_bind(path)
        if Path("/etc/ld.so.cache").exists():
            self.args += ["--perms", "0755", "--dir", "/etc",
                          "--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
            self.dirs.add(Path("/etc"))

    def mask_site_packages(self, numpy_path: Path, extra: Iterable[Path] = ()) -> None:
        """Hide every site-packages directory, then put numpy (and its libs) back, plus the
        profile's ``extra`` entries (e.g. TensorFlow and its dependencies)."""
        masked = []
        for directory in site_dirs():
            if self.covered(directory) and directory.is_dir():
                self.args += ["--perms", "0755", "--tmpfs", str(directory)]
                masked.append(directory)
        for path in dict.fromkeys((numpy_path, numpy_path.with_name("numpy.libs"), *extra)):
            if path.exists():
                self.args += ["--ro-bind", str(path), str(path)]
        for directory in masked:
            self.args += ["--remount-ro", str(directory)]
        self.hidden += masked

    def mask(self, paths: Iterable[Path]) -> None:
        """An empty read-only tmpfs over any private path that a bind happens to cover."""
        for path in paths:
            if not (self.covered(path) and path.exists()):
                continue
            if any(path == h or h in path.parents for h in self.hidden):
                continue  # inside a masked site-packages: already gone (and read-only)
            if path.is_dir():
                self.args += ["--perms", "0700", "--tmpfs", str(path),
                              "--remount-ro", str(path)]
            else:  # a single private file reads as empty
                self.args += ["--ro-bind", "/dev/null", str(path)]


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


# ----- killing -------------------------------------------------------------------------
def kill_worker(proc: subprocess.Popen, scratch: Scratch) -> None:
    """SIGKILL the worker, its process group, and every process the submission started."""
    for kill in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
        try:
            kill()
        except (ProcessLookupError, PermissionError):
            pass
    if scratch.uid is not None:
        kill_uid(scratch.uid, scratch.gid)
    kill_marked(scratch.marker)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def kill_uid(uid: int, gid: int | None) -> None:
    """Kill every process of the session's dedicated uid, including detached ones.

    ``kill(-1, SIGKILL)`` sent *as that uid* reaches all its processes atomically, so a
    process forking in a loop cannot outrun it the way it could outrun a /proc scan.
    """
    for _ in range(5):
        _kill_all_as(uid, uid if gid is None else gid)
        if not [pid for pid in live_pids() if proc_uid(pid) == uid]:
            return
        time.sleep(0.02)


def _kill_all_as(uid: int, gid: int) -> None:
    kill = shutil.which("kill", path="/usr/bin:/bin")
    if kill is not None:
        subprocess.run([kill, "-s", "KILL", "--", "-1"], user=uid, group=gid, extra_groups=[],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env={"PATH": SYSTEM_PATH}, check=False)
        return
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child: become the uid and kill everything of it
        try:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def kill_marked(marker: str) -> None:
    """Kill processes whose environment carries this session's marker (the 'none' level)."""
    if not marker:
        return
    needle = f"{MARKER_VAR}={marker}".encode()
    for _ in range(5):
        found = [pid for pid in live_pids() if needle in _environ(pid)]
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if not found:
            return
        time.sleep(0.02)


def live_pids() -> list[int]:
    """Pids of processes that are not zombies (zombies cannot run or be killed)."""
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid():
            try:
                state = Path(f"/proc/{name}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state not in (b"Z", b"X"):
                pids.append(int(name))
    return pids


def proc_uid(pid: int) -> int | None:
    """The real uid of ``pid`` (None when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _environ(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""


# ----- command line --------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """``probe``: print the level auto would pick; ``grant-traverse``: add the o+x bits."""
    parser = argparse.ArgumentParser(prog="python -m autograder.sandbox",
                                     description="Inspect or prepare worker isolation.")
    parser.add_argument("command", choices=("probe", "grant-traverse"))
    args = parser.parse_args(argv)
    if args.command == "grant-traverse":
        changed = grant_traverse()
        print("added o+x to: " + (", ".join(map(str, changed)) or "nothing (none needed)"))
        return 0
    for level in LEVELS[:2]:
        ok, why = level_status(level)
        print(f"{level}: {'available' if ok else 'unavailable: ' + why}")
    print(resolve_isolation("auto").note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
