"""A photo or scan of one digit, read safely and prepared the way MNIST was made.

Reading: only PNG, JPEG, BMP, GIF and WebP; a declared size over ``MAX_PIXELS`` (well below
Pillow's own decompression-bomb limit of 89 megapixels) is refused from the header, before
any pixel is decoded; a JPEG is decoded at a reduced scale (``Image.draft``) and any other
image reduced (``Image.reduce``) so that at most ``WORK_SIDE`` pixels a side are worked on.
Every way a file can fail to decode becomes an ``ImageError`` with one line.

Preparing (``mnist_style``), after LeCun et al.'s description of MNIST: invert paper-style
images (dark ink on a light background) to light ink on black; crop to the ink; thicken a
hair-thin pen stroke to a tenth of the digit's height (MNIST's strokes are 2-3 px of 20);
fit the digit into a 20x20 box keeping its aspect ratio; centre it by its centre of mass in
a 28x28 frame. ``fill_frame`` is the older 8x8 path (scikit-learn's digits fill the frame).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_PIXELS = 24_000_000     # 6000x4000, a 24-megapixel photo; Pillow's limit is 89 M
WORK_SIDE = 1024            # the longest side worked on after draft/reduce
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")
INK_THRESHOLD = 0.25        # of the strongest ink: what counts as the digit when cropping
NOISE_FLOOR = 0.15          # of the strongest ink: weaker is background noise
BOX, FRAME = 20, 28         # MNIST: the digit fits 20x20, centred in 28x28
STROKE_SHARE = 0.1          # a stroke thinner than this share of the digit's size is thickened


class ImageError(ValueError):
    """An image that is refused: unreadable, too large, or holding no ink."""


@dataclass
class Prepared:
    """Each stage of the preparation, for ``--explain``: all light ink on black in [0, 1]."""

    gray: np.ndarray        # the image as read (0 black .. 255 white), after draft/reduce
    inverted: bool          # paper-style: dark ink was inverted
    crop: np.ndarray        # the ink's bounding box, stroke thickened when hair-thin
    pixels: np.ndarray      # the network's input (28x28, or 8x8 for the older models)


def read_gray(path: Path) -> np.ndarray:
    """The image as float32 grayscale in [0, 255], alpha flattened onto white, at most
    ``WORK_SIDE`` pixels a side. Raises ``ImageError`` (one line) for anything refused."""
    from PIL import Image

    path = Path(path)
    if not path.is_file():
        raise ImageError(f"{path}: no such image file")
    try:
        with warnings.catch_warnings():   # Pillow's bomb warning (89-179 MP) refuses too
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=FORMATS) as image:
                return _decode_small(image, path)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{path}: over 89 megapixels; dltips predict reads at most "
                         f"{MAX_PIXELS / 1e6:.0f} (crop or shrink the photo)") from None
    except Exception as error:  # noqa: BLE001 - every decoder failure is the file's fault
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ImageError(f"{path}: not a readable PNG or JPEG image ({reason})") from None


def _decode_small(image, path: Path) -> np.ndarray:
    from PIL import Image

    width, height = image.size
    if image.format == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale: the header says how
        image.draft("L", (min(width, WORK_SIDE), min(height, WORK_SIDE)))
        width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageError(f"{path}: {width}x{height} is {width * height / 1e6:.0f} megapixels; "
                         f"dltips predict reads at most {MAX_PIXELS / 1e6:.0f} (crop or "
                         "shrink the photo)")
    image.load()
    factor = -(-max(image.size) // WORK_SIDE)
    if factor > 1:
        image = image.reduce(factor)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        background = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return np.asarray(image.convert("L"), dtype=np.float32)


def ink_of(gray: np.ndarray) -> tuple[np.ndarray, bool]:
    """Light ink on black in [0, 1] and whether the image was paper-style (inverted)."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    paper = float(np.median(border)) > 127.5
    ink = 255.0 - gray if paper else gray
    background = float(np.median(255.0 - border if paper else border))
    ink = np.clip(ink - background, 0.0, None)  # the paper's own grey is not ink
    if ink.max() <= 8.0:
        raise ImageError("the image holds no ink (it is one flat colour)")
    ink = ink / ink.max()
    ink[ink < NOISE_FLOOR] = 0.0     # JPEG ringing and paper grain: MNIST's black is black
    return ink.astype(np.float32), paper


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    """The bounding box of what is clearly ink (faint specks and noise left out)."""
    rows, cols = np.nonzero(ink >= INK_THRESHOLD)
    return ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]


def stroke_width(mask: np.ndarray) -> float:
    """The pen's width in pixels: the ink's area over half its outline (a stroke of width w
    and length L has area wL and an outline of about 2L pixels)."""
    padded = np.pad(mask, 1)
    inner = (padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:])
    outline = int(np.count_nonzero(mask & ~inner))
    return 2.0 * float(np.count_nonzero(mask)) / max(outline, 1)


def thicken(crop: np.ndarray) -> np.ndarray:
    """A hair-thin stroke dilated to ``STROKE_SHARE`` of the digit's size: shrunk to 20 px,
    a 2-px pen line on a 400-px drawing would otherwise fade to a grey ghost."""
    from scipy import ndimage

    width = stroke_width(crop >= 0.5)
    missing = STROKE_SHARE * max(crop.shape) - width
    if missing <= 0:
        return crop
    radius = max(1, int(round(missing / 2)))
    padded = np.pad(crop, radius)
    disk = np.hypot(*np.ogrid[-radius:radius + 1, -radius:radius + 1]) <= radius
    return ndimage.grey_dilation(padded, footprint=disk)


def fit_box(crop: np.ndarray, box: int = BOX) -> np.ndarray:
    """The crop resized (area-averaged) so its longer side is ``box``, aspect ratio kept."""
    from PIL import Image

    scale = box / max(crop.shape)
    height = max(1, int(round(crop.shape[0] * scale)))
    width = max(1, int(round(crop.shape[1] * scale)))
    picture = Image.fromarray(np.ascontiguousarray(crop, dtype=np.float32))
    resized = np.asarray(picture.resize((width, height), Image.Resampling.BOX))
    return np.clip(resized / max(float(resized.max()), 1e-6), 0.0, 1.0)


def centre_by_mass(digit: np.ndarray, frame: int = FRAME) -> np.ndarray:
    """The digit placed in a ``frame``-sized square with its centre of mass at the centre
    (whole-pixel shift, as MNIST did), kept inside the frame."""
    rows, cols = np.indices(digit.shape)
    total = float(digit.sum())
    centre_row = float((rows * digit).sum()) / total
    centre_col = float((cols * digit).sum()) / total
    top = int(round(frame / 2 - 0.5 - centre_row))
    left = int(round(frame / 2 - 0.5 - centre_col))
    top = min(max(top, 0), frame - digit.shape[0])
    left = min(max(left, 0), frame - digit.shape[1])
    out = np.zeros((frame, frame), dtype=np.float32)
    out[top:top + digit.shape[0], left:left + digit.shape[1]] = digit
    return out


def fill_frame(crop: np.ndarray, side: int) -> np.ndarray:
    """The older small-image path: the crop padded square and resized to fill the frame."""
    size = max(crop.shape)
    square = np.zeros((size, size), dtype=np.float32)
    top, left = (size - crop.shape[0]) // 2, (size - crop.shape[1]) // 2
    square[top:top + crop.shape[0], left:left + crop.shape[1]] = crop
    return fit_box(square, side).astype(np.float32)


def mnist_style(ink: np.ndarray) -> np.ndarray:
    """Light ink on black in [0, 1] -> the 28x28 MNIST-style network input in [0, 1]."""
    return centre_by_mass(fit_box(thicken(crop_to_ink(ink))))


def prepare(gray: np.ndarray, side: int = FRAME) -> Prepared:
    """Every stage from the image as read to the network's input (``side`` 28 or 8)."""
    ink, paper = ink_of(gray)
    crop = thicken(crop_to_ink(ink))
    pixels = centre_by_mass(fit_box(crop)) if side == FRAME else fill_frame(crop, side)
    return Prepared(gray, paper, crop, pixels)
