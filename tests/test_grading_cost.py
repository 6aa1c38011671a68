"""What grading a submission does not start (issue 15: a numpy-only submission paid for a
keras worker and seven ``/usr/bin/kill`` processes): no worker to learn that a module file
is missing, and no process at all to sweep a uid that has nothing left."""

from __future__ import annotations

import os
import subprocess

import pytest

from autograder.sandbox import profiles, reaping, scratch
from autograder.sandbox.session import StudentError, StudentSession


def test_a_missing_module_starts_no_worker_of_its_profile(tmp_path, monkeypatch):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "losses.py").write_text("def f():\n    return 1\n")
    read = []
    monkeypatch.setattr(profiles, "package_paths", lambda names: read.append(names) or ())
    with StudentSession(sub, isolation="none", profile=profiles.KERAS) as session:
        with pytest.raises(StudentError) as info:
            session.call("mnist_classifier", "build_model")
        assert info.value.kind == "missing_module"
        assert info.value.message == "mnist_classifier.py is missing from the submission"
        assert session.has_function("mnist_classifier", "preprocess") is False
        assert session._res.worker is None and session.startup_seconds == []
        assert read == []  # TensorFlow's package metadata is not even read
        assert session.call("losses", "f") == 1  # a present module still gets its worker
        assert read == [profiles.KERAS.packages] and len(session.startup_seconds) == 1


def test_a_module_found_missing_stays_missing_as_before(tmp_path):
    """Answered on the trusted side, 'missing' is cached like the worker's answer was: a
    file the submission's code writes later is not imported in the same run."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "writer.py").write_text(
        "def write():\n    open('late.py', 'w').write('def g():\\n    return 2\\n')\n")
    with StudentSession(sub, isolation="none") as session:
        for _ in range(2):
            with pytest.raises(StudentError) as info:
                session.call("late", "g")
            assert info.value.kind == "missing_module"
            session.call("writer", "write")
        assert (session._res.scratch.cwd / "late.py").exists()


def test_sweeping_a_uid_with_nothing_left_forks_and_runs_nothing(monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("dedicated uids need root")
    uid, claim = scratch.allocate_uid()
    try:
        def refuse(*args, **kwargs):
            raise AssertionError("the sweep started a process")

        monkeypatch.setattr(os, "fork", refuse)
        monkeypatch.setattr(subprocess, "run", refuse)
        monkeypatch.setattr(subprocess, "Popen", refuse)
        reaping.kill_uid(uid, uid)  # nothing of the uid is alive: nothing to do
    finally:
        claim.unlink()


def test_sweeping_a_uid_kills_what_it_left_without_executing_a_program(monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("dedicated uids need root")
    uid, claim = scratch.allocate_uid()
    try:
        child = subprocess.Popen(["sleep", "300"], user=uid, group=uid, extra_groups=[],
                                 start_new_session=True)
        assert reaping.uid_alive(uid)
        monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("ran a program"))
        reaping.kill_uid(uid, uid)
        assert child.wait(timeout=10) == -9
        assert not reaping.uid_alive(uid)
    finally:
        claim.unlink()


def test_the_heavier_profiles_tests_run_last_in_their_original_order():
    """Their worker boots while the numpy suites run (the report orders by the contract)."""
    from autograder.grading import plugin

    class Item:
        def __init__(self, module: str, name: str) -> None:
            self.module_name, self.name = module, name

        def get_closest_marker(self, name: str):
            return pytest.mark.module(self.module_name).mark if name == "module" else None

    items = [Item("batchnorm", "a"), Item("mnist_classifier", "b"), Item("losses", "c"),
             Item("mnist_classifier", "d"), Item("optimizers", "e")]
    plugin.pytest_collection_modifyitems(items)
    assert [item.name for item in items] == ["a", "c", "e", "b", "d"]


def run_hidden_losses_and_mnist(tmp_path, monkeypatch, sources: dict[str, str]) -> tuple:
    """The whole runner (pytest, the plugin, the suites) in this process on a submission of
    ``sources`` (module -> text), grading losses and mnist_classifier at isolation none.
    Returns (the records, one (profile, student calls made so far, grader .npz files in
    the copy) per worker spawned)."""
    import json

    from autograder.grading import plugin, runner

    sub = tmp_path / "sub"
    sub.mkdir()
    for module, text in sources.items():
        (sub / f"{module}.py").write_text(text)
    started = []
    new_worker = StudentSession._new_worker

    def record(self):
        calls_so_far = plugin.PRESTARTED._next_id if plugin.PRESTARTED else None
        files = sorted(p.name for p in self._res.scratch.cwd.rglob("*.npz"))
        started.append((self.profile.name if self.profile else "numpy", calls_so_far, files))
        return new_worker(self)

    monkeypatch.setattr(StudentSession, "_new_worker", record)
    monkeypatch.setattr(runner, "limit_own_memory", lambda megabytes: None)
    for name in ("MPLBACKEND", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
                 "TF_CPP_MIN_LOG_LEVEL", "PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    results = tmp_path / "results.json"
    assert runner.main(["--suite", "hidden", "--submission", str(sub), "--results",
                        str(results), "--module", "losses", "--module", "mnist_classifier",
                        "--isolation", "none"]) == 0
    return json.loads(results.read_text())["tests"], started


def test_a_grading_run_without_the_keras_module_starts_no_keras_worker(tmp_path, monkeypatch):
    """Without mnist_classifier.py its tests fail as missing and only the numpy worker
    ever starts."""
    from autograder.course.contract import REPO_ROOT
    from autograder.course.samples.catalog import student_source

    losses = student_source((REPO_ROOT / "solutions" / "losses.py").read_text("utf-8"))
    records, started = run_hidden_losses_and_mnist(tmp_path, monkeypatch, {"losses": losses})
    mnist = [r for r in records if r["module"] == "mnist_classifier"]
    assert mnist and {r["kind"] for r in mnist} == {"missing_module"}
    assert any(r["module"] == "losses" and r["passed"] for r in records)
    assert [profile for profile, _, _ in started] == ["numpy"]


def test_a_handed_in_keras_module_gets_its_worker_before_any_student_code_runs(tmp_path,
                                                                             monkeypatch):
    """With mnist_classifier.py handed in, its worker is spawned when collection ends,
    before the first test calls any student code (so it boots while the numpy suites
    run), and the suite's grader files are in its copy before it starts."""
    from autograder.course.contract import REPO_ROOT

    stubs = {module: (REPO_ROOT / "assignments" / f"{module}.py").read_text("utf-8")
             for module in ("losses", "mnist_classifier")}
    _, started = run_hidden_losses_and_mnist(tmp_path, monkeypatch, stubs)
    assert started[0][0] == "numpy"
    assert started[1] == ("keras", 0, ["mnist_small.npz", "not_mnist.npz"])
