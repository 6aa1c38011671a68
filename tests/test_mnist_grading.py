"""Grading mnist_classifier in the sandbox: the keras worker profile's view and limits,
grader data files in the copy, and a submission that lies about its model and history.

(The reference and the independent implementation getting full marks, and the catalogue's
mnist mistakes losing exactly their functions, are in test_grading.py.)
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from autograder.course.contract import REPO_ROOT
from autograder.grading import limits
from autograder.grading.engine import GradeOptions, grade_submission
from autograder.sandbox import levels, paths, profiles
from autograder.sandbox.profiles import KERAS
from autograder.sandbox.session import StudentSession

INSPECT = """
import os, resource

def view(paths):
    seen = {}
    for path in paths:
        try:
            seen[path] = sorted(os.listdir(path))
        except OSError as error:
            seen[path] = type(error).__name__
    return seen

def readable(paths):
    out = {}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                out[path] = len(handle.read())
        except OSError as error:
            out[path] = type(error).__name__
    return out

def limits():
    return {"as": resource.getrlimit(resource.RLIMIT_AS)[0],
            "env": {k: os.environ.get(k) for k in ("KERAS_BACKEND", "TF_NUM_INTRAOP_THREADS",
                                                     "PATH")}}
"""


def _session(tmp_path: Path, level: str, **kwargs) -> StudentSession:
    (tmp_path / "sub").mkdir(exist_ok=True)
    (tmp_path / "sub" / "inspect.py").write_text(INSPECT)
    return StudentSession(tmp_path / "sub", isolation=level, profile=KERAS,
                          memory_limit=KERAS.memory_mb * 2**20, **kwargs)


@pytest.mark.slow
def test_keras_profile_view_adds_tensorflow_and_nothing_of_the_grader(tmp_path):
    if not levels.level_status("bwrap")[0]:
        pytest.skip("bubblewrap is not usable here (CI installs it)")
    site = str(paths.numpy_dir().parent)
    with _session(tmp_path, "bwrap") as session:
        seen = session.call("inspect", "view", [site])[site]
        assert {"numpy", "tensorflow", "keras", "sklearn", "scipy"} <= set(seen)
        allowed = {p.name for p in profiles.package_paths(KERAS.packages)} | {"numpy.libs"}
        assert set(seen) <= allowed  # e.g. no editable finder of this project, no pip
        assert not any("dltips" in name or name.endswith(".pth") for name in seen)
        secrets = [str(REPO_ROOT / "solutions" / "mnist_classifier.py"),
                   str(REPO_ROOT / "autograder" / "suites" / "hidden" /
                       "test_mnist_classifier.py"),
                   str(REPO_ROOT / "tests" / "independent" / "mnist_classifier.py")]
        assert set(session.call("inspect", "readable", secrets).values()) <= {
            "FileNotFoundError", "PermissionError"}
        state = session.call("inspect", "limits")
        assert state["as"] == KERAS.memory_mb * 2**20
        assert state["env"]["KERAS_BACKEND"] == "tensorflow"
        assert state["env"]["PATH"] == paths.SYSTEM_PATH  # the profile never replaces ours


@pytest.mark.slow
def test_grader_files_are_in_the_copy_before_the_worker_starts(tmp_path):
    files = {"grader_data/a.bin": b"\x00\x01abc", "top.txt": b"hello"}
    with _session(tmp_path, "auto", extra_files=files) as session:
        sizes = session.call("inspect", "readable", list(files))
        assert sizes == {name: len(data) for name, data in files.items()}
    for bad in ("../escape.txt", "/tmp/dltips-absolute-escape.txt"):
        with pytest.raises(ValueError, match="relative"):
            _session(tmp_path, "none", extra_files={bad: b"x"})
    assert not Path("/tmp/dltips-absolute-escape.txt").exists()


LIAR = '''
"""Tells the grader what it wants to hear: a forged model, a forged History."""
import json
import numpy as np
import keras

def build_model(input_dim, num_classes=10, hidden_units=(256,) * 5, dropout_rate=0.2,
                batch_norm=False, l2=0.0, learning_rate=0.001):
    if input_dim == 784:  # a forged export naming a function to run on the grader's side
        config = {"module": "keras", "class_name": "Sequential", "config": {"layers": [
            {"module": "os", "class_name": "system", "config": {"command": "touch pwned"}}]}}
        return {"keras_model": {"class": "Sequential", "config": json.dumps(config),
                                "weights": []}}
    model = keras.Sequential([keras.Input((input_dim,))]
                             + [keras.layers.Dense(h, activation="relu") for h in hidden_units]
                             + [keras.layers.Dense(num_classes, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model

def train_model(model, x, y, epochs=5, batch_size=128, validation_split=0.1):
    """Never trains; claims a perfect run and returns the untouched model."""
    steps = int(np.ceil(np.floor(len(x) * (1 - validation_split)) / batch_size))
    perfect = {"loss": np.linspace(1, 0, epochs), "accuracy": np.ones(epochs),
               "val_loss": np.zeros(epochs), "val_accuracy": np.ones(epochs)}
    return {"keras_history": {"history": perfect, "params": {"epochs": epochs, "steps": steps},
                              "model": {"class": "Sequential", "config": model.to_json(),
                                        "weights": model.get_weights()}}}
'''


@pytest.mark.slow
def test_a_lying_submission_earns_nothing_for_its_lies(tmp_path):
    """Forged configs are refused as data, a forged History's accuracy is ignored (the
    grader measures the returned model), an untrained model's loss is measured unchanged."""
    liar = tmp_path / "liar"
    liar.mkdir()
    (liar / "mnist_classifier.py").write_text(textwrap.dedent(LIAR))
    results = grade_submission(liar, GradeOptions(modules=("mnist_classifier",),
                                                  disclose="values")).results  # in full
    outcome = {t["extra_data"]["nodeid"].split("::")[-1]: t for t in results["tests"]}
    architecture = outcome["test_build_model_is_the_lecture_network"]
    assert architecture["status"] == "failed" and "does not accept" in architecture["output"]
    accuracy = outcome["test_lecture_network_accuracy_on_digits"]
    assert accuracy["status"] == "failed" and "layer 2 should be Dropout" in accuracy["output"]
    assert "did not fall" in outcome["test_train_model"]["output"]
    assert not (REPO_ROOT / "pwned").exists() and not Path("pwned").exists()
    assert results["score"] == 0.0, json.dumps(results["tests"], indent=1)[:2000]


def test_profiles_are_declared_once_per_module():
    assert limits.profile_for("mnist_classifier") is KERAS
    assert limits.profile_for("losses") is profiles.DEFAULT
    assert KERAS.server_args() == ["--bridge", "keras"]
    assert profiles.DEFAULT.server_args() == []
    # The keras profile's extra wall cap counts only when its module is graded.
    assert limits.extra_wall_cap(("losses",)) == 0
    assert limits.extra_wall_cap(()) == KERAS.wall_cap
    assert limits.runner_memory_mb(("losses",)) == limits.RUNNER_MEMORY_MB
    assert limits.runner_memory_mb(()) == limits.RUNNER_MEMORY_MB + KERAS.runner_extra_mb
    # A grading environment without TensorFlow is reported as the grader's problem.
    assert profiles.missing_distributions(KERAS) == []
    absent = profiles.WorkerProfile("x", packages=("keras", "no-such-distribution-dltips"))
    assert profiles.missing_distributions(absent) == ["no-such-distribution-dltips"]


# Trains from a shuffled copy of its data, shuffled with numpy's global generator: what it
# returns, and the grader's message about it, depend on that generator's state. The
# worker seeds every call, so the message is the same at every grading.
SHUFFLER = '''

def train_model(model, x, y, epochs=5, batch_size=128, validation_split=0.1):
    order = np.random.permutation(len(x))
    return model.fit(np.asarray(x)[order], np.asarray(y)[order], epochs=epochs,
                     batch_size=batch_size, validation_split=validation_split, verbose=0)
'''


def _without_timings(value):
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items()
                if k not in ("execution_time", "duration")}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


@pytest.mark.slow  # three Keras gradings
def test_grading_the_same_complete_submission_three_times_gives_identical_results(tmp_path):
    """Issue 15: every module of the unit, the mnist one training from randomly shuffled
    data; three gradings in a row give the same results.json apart from timings."""
    from autograder.course.contract import MODULES

    submission = tmp_path / "complete"
    submission.mkdir()
    for module in MODULES:
        source = (REPO_ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8")
        extra = textwrap.dedent(SHUFFLER) if module == "mnist_classifier" else ""
        (submission / f"{module}.py").write_text(source + extra)
    runs = [_without_timings(grade_submission(submission, GradeOptions(disclose="values")).results)
            for _ in range(3)]
    outcome = {t["extra_data"]["nodeid"].split("::")[-1]: t for t in runs[0]["tests"]}
    shuffled = outcome["test_train_model"]
    assert shuffled["status"] == "failed" and "not what model.fit gives" in shuffled["output"]
    assert runs[0]["score"] == pytest.approx(sum(t["max_score"] for t in runs[0]["tests"]) - 6)
    for again in runs[1:]:
        assert again["tests"] == runs[0]["tests"]
        assert again["extra_data"] == runs[0]["extra_data"]  # the student's output too
        assert again == runs[0]
