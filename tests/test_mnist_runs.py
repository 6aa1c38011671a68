"""The grader's cached training runs (``mnist_runs.npz``) are what live Keras trains now.

The hidden mnist suite compares a student's ``train_model`` with these runs, so a cache
made with another TensorFlow or Keras (or a changed reference) would fail honest students:
this trains every run again with the installed versions and compares.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from autograder.course.references import mnist_runs
from autograder.course.suites import keras_models, numpy_model
from autograder.course.suites.hidden import test_mnist_classifier as suite


def test_cache_was_made_with_the_installed_tensorflow_and_keras():
    assert mnist_runs.cached_versions() == mnist_runs.versions(), (
        "retrain the cache: python -m autograder.course.references.mnist_runs")


def _without_names(config: object) -> object:
    """A config with its layer names dropped: Keras numbers them by how many layers the
    process made before (``dense`` in a fresh process, ``dense_12`` in a test session)."""
    if isinstance(config, dict):
        return {key: _without_names(value) for key, value in config.items() if key != "name"}
    if isinstance(config, list):
        return [_without_names(value) for value in config]
    return config


@pytest.mark.slow  # trains every cached run
def test_live_training_reproduces_the_cache():
    live = mnist_runs.generate()
    cached = mnist_runs.load()
    for name, run in cached.items():
        assert (_without_names(json.loads(str(live[f"{name}/config"])))
                == _without_names(json.loads(run.config))), name
        for i, weights in enumerate(run.trained):
            moved = np.abs(live[f"{name}/trained/{i}"] - weights).max()
            assert moved <= 1e-5, (name, i, moved)
        for key, values in (run.history or {}).items():
            np.testing.assert_allclose(live[f"{name}/history/{key}"], values, rtol=1e-5)


def test_the_cached_lecture_run_clears_the_accuracy_bar_by_a_margin():
    """The grader's own run of the lecture network, evaluated in numpy as a student's is."""
    run = mnist_runs.load()["lecture"]
    model = keras_models.ReturnedModel("Sequential", json.loads(run.config), run.config,
                                       run.trained)
    _, _, x_test, y_test = mnist_runs.digits()
    accuracy = float(np.mean(numpy_model.predicted_labels(model, x_test, "m") == y_test))
    assert accuracy >= suite.ACCURACY_TARGET + 0.01, accuracy


def test_initial_weights_are_the_graders_own_and_fixed():
    shapes = [(64, 32), (32,), (32, 10), (10,)]
    first, again = mnist_runs.initial_weights(shapes), mnist_runs.initial_weights(shapes)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.abs(first[0]).max() <= np.sqrt(6 / 96) and not first[1].any()


def test_cached_scikit_learn_answers_are_what_scikit_learn_says_now():
    """The hidden suite reads the digits splits and confusion matrices from the cache (a
    grading run imports no scikit-learn): they must be live scikit-learn's, exactly."""
    for test_size, seed in mnist_runs.SPLITS:
        for cached, live in zip(mnist_runs.digits_split(test_size, seed),
                                mnist_runs.live_digits_split(test_size, seed), strict=True):
            assert cached.dtype == live.dtype == np.uint8
            np.testing.assert_array_equal(cached, live)
    answers = mnist_runs.confusion_answers()
    for (y_true, y_pred, classes), cached in zip(mnist_runs.confusion_cases(), answers,
                                                 strict=True):
        np.testing.assert_array_equal(cached, mnist_runs.live_confusion(y_true, y_pred, classes))
        assert cached.shape == (classes, classes) and cached.sum() == len(y_true)
    np.testing.assert_array_equal(mnist_runs.digits()[2], mnist_runs.digits(live=True)[2])


def test_a_grading_run_of_the_mnist_suite_imports_no_scikit_learn():
    """Importing the hidden suite and loading all it compares with leaves scikit-learn
    (and TensorFlow) unimported; checked in a fresh interpreter."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from autograder.course.suites.hidden import test_mnist_classifier as s\n"
            "s.warm_up(); s._digits_split(0.2, 3)\n"
            "from autograder.course.references import mnist_runs as m\n"
            "m.confusion_answers()\n"
            "print(sorted(n for n in ('sklearn', 'tensorflow', 'keras') if n in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
