"""The student-code worker: imports student modules and runs calls sent by the grader.

Run as ``python -I -B server.py --rfd R --wfd W [--uid U --gid G] [--limit-as BYTES ...]``
with the submission's private copy as the working directory. It needs only the standard
library, numpy and ``protocol.py`` from its own directory: it must not import the
``autograder`` package, which is not even visible inside the bubblewrap sandbox.

Everything here is untrusted territory: student code runs in this process and may change
anything in it. The trusted side therefore believes nothing it receives except plain data
(see protocol.py), and enforces time, memory and process limits from the outside. This
file's job is only to give honest code a faithful, precise environment.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import resource
import sys
import traceback
import warnings
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType
from typing import Any

NAME_RE = re.compile(r"[a-z_][a-z0-9_]*\Z")
PROBE_OK = "dltips-worker-probe-ok"
TEXT_LIMIT = 600
NOT_PLAIN = "which is not plain data ({})"
FACTS_LIMIT = 5  # warnings reported per call (distinct ones; the first few say enough)
# numpy's own defaults: every call starts from them, whatever a module set at import.
NUMPY_DEFAULT_ERRORS = {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}
# Categories Python hides by default outside __main__: a student never sees them either.
HIDDEN_BY_DEFAULT = (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                     ResourceWarning)
UNWATCHED = object()  # an argument that may change by design (a random generator)


def load_protocol(filename: str = "protocol.py") -> ModuleType:
    """protocol.py (or another file of this directory, e.g. keras_bridge.py) under a private
    name a student cannot clash with."""
    path = Path(__file__).resolve().with_name(filename)
    spec = importlib.util.spec_from_file_location(f"_dltips_worker_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses needs the module registered
    spec.loader.exec_module(module)
    return module


def _peak_rss_kib() -> int:
    """This process's own peak RSS. VmHWM belongs to this address space alone, whereas
    ru_maxrss survives execve and so can report the (large) grader that spawned us."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


class Failure(Exception):
    """A student-attributable failure, reported to the grader as (kind, message, details)."""

    def __init__(self, kind: str, message: str, details: str = "", phase: str = "call") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.details = details
        self.phase = phase  # "import" failures are cached by the grader for the whole module


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options (all set by the trusted side's sandbox builder)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rfd", type=int, help="fd to read requests from")
    parser.add_argument("--wfd", type=int, help="fd to write replies to")
    parser.add_argument("--probe", action="store_true",
                        help="set up (limits, privileges, numpy), print PROBE_OK and exit")
    parser.add_argument("--uid", type=int, help="drop to this uid before anything else")
    parser.add_argument("--gid", type=int, help="drop to this gid before anything else")
    parser.add_argument("--cwd", help="change to this directory after dropping privileges")
    for name in ("as", "core", "nproc", "fsize", "cpu", "nofile"):
        parser.add_argument(f"--limit-{name}", type=int, help=f"RLIMIT_{name.upper()}")
    parser.add_argument("--bridge", choices=("keras",),
                        help="carry Keras models and histories as plain data (keras_bridge.py)")
    return parser.parse_args(argv)


def apply_limits(args: argparse.Namespace) -> None:
    """Lower the resource limits (needs no privilege, so it also works after a uid drop)."""
    for name in ("as", "core", "nproc", "fsize", "cpu", "nofile"):
        value = getattr(args, f"limit_{name}")
        if value is not None:
            limit = getattr(resource, f"RLIMIT_{name.upper()}")
            # The hard limit too, so student code cannot raise it back.
            resource.setrlimit(limit, (value, value))


def drop_privileges(uid: int | None, gid: int | None) -> None:
    """Become the dedicated unprivileged uid (bubblewrap started us as root without a userns)."""
    if uid is None:
        return
    gid = uid if gid is None else gid
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid):
        raise SystemExit("dltips worker: could not drop privileges")


def forbid_new_privileges() -> None:
    """prctl(PR_SET_NO_NEW_PRIVS): setuid programs cannot raise the worker's privileges."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(38, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the other levels' guarantees do not rely on it


def close_other_fds(keep: tuple[int, ...]) -> None:
    """Close every inherited descriptor except stdio and the protocol pipes."""
    top = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 4096
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, top)


def exc_text(exc: BaseException) -> str:
    """``str(exc)`` without trusting the exception's own __str__ to work."""
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001 - a student __str__ may raise anything
        text = "<the exception could not be printed>"
    text = " ".join(text.split())
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + "..."


class Server:
    """Reads requests, runs them against the student's modules, writes plain-data replies."""

    def __init__(self, rfd: int, wfd: int, root: str, protocol: ModuleType,
                 bridge: ModuleType | None = None) -> None:
        self.rfd, self.wfd, self.root = rfd, wfd, root
        self.p = protocol
        self.bridge = bridge  # keras_bridge.py with --bridge keras, else None
        self.pid = os.getpid()
        self.modules: dict[str, ModuleType] = {}
        self.failures: dict[str, Failure] = {}

    # ----- framing -------------------------------------------------------------------
    def read_exact(self, size: int) -> bytes:
        """Exactly ``size`` bytes from the request pipe; exit quietly when the grader left."""
        chunks, remaining = [], size
        while remaining:
            chunk = os.read(self.rfd, min(remaining, 1 << 20))
            if not chunk:
                raise SystemExit(0)
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def send(self, envelope: dict[str, Any], blobs: list | None = None) -> None:
        """Write one frame (blocking; the grader drains the pipe while it waits)."""
        for piece in self.p.pack(envelope, blobs):
            view = memoryview(piece)
            while view:
                view = view[os.write(self.wfd, view):]

    def serve(self) -> None:
        """The request loop; ends when the grader closes the request pipe."""
        self.send({"status": "ready", "pid": os.getpid(), "uid": os.getuid()})
        while True:
            json_len, blob_len = self.p.parse_header(self.read_exact(self.p.HEADER.size))
            envelope, blobs = self.p.unpack(self.read_exact(json_len + blob_len), json_len)
            self.reply(envelope, blobs)

    def reply(self, envelope: dict[str, Any], blobs: list) -> None:
        req_id = envelope.get("id")
        try:
            fields, out_blobs = self.handle(envelope, blobs)
        except Failure as failure:
            fields, out_blobs = {"status": "error", "kind": failure.kind, "phase": failure.phase,
                                 "message": failure.message, "details": failure.details}, []
        finally:
            flush_stdio()
        try:
            self.send({"id": req_id, **fields}, out_blobs)
        except self.p.NotPlainData:
            self.send({"id": req_id, "status": "error", "kind": "bad_return",
                       "message": "the result is larger than the protocol allows", "details": ""})

    # ----- requests ------------------------------------------------------------------
    def handle(self, envelope: dict[str, Any], blobs: list) -> tuple[dict[str, Any], list]:
        op, module = envelope.get("op"), envelope.get("module")
        if op == "stats":
            fields, blobs = self.p.encode_values([("result", self.stats())])
            return {"status": "ok", **fields}, blobs
        if type(module) is not str or not NAME_RE.match(module):
            raise Failure("internal", f"bad module name {module!r:.60}")
        mod = self.load(module, envelope.get("id"))
        if op == "import":
            return {"status": "ok", "result": None}, []
        function = envelope.get("function")
        if type(function) is not str or not function.isidentifier():
            raise Failure("internal", f"bad function name {function!r:.60}")
        if op == "has":
            try:
                found = callable(getattr(mod, function))
            except BaseException:  # noqa: BLE001 - a module __getattr__ is student code
                found = False
            return {"status": "ok", "result": found}, []
        if op == "call":
            return self.call(mod, module, function, envelope, blobs)
        raise Failure("internal", f"unknown operation {op!r:.40}")

    def stats(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "uid": os.getuid(), "peak_rss_kib": _peak_rss_kib()}

    def call(self, mod: ModuleType, module: str, function: str, envelope: dict[str, Any],
             blobs: list) -> tuple[dict[str, Any], list]:
        name = f"{module}.{function}"
        func = self.lookup(mod, module, function)
        try:
            args = self.p.decode_value(envelope.get("args"), blobs, allow_rng=True)
            kwargs = self.p.decode_value(envelope.get("kwargs"), blobs, allow_rng=True)
        except self.p.ProtocolError as exc:
            raise Failure("internal", f"bad arguments: {exc}") from None
        if self.bridge is not None:
            args, kwargs = self.bridge_arguments(name, args, kwargs)
        watch = InputWatch(func, args, kwargs)
        try:
            with CallWarnings(self.root, self.p.np) as warned:
                result = func(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - any student failure, SystemExit included
            self.exit_if_forked()
            raise self.call_failure(name, exc) from None
        self.exit_if_forked()
        fields, blobs = self.encode_result(name, result)
        # Facts only: the grader decides which of them break the contract.
        fields["facts"] = {"modified": watch.changed(), "warnings": warned.report()}
        return fields, blobs

    def bridge_arguments(self, name: str, args: Any, kwargs: Any) -> tuple[Any, Any]:
        """Seed the call, then rebuild the Keras models the grader sent (ModelData)."""
        try:
            self.bridge.seed_call(self.p.KERAS_CALL_SEED)
            return (self.bridge.import_value(args, self.p.ModelData),
                    self.bridge.import_value(kwargs, self.p.ModelData))
        except BaseException as exc:  # noqa: BLE001 - Keras itself, or student monkeypatching
            self.exit_if_forked()
            raise Failure("exception", f"{name} was not run: Keras could not be seeded or "
                          f"the model passed to it rebuilt in the worker ({type(exc).__name__}: "
                          f"{exc_text(exc)})") from None

    def exit_if_forked(self) -> None:
        """A child the student forked must not come back here and serve requests too."""
        if os.getpid() != self.pid:
            os._exit(0)

    def lookup(self, mod: ModuleType, module: str, function: str) -> Any:
        try:
            func = getattr(mod, function)
        except BaseException:  # noqa: BLE001 - a module __getattr__ is student code
            raise Failure("missing_function",
                          f"{module}.{function} is missing: {module}.py defines no "
                          f"function named {function!r}") from None
        if not callable(func):
            raise Failure("missing_function", f"{module}.{function} is not a function "
                          f"(it is {self.p.describe_type(func)})")
        return func

    def encode_result(self, name: str, result: Any) -> tuple[dict[str, Any], list]:
        try:
            if self.bridge is not None:  # Keras models and histories as plain data
                result = self.bridge.export_value(result)
            fields, blobs = self.p.encode_values([("result", result)])
        except self.p.NotPlainData as exc:
            raise Failure("bad_return", bad_return_message(name, exc, self.p.PLAIN_DATA)) from None
        except MemoryError:
            raise Failure("memory", f"{name} returned a result too large to send") from None
        except BaseException as exc:  # noqa: BLE001 - e.g. a list mutated by a student thread
            raise Failure("bad_return", f"{name} returned a result that could not be "
                          f"encoded: {type(exc).__name__}: {exc_text(exc)}") from None
        return {"status": "ok", **fields}, blobs

    def call_failure(self, name: str, exc: BaseException) -> Failure:
        etype = type(exc).__name__
        where, details = self.student_traceback(exc)
        if isinstance(exc, NotImplementedError):
            return Failure("not_implemented", f"{name} raised NotImplementedError: "
                           f"{exc_text(exc) or 'not implemented yet'}", details)
        if isinstance(exc, MemoryError):
            return Failure("memory", f"{name} ran out of memory (MemoryError{where}); "
                           "the worker's address space is capped", details)
        if isinstance(exc, SystemExit):
            return Failure("exception", f"{name} called sys.exit({exc_text(exc)}){where}",
                           details)
        return Failure("exception", f"{name} raised {etype}: {exc_text(exc)}{where}", details)

    def student_traceback(self, exc: BaseException) -> tuple[str, str]:
        """(' (at file.py line N)', traceback text) restricted to the student's own files."""
        try:
            frames = [f for f in traceback.extract_tb(exc.__traceback__)
                      if f.filename.startswith(self.root + os.sep)]
        except BaseException:  # noqa: BLE001 - defensive: tracebacks of hostile code
            return "", ""
        if not frames:
            return "", ""
        for frame in frames:
            frame.filename = os.path.relpath(frame.filename, self.root)
        last = frames[-1]
        where = f" (at {last.filename} line {last.lineno})"
        text = "".join(traceback.format_list(frames[-8:]))
        return where, text[-4000:]

    # ----- imports -------------------------------------------------------------------
    def load(self, module: str, req_id: Any) -> ModuleType:
        """The student's module, imported lazily from the working directory (once)."""
        if module in self.failures:
            raise self.failures[module]
        if module in self.modules:
            return self.modules[module]
        path = os.path.join(self.root, module + ".py")
        if not os.path.isfile(path):
            raise Failure("missing_module", f"{module}.py is missing from the submission",
                          phase="import")
        # Tell the grader an import is running, so a crash or hang here is charged to the
        # import (and every later call into this module fails fast) rather than the call.
        self.send({"id": req_id, "status": "event", "event": "import_start"})
        try:
            mod = self.exec_module(module, path)
        except Failure as failure:
            failure.phase = "import"
            self.failures[module] = failure
            raise
        finally:
            self.exit_if_forked()
            flush_stdio()
        self.send({"id": req_id, "status": "event", "event": "import_done"})
        self.modules[module] = mod
        return mod

    def exec_module(self, module: str, path: str) -> ModuleType:
        existing = sys.modules.get(module)
        if existing is not None and getattr(existing, "__file__", None) == path:
            return existing  # already imported by another student module
        spec = importlib.util.spec_from_file_location(module, path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        if existing is None:
            sys.modules[module] = mod
        try:
            spec.loader.exec_module(mod)
        except BaseException as exc:  # noqa: BLE001 - SystemExit at import included
            if sys.modules.get(module) is mod:
                del sys.modules[module]
            raise self.import_failure(module, exc) from None
        return mod

    def import_failure(self, module: str, exc: BaseException) -> Failure:
        head = f"{module}.py could not be imported"
        where, details = self.student_traceback(exc)
        if isinstance(exc, SyntaxError):
            return Failure("syntax_error", f"{head}: {self.syntax_text(module, exc)}", details)
        if isinstance(exc, NotImplementedError):
            return Failure("not_implemented", f"{head}: NotImplementedError raised at import"
                           f"{where}: {exc_text(exc)}", details)
        if isinstance(exc, MemoryError):
            return Failure("memory", f"{head}: it ran out of memory at import{where}", details)
        if isinstance(exc, SystemExit):
            return Failure("import_error", f"{head}: it called sys.exit({exc_text(exc)}) "
                           f"at import{where}", details)
        return Failure("import_error", f"{head}: {type(exc).__name__} at import{where}: "
                       f"{exc_text(exc)}", details)

    def syntax_text(self, module: str, exc: SyntaxError) -> str:
        filename = os.path.basename(exc.filename or f"{module}.py")
        place = "" if filename == f"{module}.py" else f" in {filename}"
        return f"{type(exc).__name__}{place} at line {exc.lineno}: {exc.msg}"


class InputWatch:
    """Copies of a call's arguments, to report afterwards which ones it changed in place.

    The worker decodes fresh arguments for every call, so a function that writes into its
    input (``X -= mean``) damages only the worker's copy and its result can still be right;
    this is how the grader learns of it. Each change is reported as the argument as sent
    (its position, or its keyword), the name the student's function gives that parameter,
    and where inside the argument the first difference is (``[1]`` of a list, ``['m']``).
    """

    def __init__(self, func: Any, args: tuple, kwargs: dict) -> None:
        names = parameter_names(func)
        self.watched: list[tuple[int | str, str, Any, Any]] = []
        for position, value in enumerate(args):
            name = names[position] if position < len(names) else f"argument {position + 1}"
            self.watched.append((position, name, value, snapshot(value)))
        for key, value in kwargs.items():
            self.watched.append((key, key, value, snapshot(value)))

    def changed(self) -> list[dict[str, Any]]:
        """One ``{"argument", "name", "path"}`` per argument that differs from its copy."""
        found = []
        for argument, name, value, before in self.watched:
            try:
                path = first_difference(before, value, "")
            except BaseException:  # noqa: BLE001 - a student object may break comparisons
                path = ""
            if path is not None:
                found.append({"argument": argument, "name": name, "path": path})
        return found


def parameter_names(func: Any) -> tuple[str, ...]:
    """The positional parameter names of a plain function (empty when it is not one)."""
    try:
        code = func.__code__
        names = code.co_varnames[:code.co_argcount]
    except BaseException:  # noqa: BLE001 - a callable object's __getattr__ is student code
        return ()
    if type(names) is not tuple or not all(type(n) is str for n in names):
        return ()
    return names


def snapshot(value: Any) -> Any:
    """A deep copy of plain data (arrays, lists, tuples, dicts; scalars are immutable)."""
    cls = type(value)
    if cls in (list, tuple):
        return cls(snapshot(item) for item in value)
    if cls is dict:
        return {key: snapshot(item) for key, item in value.items()}
    if hasattr(value, "__array_interface__") and hasattr(value, "copy"):
        return value.copy()  # decoded arguments are exact numpy arrays
    if cls.__module__.startswith("numpy.random"):
        return UNWATCHED  # a Generator is there to be used up
    return value


def first_difference(before: Any, after: Any, path: str) -> str | None:
    """Where ``after`` (the argument now) first differs from ``before`` (its copy), or None."""
    if before is UNWATCHED:
        return None
    if type(after) is not type(before):
        return path
    if type(before) in (list, tuple):
        if len(after) != len(before):
            return path
        for i, (old, new) in enumerate(zip(before, after, strict=True)):
            inner = first_difference(old, new, f"{path}[{i}]")
            if inner is not None:
                return inner
        return None
    if type(before) is dict:
        if list(after) != list(before):
            return path
        for key in before:
            inner = first_difference(before[key], after[key], f"{path}[{key!r:.40}]")
            if inner is not None:
                return inner
        return None
    if hasattr(before, "__array_interface__"):
        same = (after.shape == before.shape and after.dtype == before.dtype
                and after.tobytes() == before.tobytes())
        return None if same else path
    return None  # numbers, strings, None: immutable, so unchanged


class CallWarnings:
    """Record the warnings one call raises, under numpy's default error handling.

    Every call starts from numpy's defaults (a module-level ``np.seterr(all="ignore")``
    does not carry over) and with every warning shown each time, except the categories
    Python hides by default; a ``with np.errstate(...)`` or ``warnings.catch_warnings()``
    inside the student's function still applies. Recorded warnings are not printed.
    """

    def __init__(self, root: str, np: ModuleType) -> None:
        self.root, self.np = root, np
        self.stack = ExitStack()
        self.caught: list[warnings.WarningMessage] = []

    def __enter__(self) -> CallWarnings:
        caught = self.stack.enter_context(warnings.catch_warnings(record=True))
        assert caught is not None  # record=True: the list warnings are appended to
        self.caught = caught
        warnings.simplefilter("always")
        for category in HIDDEN_BY_DEFAULT:
            warnings.filterwarnings("ignore", category=category)
        self.stack.enter_context(self.np.errstate(**NUMPY_DEFAULT_ERRORS))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stack.close()

    def report(self) -> list[dict[str, str]]:
        """The distinct warnings (at most FACTS_LIMIT): category, message, where."""
        seen: list[dict[str, str]] = []
        for caught in list(self.caught):
            try:
                entry = {"category": str(caught.category.__name__)[:80],
                         "message": exc_text(caught.message)[:300],
                         "where": self.where(caught.filename, caught.lineno)}
            except BaseException:  # noqa: BLE001 - a student warning class may misbehave
                entry = {"category": "Warning", "message": "(unprintable)", "where": ""}
            if entry not in seen:
                seen.append(entry)
            if len(seen) == FACTS_LIMIT:
                break
        return seen

    def where(self, filename: Any, lineno: Any) -> str:
        if type(filename) is not str or not filename.startswith(self.root + os.sep):
            return ""
        return f"{os.path.relpath(filename, self.root)} line {int(lineno)}"


def bad_return_message(name: str, exc: Any, plain: str) -> str:
    """The student-readable sentence for a result that is not plain data."""
    if exc.where == "result":
        return f"{name} returned {exc.what}, {NOT_PLAIN.format(plain)}"
    return (f"{name} returned a value containing {exc.what} at {exc.where}, "
            f"{NOT_PLAIN.format(plain)}")


def flush_stdio() -> None:
    """Push student prints out now, so the grader's output tail is complete even on a crash."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - student code may have replaced the stream
            pass


def main(argv: list[str] | None = None) -> int:
    """Set limits, drop privileges, import numpy, then serve until the grader hangs up."""
    args = parse_args(argv)
    apply_limits(args)
    drop_privileges(args.uid, args.gid)
    forbid_new_privileges()
    if args.cwd:
        os.chdir(args.cwd)  # only the dropped uid may enter the submission copy
    os.umask(0o077)
    protocol = load_protocol()  # imports numpy before any student code can shadow it
    bridge = load_protocol("keras_bridge.py") if args.bridge == "keras" else None
    if args.probe:
        print(PROBE_OK, protocol.np.__version__, os.getuid())
        return 0
    if args.rfd is None or args.wfd is None:
        raise SystemExit("dltips worker: --rfd and --wfd are required")
    close_other_fds((args.rfd, args.wfd))
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True, errors="backslashreplace")
    if bridge is not None:
        bridge.preload()  # before any student code, under the limits and the dropped uid
    root = os.getcwd()
    # Let student modules import each other ("from losses import ..."), but after the
    # standard library and numpy so a student file can never shadow those.
    sys.path.append(root)
    Server(args.rfd, args.wfd, root, protocol, bridge).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
