"""The command line that starts one worker: its limits, its scrubbed environment, and the
bubblewrap view (a read-only Python and numpy, one writable directory, fresh namespaces)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.sandbox.paths import (
    MARKER_VAR,
    SANDBOX_CWD,
    SANDBOX_WORKER,
    SYSTEM_PATH,
    bwrap_program,
    numpy_dir,
    private_paths,
    python_paths,
    site_dirs,
    worker_python,
)
from autograder.sandbox.scratch import Scratch

PASSTHROUGH_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


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
class Launch:
    """Everything ``subprocess.Popen`` needs to start one worker."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    user: int | None = None
    group: int | None = None


# ----- command lines -------------------------------------------------------------------
def worker_env(scratch: Scratch) -> dict[str, str]:
    """The scrubbed environment of the worker (nothing of the grader's leaks in)."""
    env = {"PATH": SYSTEM_PATH, "HOME": scratch.visible_cwd, "TMPDIR": "/tmp",
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           MARKER_VAR: scratch.marker}
    env.update({k: os.environ[k] for k in PASSTHROUGH_ENV if k in os.environ})
    return env


def build_launch(scratch: Scratch, limits: Limits, server_args: Sequence[str]) -> Launch:
    """The command that starts server.py for ``scratch.level``."""
    env = worker_env(scratch)
    if scratch.level == "bwrap":
        server = f"{SANDBOX_WORKER}/server.py"
        tail = [worker_python(), "-I", "-B", server, *limits.server_args(), *identity_args(scratch),
                *server_args]
        argv = [bwrap_program().path, *bwrap_args(scratch, env, limits), "--", *tail]
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
    view.mask_site_packages(numpy_dir())
    view.mask(private_paths())
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

    def mask_site_packages(self, numpy_path: Path) -> None:
        """Hide every site-packages directory, then put numpy (and its libs) back."""
        masked = []
        for directory in site_dirs():
            if self.covered(directory) and directory.is_dir():
                self.args += ["--perms", "0755", "--tmpfs", str(directory)]
                masked.append(directory)
        for path in (numpy_path, numpy_path.with_name("numpy.libs")):
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


