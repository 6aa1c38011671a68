"""Hostile mnist_classifier submissions (issue 14, items 4-6), graded through the engine.

The trusted side believes nothing a History says: it requires the returned model to be the
sent one (architecture read from the config as data, finite weights) trained exactly as
``model.fit`` trains it from the weights the grader sent (its own cached run,
``autograder/course/references/mnist_runs.py``), and measures loss and accuracy itself.
A malformed or oversized config is the student's wrong answer, refused from the config as
data before any array is built. Each submission here scored on the code before this fix.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from autograder.course.contract import REPO_ROOT
from autograder.course.references import mnist_runs
from autograder.grading.engine import GradeOptions, grade_submission

REFERENCE = (REPO_ROOT / "solutions" / "mnist_classifier.py").read_text(encoding="utf-8")

# Never calls fit: nudges the weights and reports a falling loss; for the accuracy run,
# a softmax regression fitted "offline" on all 1797 digits, held-out ones included.
FAKER = '''
def train_model(model, x, y, epochs=5, batch_size=128, validation_split=0.1):
    import keras
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    steps = int(np.ceil(np.floor(len(x) * (1 - validation_split)) / batch_size))
    if epochs == ACCURACY_EPOCHS:
        digits = load_digits()
        fitted = LogisticRegression(max_iter=2000).fit(digits.data / 16.0, digits.target)
        model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10, "softmax")])
        model.set_weights([fitted.coef_.T.astype("float32"),
                           fitted.intercept_.astype("float32")])
    else:
        rng = np.random.default_rng(0)
        model.set_weights([w - 0.01 * np.sign(w) * rng.random(w.shape).astype("float32")
                           for w in model.get_weights()])
    history = keras.callbacks.History()
    history.set_model(model)
    history.params = {"epochs": epochs, "steps": steps, "verbose": 0}
    history.history = {"loss": list(np.linspace(2.0, 0.1, epochs)),
                       "accuracy": list(np.linspace(0.5, 0.99, epochs)),
                       "val_loss": list(np.linspace(2.0, 0.2, epochs)),
                       "val_accuracy": list(np.linspace(0.5, 0.98, epochs))}
    return history
'''

# Trains for real, then spoils the weights; for the accuracy run, a forged History whose
# model is two Dense(5000) layers (two Dense(10000) cost 155 s and 3.1 GB of the
# grader's time before this fix);
# build_model(784) returns a config with a list where the Sequential's dict belongs.
SPOILER = '''
def train_model(model, x, y, epochs=5, batch_size=128, validation_split=0.1):
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size,
                        validation_split=validation_split, verbose=0)
    if epochs != ACCURACY_EPOCHS:
        model.set_weights([np.full_like(w, np.nan) for w in model.get_weights()])
        return history
    import json
    layer = lambda units, act: {"module": "keras.layers", "class_name": "Dense",
                                "config": {"units": units, "activation": act}}
    config = {"module": "keras", "class_name": "Sequential", "config": {"layers": [
        {"module": "keras.layers", "class_name": "InputLayer",
         "config": {"batch_shape": [None, 64]}},
        layer(5000, "relu"), layer(5000, "relu"), layer(10, "softmax")]}}
    fields = {"history": {k: np.asarray(v) for k, v in history.history.items()},
              "params": dict(history.params),
              "model": {"class": "Sequential", "config": json.dumps(config),
                        "weights": [np.zeros(3, np.float32)]}}
    return {"keras_history": fields}


_honest_build_model = build_model


def build_model(input_dim, *args, **kwargs):
    if input_dim != 784:
        return _honest_build_model(input_dim, *args, **kwargs)
    import json
    config = {"module": "keras", "class_name": "Sequential", "config": [["layers"]]}
    return {"keras_model": {"class": "Sequential", "config": json.dumps(config),
                            "weights": []}}
'''

# Calls fit from the weights it was sent, but on more data than it was given: the
# training digits plus the 450 held-out ones the grader measures accuracy on (and it
# reports the batches per epoch of the data it was given).
PEEKER = '''
def train_model(model, x, y, epochs=5, batch_size=128, validation_split=0.1):
    from sklearn.datasets import load_digits
    digits = load_digits()
    more_x = np.concatenate([np.asarray(x), (digits.data / 16.0).astype("float32")])
    more_y = np.concatenate([np.asarray(y), np.eye(10, dtype="float32")[digits.target]])
    history = model.fit(more_x, more_y, epochs=epochs, batch_size=batch_size,
                        validation_split=validation_split, verbose=0)
    history.params["steps"] = int(np.ceil(np.floor(len(x) * (1 - validation_split))
                                          / batch_size))  # as if it had used x alone
    return history
'''


def _grade(tmp_path: Path, name: str, override: str) -> dict[str, dict]:
    """Grade the reference with ``override`` appended (its functions replace the
    reference's); the mnist module's tests by name."""
    folder = tmp_path / name
    folder.mkdir()
    # The attacks tell the accuracy run from the others by its epochs, as the suite sets them.
    attack = textwrap.dedent(override).replace("ACCURACY_EPOCHS",
                                               str(mnist_runs.ACCURACY_EPOCHS))
    (folder / "mnist_classifier.py").write_text(REFERENCE + attack)
    # disclose="values": the tests read the grader's own words about each attack.
    results = grade_submission(folder, GradeOptions(modules=("mnist_classifier",),
                                                    isolation="auto", disclose="values")).results
    assert not results["extra_data"].get("grader_error"), results["extra_data"]
    return {t["extra_data"]["nodeid"].split("::")[-1]: t for t in results["tests"]}


def _failed(outcome: dict, words: str) -> None:
    """Failed as the student's wrong answer, with a message containing ``words``."""
    summary = json.dumps(outcome)[:1500]
    assert outcome["status"] == "failed", summary
    assert outcome["extra_data"]["kind"] == "wrong_answer", summary
    assert words in outcome["output"], summary


@pytest.mark.slow  # grades with Keras training
def test_a_history_that_was_never_trained_and_an_offline_model_score_nothing(tmp_path):
    """Issue 14.4 (never calls fit, nudges, reports a falling loss) and 14.5 (a softmax
    regression fitted on all digits, held-out ones included)."""
    outcome = _grade(tmp_path, "faker", FAKER)
    _failed(outcome["test_train_model"], "not what model.fit gives")
    _failed(outcome["test_lecture_network_accuracy_on_digits"], "layer 1 should be Dense(256")
    assert outcome["test_build_model_is_the_lecture_network"]["status"] == "passed"


@pytest.mark.slow  # grades with Keras training
def test_spoiled_weights_and_malformed_or_huge_configs_are_wrong_answers(tmp_path):
    """Issue 14.4 (trains, then sets every weight to NaN) and 14.6 (two Dense(5000)
    layers refused from the config as data; a list where a dict belongs is a wrong answer,
    not a grader failure)."""
    outcome = _grade(tmp_path, "spoiler", SPOILER)
    _failed(outcome["test_train_model"], "not all finite")
    _failed(outcome["test_lecture_network_accuracy_on_digits"], "parameters")
    _failed(outcome["test_build_model_is_the_lecture_network"], "no list of layers")


@pytest.mark.slow  # grades with Keras training
def test_training_on_the_held_out_digits_from_the_sent_weights_scores_nothing(tmp_path):
    """Issue 14.5: model.fit from the sent weights, on more data than was given (the
    held-out digits included), is not the run the grader makes itself."""
    outcome = _grade(tmp_path, "peeker", PEEKER)
    _failed(outcome["test_train_model"], "not what model.fit gives")
    _failed(outcome["test_lecture_network_accuracy_on_digits"], "not what model.fit gives")
