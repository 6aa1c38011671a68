"""``dltips predict``: MNIST-style preparation, digits as people draw them, hostile inputs.

The accuracy test draws its digits with pen strokes in code (``tests/drawn_digits.py``),
independently of the default model's training data (font glyphs and scikit-learn's scans).
The default model is trained once per session in a shared temporary cache (``slow``).
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from drawn_digits import drawn_set

from autograder import cli
from autograder.examples import digit_image, predict

PNG = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_of_declared_size(path: Path, width: int, height: int, rows: int | None = None) -> Path:
    """A grayscale PNG declaring width x height; ``rows`` of real (blank) data, all if None:
    a few kilobytes for a size that decodes to hundreds of megabytes."""
    compress = zlib.compressobj(9)
    line = b"\x00" + b"\xff" * width
    data = b"".join(compress.compress(line) for _ in range(height if rows is None else rows))
    data += compress.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(PNG + _chunk(b"IHDR", header) + _chunk(b"IDAT", data)
                     + _chunk(b"IEND", b""))
    return path


# ----- preparation (fast, no model) ------------------------------------------------------
def _stroke_seven(size: int, pen: int, paper: bool, at: tuple[int, int] = (0, 0)) -> np.ndarray:
    from PIL import Image, ImageDraw

    image = Image.new("L", (size, size), 255 if paper else 0)
    x, y = at
    s = size // 3
    ImageDraw.Draw(image).line([(x + s // 4, y + s // 4), (x + s, y + s // 4),
                                (x + s // 2, y + s * 3 // 2)], fill=0 if paper else 255,
                               width=pen)
    return np.asarray(image, dtype=np.float32)


def test_preparation_follows_mnist():
    pixels = digit_image.prepare(_stroke_seven(300, 12, paper=True, at=(40, 30))).pixels
    assert pixels.shape == (28, 28) and pixels.max() == pytest.approx(1.0)
    rows, cols = np.nonzero(pixels > 0.05)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 == 20             # fits the 20x20 box
    assert np.ptp(cols) < np.ptp(rows)                            # aspect ratio kept
    r, c = np.indices(pixels.shape)
    centre = ((r * pixels).sum() / pixels.sum(), (c * pixels).sum() / pixels.sum())
    assert np.allclose(centre, 13.5, atol=1.0)                    # centre of mass centred
    assert pixels[0].max() == 0 and pixels[:, 0].max() == 0        # background black


def test_paper_and_canvas_give_the_same_input_and_position_does_not_matter():
    paper = digit_image.prepare(_stroke_seven(300, 12, paper=True, at=(10, 20)))
    canvas = digit_image.prepare(_stroke_seven(300, 12, paper=False, at=(120, 90)))
    assert paper.inverted and not canvas.inverted
    np.testing.assert_allclose(paper.pixels, canvas.pixels, atol=0.02)


def test_a_hair_thin_stroke_is_thickened_like_a_pen_line():
    thin = digit_image.prepare(_stroke_seven(600, 2, paper=True)).pixels
    thick = digit_image.prepare(_stroke_seven(600, 20, paper=True)).pixels
    assert (thin > 0.5).sum() > 0.6 * (thick > 0.5).sum()          # not a faint ghost
    assert (thin > 0.5).sum() >= 30


def test_the_older_8x8_models_get_a_digit_that_fills_the_frame():
    pixels = digit_image.prepare(_stroke_seven(200, 10, paper=True), side=8).pixels
    assert pixels.shape == (8, 8)
    assert pixels[:, :].max(axis=1).min() > 0 or pixels.max(axis=0).min() > 0


# ----- hostile and broken images (refused from the header, one line) --------------------
def test_a_huge_declared_png_is_refused_before_decoding(tmp_path):
    bomb = png_of_declared_size(tmp_path / "bomb.png", 20_000, 20_000, rows=4)  # 400 MP
    assert bomb.stat().st_size < 10_000
    with pytest.raises(digit_image.ImageError, match="megapixels; dltips predict reads at most 24"):
        digit_image.read_gray(bomb)


def test_an_image_over_the_project_cap_is_refused_even_below_pillows_limit(tmp_path):
    big = png_of_declared_size(tmp_path / "big.png", 5_500, 5_500)  # 30 MP, a valid file
    with pytest.raises(digit_image.ImageError, match="at most 24"):
        digit_image.read_gray(big)


def test_a_large_photo_is_worked_on_reduced(tmp_path):
    from PIL import Image

    photo = Image.new("L", (4000, 3000), 255)
    photo.paste(0, (1500, 1000, 1700, 2200))
    photo.save(tmp_path / "photo.jpg")
    photo.save(tmp_path / "photo.png")
    for name in ("photo.jpg", "photo.png"):
        gray = digit_image.read_gray(tmp_path / name)
        assert max(gray.shape) <= digit_image.WORK_SIDE, name
        assert gray.min() < 60 and gray.max() > 200


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b"not an image at all"), "not a readable"),
    (lambda p: p.write_bytes(b"%PDF-1.4\n" + b"x" * 100), "not a readable"),
    (lambda p: p.write_bytes(png_of_declared_size(p, 64, 64).read_bytes()[:60]),
     "not a readable"),
    (lambda p: p.write_bytes(PNG + b"\x00\x00\x00\x0dIHDR" + b"\xff" * 40),
     "not a readable"),
])
def test_broken_files_are_one_line_errors(tmp_path, make, message):
    path = tmp_path / "digit.png"
    make(path)
    with pytest.raises(digit_image.ImageError, match=message) as caught:
        digit_image.read_gray(path)
    assert "\n" not in str(caught.value)


def test_a_blank_image_holds_no_ink(tmp_path):
    from PIL import Image

    Image.new("L", (40, 40), 255).save(tmp_path / "blank.png")
    with pytest.raises(digit_image.ImageError, match="no ink"):
        digit_image.prepare(digit_image.read_gray(tmp_path / "blank.png"))


# ----- the default model (trained once per session) -------------------------------------
@pytest.fixture(scope="session")
def default_cache(tmp_path_factory) -> Path:
    cache = tmp_path_factory.mktemp("dltips_cache")
    predict.default_model(cache, say=lambda line: None)
    return cache


@pytest.fixture()
def trained(default_cache, monkeypatch) -> Path:
    monkeypatch.setenv("DLTIPS_CACHE", str(default_cache))
    return default_cache


@pytest.mark.slow
def test_digits_drawn_as_people_draw_them_are_recognised(trained):
    model = predict.default_model(trained)
    drawn = drawn_set(per_style=10, seed=2024)
    images = np.stack([digit_image.prepare(image.astype(np.float32)).pixels
                       for image, _, _ in drawn])
    labels = np.array([label for _, label, _ in drawn])
    guessed = model.probabilities(images).argmax(axis=1)
    wrong = Counter((style, int(g)) for (_, _, style), g in zip(drawn, guessed, strict=True)
                    if g != int(_label_of(style)))
    accuracy = float(np.mean(guessed == labels))
    assert accuracy >= 0.95, (accuracy, wrong)
    paper = np.arange(len(drawn)) % 2 == 0          # drawn_set alternates the backgrounds
    for side in (paper, ~paper):
        assert np.mean(guessed[side] == labels[side]) >= 0.9


def _label_of(style: str) -> int:
    words = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return words.index(style.split("_")[0])


@pytest.mark.slow
def test_predict_command_reads_drawn_files_and_explains(trained, tmp_path, capsys):
    from PIL import Image

    files = {}
    for i, (image, label, style) in enumerate(drawn_set(per_style=1, seed=99)[::3]):
        path = tmp_path / f"{style}.{'jpg' if i % 2 else 'png'}"
        Image.fromarray(image).convert("RGB").save(path)
        files[path] = label
    out = tmp_path / "figures"
    assert cli.main(["predict", *map(str, files), "--out", str(out), "--explain"]) == 0
    printed = capsys.readouterr().out
    said = {Path(m.group(1)).name: int(m.group(2))
            for m in re.finditer(r"(\S+\.(?:png|jpg)): (\d)\s+\(top 3", printed)}
    model = predict.default_model(trained)                  # what the command said is
    assert said == {p.name: predict.predict(model, p).label for p in files}   # the model's
    assert sum(said[p.name] == label for p, label in files.items()) >= len(files) - 2
    assert re.search(r"top 3: \d: [\d.]+ %, \d: [\d.]+ %, \d: [\d.]+ %", printed)
    figures = sorted(out.glob("*_prediction.png"))
    assert len(figures) == len(files) and all(f.read_bytes()[:8] == PNG for f in figures)


@pytest.mark.slow
def test_the_numpy_forward_pass_is_the_keras_model(trained):
    from autograder.examples import digit_model
    from autograder.examples.common import keras

    saved = trained / f"{predict.DEFAULT_NAME}.keras"
    x = np.stack([digit_image.prepare(image.astype(np.float32)).pixels
                  for image, _, _ in drawn_set(per_style=1, seed=5)])
    expected = keras().models.load_model(saved).predict(x[..., None], verbose=0)
    layers, weights = digit_model.load_weights(saved.with_suffix(".npz"))
    np.testing.assert_allclose(digit_model.forward(layers, weights, x), expected, atol=1e-5)


@pytest.mark.slow
def test_refused_images_are_one_line_each_and_the_rest_still_answered(trained, tmp_path,
                                                                       capsys):
    from PIL import Image

    bomb = png_of_declared_size(tmp_path / "bomb.png", 20_000, 20_000, rows=4)
    big = png_of_declared_size(tmp_path / "big.png", 13_000, 13_000, rows=8)   # 169 MP
    truncated = tmp_path / "truncated.png"
    good = tmp_path / "seven.png"
    Image.fromarray(np.uint8(_stroke_seven(120, 6, paper=True))).save(good)
    truncated.write_bytes(good.read_bytes()[:len(good.read_bytes()) // 2])
    text = tmp_path / "notes.png"
    text.write_text("a digit, promise")
    paths = [bomb, big, truncated, text, good]
    assert cli.main(["predict", *map(str, paths), "--out", str(tmp_path / "f")]) == 2
    captured = capsys.readouterr()
    errors = captured.err.strip().splitlines()
    assert len(errors) == 4 and all(line.startswith("dltips: error: ") for line in errors)
    assert "Traceback" not in captured.err
    assert "seven.png: 7" in captured.out


# ----- models a student gives (--model), and --mnist -----------------------------------
def _saved(model, path: Path) -> Path:
    model.save(path)
    return path


@pytest.fixture(scope="module")
def hostile_models(tmp_path_factory) -> dict[str, Path]:
    from autograder.examples.common import keras

    k = keras()
    folder = tmp_path_factory.mktemp("models")
    garbage_zip = folder / "garbage.keras"
    with zipfile.ZipFile(garbage_zip, "w") as archive:
        archive.writestr("config.json", "{ this is not json")
        archive.writestr("model.weights.h5", b"\x00" * 100)
    bad_weights = folder / "bad_weights.keras"
    with zipfile.ZipFile(bad_weights, "w") as archive:
        archive.writestr("config.json", '{"class_name": "Sequential", "config": {}}')
        archive.writestr("model.weights.h5", b"garbage" * 100)
    bomb = folder / "bomb.keras"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", b"\x00" * (200 * 2**20))
    huge = folder / "huge.keras"
    with huge.open("wb") as handle:
        handle.truncate(100 * 2**20)
    h5 = folder / "garbage.h5"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00garbage" * 50)
    not_keras = folder / "model.keras"
    not_keras.write_bytes(b"just text")
    shapes = _saved(k.Sequential([k.Input((32, 32, 3)), k.layers.Flatten(),
                                  k.layers.Dense(10, activation="softmax")]),
                    folder / "rgb32.keras")
    outputs = _saved(k.Sequential([k.Input((784,)), k.layers.Dense(3, activation="softmax")]),
                     folder / "three.keras")
    flat100 = _saved(k.Sequential([k.Input((100,)), k.layers.Dense(10, activation="softmax")]),
                     folder / "flat100.keras")
    student = _saved(k.Sequential([k.Input((64,)), k.layers.Dense(10, activation="softmax")]),
                     folder / "student8x8.keras")
    return {"garbage_zip": garbage_zip, "bad_weights": bad_weights, "bomb": bomb,
            "huge": huge, "h5": h5, "not_keras": not_keras, "shapes": shapes,
            "outputs": outputs, "flat100": flat100, "missing": folder / "absent.keras",
            "student": student}


@pytest.mark.parametrize("name, message", [
    ("garbage_zip", "not a saved Keras model"), ("bad_weights", "Keras cannot load it"),
    ("bomb", "unpacks to more than"), ("huge", "too large"), ("h5", "not a saved Keras model"),
    ("not_keras", "not a saved Keras model"), ("shapes", "takes input (32, 32, 3)"),
    ("outputs", "outputs (None, 3)"), ("flat100", "takes input (100,)"),
    ("missing", "no such model file")])
def test_hostile_model_files_are_one_line_refusals(hostile_models, tmp_path, capsys, name,
                                                   message):
    image = tmp_path / "seven.png"
    from PIL import Image

    Image.fromarray(np.uint8(_stroke_seven(90, 5, paper=True))).save(image)
    assert cli.main(["predict", str(image), "--model", str(hostile_models[name]),
                     "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err, err


def test_a_students_8x8_model_keeps_working(hostile_models, tmp_path, capsys):
    from PIL import Image

    image = tmp_path / "seven.png"
    Image.fromarray(np.uint8(_stroke_seven(90, 5, paper=True))).save(image)
    assert cli.main(["predict", str(image), "--model", str(hostile_models["student"]),
                     "--out", str(tmp_path)]) == 0
    assert re.search(r"seven\.png: \d\s+\(top 3", capsys.readouterr().out)


# ----- crafted model configs: refused as data, before Keras builds a layer (fast) --------
def _layer(kind: str, **config) -> dict:
    return {"module": "keras.layers", "class_name": kind, "config": {"name": kind.lower(),
                                                                      **config}}


def _sequential(*layers: dict, input_shape: tuple = (784,)) -> dict:
    return {"module": "keras", "class_name": "Sequential", "config": {
        "name": "crafted", "layers": [
            _layer("InputLayer", batch_shape=[None, *input_shape]), *layers]}}


_SOFTMAX = _layer("Dense", units=10, activation="softmax")
_CRAFTED = {
    "wide_dense": (_sequential(_layer("Dense", units=10**8), _SOFTMAX),
                   "layer 'dense' takes it over 20,000,000 weights (78,500,000,000)"),
    "wide_conv": (_sequential(_layer("Conv2D", filters=50_000, kernel_size=[3, 3]),
                              _layer("Flatten"), _SOFTMAX, input_shape=(28, 28, 1)),
                  "outputs 33,800,000 values per image"),
    "lying_build_config": (_sequential(
        {**_layer("Dense", units=1000), "build_config": {"input_shape": [None, 10**7]}},
        _SOFTMAX), "records input shape [None, 10000000] but receives (784,)"),
    "unknown_layer": (_sequential(_layer("EinsumDense", equation="ab,bc->ac"), _SOFTMAX),
                      "is a 'EinsumDense', which dltips predict cannot size"),
    "wide_input": (_sequential(_SOFTMAX, input_shape=(10**6,)), "takes input (1000000,)"),
}


@pytest.fixture
def keras_never_loads(monkeypatch) -> list[str]:
    """Keras stands in as a loader that records being reached (and fails if it is)."""
    from autograder.examples import common

    reached: list[str] = []

    def keras(progress: bool = False):
        reached.append("keras")
        raise AssertionError("Keras reached")

    monkeypatch.setattr(common, "keras", keras)
    return reached


@pytest.mark.parametrize("name", sorted(_CRAFTED))
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_crafted_model_is_refused_from_its_config_before_keras_loads(
        name, suffix, tmp_path, capsys, keras_never_loads):
    import json

    config, message = _CRAFTED[name]
    model = tmp_path / f"{name}{suffix}"
    if suffix == ".keras":
        with zipfile.ZipFile(model, "w") as archive:
            archive.writestr("config.json", json.dumps(config))
            archive.writestr("model.weights.h5", b"\x00" * 100)
    else:  # a legacy .h5: the config is an attribute, no weights at all
        import h5py

        with h5py.File(model, "w") as handle:
            handle.attrs["model_config"] = json.dumps(config)
    image = tmp_path / "seven.png"
    from PIL import Image

    Image.fromarray(np.uint8(_stroke_seven(90, 5, paper=True))).save(image)
    assert cli.main(["predict", str(image), "--model", str(model)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err, err
    assert keras_never_loads == []


def test_the_config_check_counts_what_keras_allocates():
    """The course CNN's layers, as ``digit_model.build`` makes them (56,714 weights in
    Keras's own count), pass; one unit over the cap does not."""
    from autograder.examples import model_check

    cnn = _sequential(_layer("Conv2D", filters=16, kernel_size=[3, 3]),
                      _layer("MaxPooling2D", pool_size=[2, 2]),
                      _layer("Conv2D", filters=32, kernel_size=[3, 3]),
                      _layer("MaxPooling2D", pool_size=[2, 2]), _layer("Flatten"),
                      _layer("Dropout", rate=0.3), _layer("Dense", units=64), _SOFTMAX,
                      input_shape=(28, 28, 1))
    tally = model_check._Tally()
    model_check._sequential(cnn["config"]["layers"], (28, 28, 1), tally, 0)
    assert tally.parameters == 56_714
    assert model_check.check_config(cnn) == (28, 28, 1)
    units = (model_check.MAX_PARAMETERS - 10) // 785 + 1   # 784 x units + units > the cap
    with pytest.raises(model_check.ConfigError, match="weights"):
        model_check.check_config(_sequential(_layer("Dense", units=units), _SOFTMAX))


def _keras_format_mnist(path: Path, count: int = 400) -> Path:
    """A small stand-in with mnist.npz's keys, shapes and dtypes (scikit-learn's digits
    upsampled to 28x28 uint8)."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = np.stack([np.asarray(Image.fromarray(np.uint8(img * 15)).resize((20, 20)))
                  for img in digits.images[:count]])
    x = np.pad(x, ((0, 0), (4, 4), (4, 4)))
    y = digits.target[:count].astype(np.uint8)
    np.savez(path, x_train=x, y_train=y, x_test=x[:10], y_test=y[:10])
    return path


def test_mnist_npz_is_trained_on_and_a_broken_one_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DLTIPS_CACHE", str(tmp_path / "cache"))
    from PIL import Image

    image = tmp_path / "seven.png"
    Image.fromarray(np.uint8(_stroke_seven(90, 5, paper=True))).save(image)
    mnist = _keras_format_mnist(tmp_path / "mnist.npz")
    assert cli.main(["predict", str(image), "--mnist", str(mnist),
                     "--out", str(tmp_path)]) == 0
    assert "trained the digit model on 400 MNIST images" in capsys.readouterr().out
    assert list((tmp_path / "cache").glob("mnist_*_cnn.npz"))
    broken = tmp_path / "broken.npz"
    np.savez(broken, x_train=np.zeros((3, 5)), y_train=np.zeros(3, dtype=int))
    assert cli.main(["predict", str(image), "--mnist", str(broken)]) == 2
    assert "x_train must be (N, 28, 28)" in capsys.readouterr().err


@pytest.mark.slow
def test_a_saved_28x28_keras_model_is_used_through_keras(trained, tmp_path, capsys):
    """--model with a 28x28x1 .keras (the default CNN as a student would save it) answers
    what the cached numpy pass answers."""
    from PIL import Image

    image = tmp_path / "seven.png"
    Image.fromarray(np.uint8(_stroke_seven(150, 8, paper=True))).save(image)
    saved = trained / f"{predict.DEFAULT_NAME}.keras"
    assert cli.main(["predict", str(image), "--model", str(saved), "--out", str(tmp_path)]) == 0
    via_keras = capsys.readouterr().out
    assert cli.main(["predict", str(image), "--out", str(tmp_path)]) == 0
    via_numpy = capsys.readouterr().out
    assert re.search(r"seven\.png: 7\s+\(top 3: 7: ", via_keras)
    assert via_keras.split("(top 3: ")[1][:12] == via_numpy.split("(top 3: ")[1][:12]
