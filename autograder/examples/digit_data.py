"""Offline training digits for the default ``dltips predict`` model (no download).

Two sources, both already on the machine:

- the digits of the fonts matplotlib ships (DejaVu Sans, Serif and Mono in their weights and
  slants, STIX, Computer Modern), rendered large with Pillow; forms no font has are made
  from them: a crossbar added to the 7s, the base cut off the 1s, and a bare bar (``|``,
  ``l``) for the flagless 1;
- scikit-learn's 1797 scanned 8x8 handwritten digits, upsampled: crossed 7s, open 4s and
  the irregular shapes of real handwriting.

Each sample is then re-drawn: the stroke made thinner or thicker (grey erosion/dilation),
an affine jitter (rotation, shear, width), an elastic distortion (Simard et al. 2003), and
prepared exactly as ``dltips predict`` prepares a photo (``digit_image.mnist_style``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from autograder.examples.digit_image import mnist_style

CANVAS = 64                         # side of the high-resolution glyph the jitter works on
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
              "DejaVuSans-BoldOblique.ttf", "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf",
              "DejaVuSansMono-Oblique.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Italic.ttf",
              "DejaVuSerif-Bold.ttf", "STIXGeneral.ttf", "STIXGeneralItalic.ttf",
              "STIXGeneralBol.ttf", "cmr10.ttf", "cmss10.ttf", "cmtt10.ttf", "cmti10.ttf",
              "cmb10.ttf")
ONE_BARS = ("|", "l")               # the flagless, baseless 1 that fonts do not have
CHUNK = 256                         # glyphs re-drawn at once


def _fonts() -> list[Path]:
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return [folder / name for name in FONT_FILES if (folder / name).exists()]


def _render(font_path: Path, text: str) -> np.ndarray:
    """A glyph as light ink on black, centred on a CANVAS-sized float image in [0, 1]."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(font_path), size=int(CANVAS * 0.7))
    image = Image.new("L", (CANVAS, CANVAS), 0)
    ImageDraw.Draw(image).text((CANVAS / 2, CANVAS / 2), text, fill=255, font=font,
                               anchor="mm")
    return np.asarray(image, dtype=np.float32) / 255.0


def _with_crossbar(glyph: np.ndarray) -> np.ndarray:
    """A 7 with the continental crossbar across its stem, half-way down."""
    rows, cols = np.nonzero(glyph > 0.5)
    middle = (rows.min() + rows.max()) // 2
    stem = cols[np.abs(rows - middle) <= 1]
    if stem.size == 0:
        return glyph
    crossed = glyph.copy()
    thickness = max(2, int(np.sum(glyph[:, int(stem.mean())] > 0.5) // 4))
    half = max(4, (cols.max() - cols.min()) // 3)
    centre = int(stem.mean())
    crossed[middle - thickness // 2:middle + thickness // 2 + 1,
            max(centre - half, 0):centre + half] = 1.0
    return crossed


def _without_base(glyph: np.ndarray) -> np.ndarray:
    """A 1 with its serif base cut off: the flagged 1 most people write."""
    ink = glyph > 0.5
    widths = ink.sum(axis=1)
    rows = np.nonzero(widths)[0]
    stem = np.median(widths[rows])
    bare = glyph.copy()
    low = rows[rows > rows.min() + 0.7 * np.ptp(rows)]
    bare[low[widths[low] > 1.6 * stem]] = 0.0
    return bare


def font_glyphs() -> tuple[list[np.ndarray], list[int]]:
    """Every font's ten digits, plus crossed 7s and bar-shaped 1s."""
    glyphs, labels = [], []
    for path in _fonts():
        for digit in range(10):
            glyph = _render(path, str(digit))
            glyphs.append(glyph)
            labels.append(digit)
            if digit == 7:
                glyphs.append(_with_crossbar(glyph))
                labels.append(7)
            if digit == 1:
                glyphs.append(_without_base(glyph))
                labels.append(1)
        for bar in ONE_BARS:
            glyph = _render(path, bar)
            rows, cols = np.nonzero(glyph > 0.5)
            if np.ptp(rows) > 4 * np.ptp(cols):   # a bare bar (cm fonts map | to a dash)
                glyphs.append(glyph)
                labels.append(1)
    return glyphs, labels


def scanned_digits() -> tuple[list[np.ndarray], list[int]]:
    """scikit-learn's 8x8 digits, upsampled (bicubic) to the glyph canvas, edges sharpened."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    inner = CANVAS * 3 // 4
    glyphs = []
    for image in digits.images:
        picture = Image.fromarray(np.float32(image / 16.0))
        big = np.asarray(picture.resize((inner, inner), Image.Resampling.BICUBIC))
        canvas = np.zeros((CANVAS, CANVAS), dtype=np.float32)
        start = (CANVAS - inner) // 2
        # a steeper contrast turns the blur of the upsampling back into a pen's edge
        canvas[start:start + inner, start:start + inner] = np.clip((big - 0.25) * 2.5, 0, 1)
        glyphs.append(canvas)
    return glyphs, [int(t) for t in digits.target]


def redraw(glyphs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random re-drawing of each glyph of a (batch, CANVAS, CANVAS) stack: pen width
    (grey dilation or erosion), an affine jitter and an elastic distortion, the last two
    as one resampling of the whole stack."""
    from scipy import ndimage

    batch = len(glyphs)
    pens = rng.integers(-1, 5, size=batch)
    glyphs = glyphs.copy()
    for pen in np.unique(pens):
        chosen = pens == pen
        if pen > 0:
            glyphs[chosen] = ndimage.grey_dilation(glyphs[chosen], size=(1, pen + 1, pen + 1))
        elif pen < 0:
            glyphs[chosen] = ndimage.grey_erosion(glyphs[chosen], size=(1, 2, 2))
    angle = np.radians(rng.uniform(-15, 15, batch))
    shear = rng.uniform(-0.35, 0.35, batch)
    widen = rng.uniform(0.7, 1.25, batch)
    cos, sin = np.cos(angle), np.sin(angle)
    # (row, col) sampled = rotate @ [[1, 0], [shear, 1 / widen]] @ (row, col) about the centre
    matrix = np.stack([np.stack([cos - sin * shear, -sin / widen], -1),
                       np.stack([sin + cos * shear, cos / widen], -1)], 1)
    centre = (CANVAS - 1) / 2
    rows, cols = np.indices((CANVAS, CANVAS), dtype=np.float64) - centre
    grid = np.stack([rows, cols])                                  # (2, H, W)
    sampled = np.einsum("bij,jhw->ibhw", matrix, grid) + centre    # (2, B, H, W)
    coarse = rng.uniform(-1, 1, (2, batch, 4, 4)) * rng.uniform(0, 2.5, (1, batch, 1, 1))
    spread = ndimage.zoom(np.eye(4), (CANVAS / 4, 1), order=3)    # (CANVAS, 4), smooth
    elastic = np.einsum("hi,cbij,wj->cbhw", spread, coarse, spread)
    sampled += elastic * CANVAS / 28
    index = np.broadcast_to(np.arange(batch, dtype=np.float64)[:, None, None],
                            sampled.shape[1:])
    return ndimage.map_coordinates(glyphs, [index, sampled[0], sampled[1]], order=1)


def training_set(count: int, seed: int = 0,
                 progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``count`` re-drawn digits as (count, 28, 28) float32 in [0, 1] and int labels,
    about one in three from the fonts and the rest from the scanned digits."""
    rng = np.random.default_rng(seed)
    fonts, font_labels = font_glyphs()
    scans, scan_labels = scanned_digits()
    sources = fonts + scans
    labels = np.array(font_labels + scan_labels)
    weights = np.r_[np.full(len(fonts), 1.0 / len(fonts)), np.full(len(scans), 2.0 / len(scans))]
    picks = rng.choice(len(sources), size=count, p=weights / weights.sum())
    stack = np.stack(sources)
    x = np.zeros((count, 28, 28), dtype=np.float32)
    for begin in range(0, count, CHUNK):
        chosen = picks[begin:begin + CHUNK]
        drawn = redraw(stack[chosen], rng)
        for offset, (image, pick) in enumerate(zip(drawn, chosen, strict=True)):
            strong = float(image.max()) > 0.3      # an erosion can wipe out a hairline
            x[begin + offset] = mnist_style(image / image.max() if strong else stack[pick])
        if progress is not None:
            progress(len(chosen))
    return x, labels[picks]
