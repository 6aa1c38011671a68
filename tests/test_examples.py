"""The lecture examples (``dltips examples``) and ``dltips predict``.

Each example runs once on its quick settings; the tests assert what its figure must show
from the numbers it returns (divergence, slow convergence, the normalization speed-up, the
overfitting gap closing, optimizer differences, BN's stability at a high rate) and that
every PNG is written. ``dltips predict`` must recognise images made from held-out digits.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

from autograder import cli
from autograder.examples import EXAMPLES, run_examples

# Slow end to end: deselected by the README's test command, run by .ci/run.
pytestmark = pytest.mark.slow

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def examples(tmp_path_factory) -> dict:
    """Every example, quick settings, as `dltips examples --quick` runs them."""
    out = tmp_path_factory.mktemp("figures")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        results = run_examples([], out, quick=True)
    return {"out": out, "printed": printed.getvalue(), "results": {r.name: r for r in results}}


def test_every_example_writes_its_figure(examples):
    assert list(examples["results"]) == list(EXAMPLES)
    for name, result in examples["results"].items():
        assert result.figure == examples["out"] / f"{name}.png"
        assert result.figure.read_bytes()[:8] == PNG and result.figure.stat().st_size > 10_000


def test_learning_rate_diverges_crawls_and_converges_like_gradient_descent(examples):
    runs = examples["results"]["learning_rate"].numbers["runs"]
    assert {rate: r["verdict"] for rate, r in runs.items()} == {
        10.0: "diverged", 0.001: "too_slow", 0.1: "converged"}
    assert not np.all(np.isfinite(runs[10.0]["keras"]))       # Keras blew up to inf/NaN
    for r in runs.values():                                      # the curves coincide
        assert r["max_rel_diff"] < 1e-4
    assert "learning_rate=10" in examples["printed"] and "diverged" in examples["printed"]


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


def test_overfitting_gap_closes_with_every_remedy(examples):
    numbers = examples["results"]["overfitting"].numbers
    baseline = numbers["baseline"]
    assert baseline["train_mse"] < 0.01 < baseline["val_mse"]     # memorised the noise
    for remedy in ("more data", "fewer features", "L2", "dropout"):
        assert numbers[remedy]["gap"] < 0.7 * baseline["gap"], remedy


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


def test_batch_norm_trains_where_the_plain_network_dies(examples):
    numbers = examples["results"]["batch_norm"].numbers
    plain, normalized = numbers["plain@0.05"], numbers["bn@0.05"]
    assert plain["final_loss"] > 2.0 and plain["accuracy"] < 0.3   # stuck at chance
    assert normalized["final_loss"] < 1.5 and normalized["accuracy"] > 0.6


def test_examples_command_rejects_an_unknown_name(tmp_path, capsys):
    assert cli.main(["examples", "gradient_clipping", "--out", str(tmp_path)]) == 2
    assert "unknown example" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


# ----- dltips predict ------------------------------------------------------------------
def _held_out_images(folder: Path, count: int) -> dict[Path, int]:
    """Held-out 8x8 digits drawn as a scan would be: upscaled, dark ink on white paper,
    off-centre on a larger page; every third one a JPEG."""
    from PIL import Image

    from solutions.mnist_classifier import load_digits_dataset

    (_, _), (x_test, y_test) = load_digits_dataset()
    folder.mkdir()
    made = {}
    for i in range(count):
        ink = Image.fromarray(np.uint8(255 * x_test[i] / 16.0)).resize(
            (96, 96), Image.Resampling.BILINEAR)
        page = Image.new("L", (150, 124), 0)
        page.paste(ink, (14 + 3 * (i % 5), 10 + 2 * (i % 3)))
        path = folder / f"digit{i}.{'jpg' if i % 3 == 0 else 'png'}"
        Image.eval(page, lambda v: 255 - v).convert("RGB").save(path)
        made[path] = int(y_test[i])
    return made


def test_predict_recognises_held_out_digit_images(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DLTIPS_CACHE", str(tmp_path / "cache"))
    images = _held_out_images(tmp_path / "images", 20)
    out = tmp_path / "figures"
    assert cli.main(["predict", *map(str, images), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "trained the lecture model" in printed
    labels = {Path(m.group(1)).name: int(m.group(2))
              for m in re.finditer(r"(\S+\.(?:png|jpg)): (\d)\s+\(top 3", printed)}
    correct = sum(labels[path.name] == label for path, label in images.items())
    assert len(labels) == 20 and correct >= 18, (correct, labels)
    assert re.search(r"top 3: \d: [\d.]+ %, \d: [\d.]+ %, \d: [\d.]+ %", printed)
    figures = sorted(out.glob("*_prediction.png"))
    assert len(figures) == 20 and all(f.read_bytes()[:8] == PNG for f in figures)
    # The second run uses the cached model; --model takes any saved Keras model.
    first = next(iter(images))
    assert cli.main(["predict", str(first), "--out", str(out)]) == 0
    assert "using the cached lecture model" in capsys.readouterr().out
    cached = tmp_path / "cache" / "digits_lecture_mlp.keras"
    assert cli.main(["predict", str(first), "--model", str(cached), "--out", str(out)]) == 0
    assert f"{first}: {labels[first.name]}" in capsys.readouterr().out


def test_predict_errors_are_one_line(tmp_path, capsys):
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("L", (40, 40), 255).save(blank)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    for args, message in ([[str(tmp_path / "absent.png")], "no such image file"],
                          [[str(blank), "--model", str(tmp_path / "none.keras")],
                           "no such model file"]):
        assert cli.main(["predict", *args]) == 2
        err = capsys.readouterr().err
        assert message in err and err.strip().count("\n") == 0
    from autograder.examples import predict

    with pytest.raises(predict.ImageError, match="no ink"):
        predict.to_input(predict.read_gray(blank), 8, 16.0)
    with pytest.raises(predict.ImageError, match="not a readable"):
        predict.read_gray(broken)
