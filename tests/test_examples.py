"""The lecture examples (``dltips examples``) and ``dltips predict``.

Each example runs once on its quick settings; the tests assert what its figure must show
from the numbers it returns (divergence, slow convergence, the normalization speed-up, the
overfitting gap closing, optimizer differences, BN's stability at a high rate) and that
every PNG is written. ``dltips predict`` is tested in test_predict.py.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from autograder import cli
from autograder.examples import EXAMPLES, run_examples

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def examples(tmp_path_factory) -> dict:
    """Every example, quick settings, as `dltips examples --quick` runs them."""
    out = tmp_path_factory.mktemp("figures")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        results = run_examples([], out, quick=True)
    return {"out": out, "printed": printed.getvalue(), "results": {r.name: r for r in results}}


@pytest.mark.slow  # trains the lecture's Keras examples
def test_every_example_writes_its_figure(examples):
    assert list(examples["results"]) == list(EXAMPLES)
    for name, result in examples["results"].items():
        assert result.figure == examples["out"] / f"{name}.png"
        assert result.figure.read_bytes()[:8] == PNG and result.figure.stat().st_size > 10_000


@pytest.mark.slow  # trains the lecture's Keras examples
def test_learning_rate_diverges_crawls_and_converges_like_gradient_descent(examples):
    runs = examples["results"]["learning_rate"].numbers["runs"]
    assert {rate: r["verdict"] for rate, r in runs.items()} == {
        10.0: "diverged", 0.001: "too_slow", 0.1: "converged"}
    assert not np.all(np.isfinite(runs[10.0]["keras"]))       # Keras blew up to inf/NaN
    for r in runs.values():                                      # the curves coincide
        assert r["max_rel_diff"] < 1e-4
    assert "learning_rate=10" in examples["printed"] and "diverged" in examples["printed"]


@pytest.mark.slow  # trains the lecture's Keras examples
def test_normalization_speeds_up_descent(examples):
    numbers = examples["results"]["normalization"].numbers
    runs = numbers["runs"]
    assert runs["raw"]["epochs"] is None                         # not within the cap
    assert runs["standardized"]["epochs"] is not None
    assert runs["min-max"]["epochs"] is not None
    assert runs["standardized"]["epochs"] * 10 < numbers["cap"]
    assert runs["raw"]["condition"] > 1e4 * runs["min-max"]["condition"]
    assert runs["standardized"]["condition"] < runs["min-max"]["condition"]
    table = numbers["table"]
    np.testing.assert_allclose(table["standardized"].mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(table["min-max"].min(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(table["min-max"].max(axis=0), 1, atol=1e-12)


@pytest.mark.slow  # trains the lecture's Keras examples
def test_overfitting_gap_closes_with_every_remedy(examples):
    numbers = examples["results"]["overfitting"].numbers
    baseline = numbers["baseline"]
    assert baseline["train_mse"] < 0.01 < baseline["val_mse"]     # memorised the noise
    for remedy in ("more data", "fewer features", "L2", "dropout"):
        assert numbers[remedy]["gap"] < 0.7 * baseline["gap"], remedy


@pytest.mark.slow  # trains the lecture's Keras examples
def test_optimizers_differ_as_the_lecture_says(examples):
    numbers = examples["results"]["optimizers"].numbers
    loss = {name: r["final_loss"] for name, r in numbers["classifier"].items()}
    assert set(loss) == {"SGD", "momentum", "Nesterov", "Adagrad", "RMSprop", "Adadelta",
                         "Adam"}
    assert loss["momentum"] < loss["SGD"] and loss["Nesterov"] < loss["SGD"]
    distance = numbers["surface_distance"]
    for fast in ("momentum", "Nesterov", "RMSprop", "Adam"):
        assert distance[fast] < distance["SGD"], fast
    assert max(distance, key=distance.get) == "Adadelta"


@pytest.mark.slow  # trains the lecture's Keras examples
def test_batch_norm_trains_where_the_plain_network_dies(examples):
    numbers = examples["results"]["batch_norm"].numbers
    plain, normalized = numbers["plain@0.05"], numbers["bn@0.05"]
    assert plain["final_loss"] > 2.0 and plain["accuracy"] < 0.3   # stuck at chance
    assert normalized["final_loss"] < 1.5 and normalized["accuracy"] > 0.6


def test_examples_command_rejects_an_unknown_name(tmp_path, capsys):
    assert cli.main(["examples", "gradient_clipping", "--out", str(tmp_path)]) == 2
    assert "unknown example" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
