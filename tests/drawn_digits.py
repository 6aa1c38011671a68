"""Digits drawn as people draw them, with pen strokes in code: the test set of `dltips predict`.

Independent of the default model's training data on purpose (that data is font glyphs and
scikit-learn's scanned digits, `autograder/examples/digit_data.py`): here every digit is a
list of pen strokes (polylines, arcs, cubic Bezier curves) in a unit box, with several
styles per digit (plain and crossed 7s, open and closed 4s, 1s with and without a flag or a
base, round and straight-stemmed 9s, ...), drawn with Pillow's ImageDraw at a random pen
width, slant, rotation, size, position and hand wobble, on white paper (dark ink) or on a
black canvas (light strokes). Nothing here is imported by the package.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Stroke = list[tuple[float, float]]


def bezier(p0, p1, p2, p3, steps: int = 24) -> Stroke:
    t = np.linspace(0.0, 1.0, steps)[:, None]
    points = ((1 - t) ** 3 * np.array(p0) + 3 * (1 - t) ** 2 * t * np.array(p1)
              + 3 * (1 - t) * t ** 2 * np.array(p2) + t ** 3 * np.array(p3))
    return [tuple(p) for p in points]


def arc(cx, cy, rx, ry, start_deg, end_deg, steps: int = 40) -> Stroke:
    """An elliptic arc, angles in degrees, 0 = right, 90 = down (image coordinates)."""
    angles = np.radians(np.linspace(start_deg, end_deg, steps))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


# Each style: a function of the random generator returning strokes in the unit box
# (x right, y down), the digit roughly filling x in [0.2, 0.8], y in [0, 1].
def zero_oval(r):
    return [arc(0.5, 0.5, 0.27 + 0.05 * r.random(), 0.48, -90, 275)]


def zero_narrow(r):
    return [arc(0.5, 0.5, 0.17, 0.47, -100, 265)]


def one_plain(r):
    return [[(0.5, 0.0), (0.5 + 0.04 * r.standard_normal(), 1.0)]]


def one_flag(r):
    return [[(0.32, 0.22), (0.52, 0.0), (0.52, 1.0)]]


def one_flag_base(r):
    return [[(0.3, 0.2), (0.5, 0.0), (0.5, 1.0)], [(0.3, 1.0), (0.7, 1.0)]]


def two_plain(r):
    return [arc(0.5, 0.27, 0.27, 0.25, 190, 360) + [(0.75, 0.32), (0.22, 1.0), (0.82, 1.0)]]


def two_curly(r):
    return [bezier((0.22, 0.2), (0.4, -0.1), (0.95, 0.1), (0.6, 0.55))
            + bezier((0.6, 0.55), (0.4, 0.75), (0.2, 0.95), (0.22, 0.98))
            + [(0.82, 0.92)]]


def three_round(r):
    return [arc(0.48, 0.26, 0.26, 0.24, 200, 450) + arc(0.48, 0.74, 0.29, 0.25, 270, 520)]


def three_flat_top(r):
    return [[(0.22, 0.0), (0.78, 0.0), (0.45, 0.4)] + arc(0.47, 0.7, 0.3, 0.3, 270, 500)]


def four_closed(r):
    return [[(0.62, 0.0), (0.15, 0.68), (0.88, 0.68)], [(0.62, 0.0), (0.62, 1.0)]]


def four_open(r):
    return [[(0.25, 0.0), (0.2, 0.6), (0.85, 0.6)], [(0.68, 0.05), (0.68, 1.0)]]


def five_plain(r):
    return [[(0.78, 0.0), (0.3, 0.0), (0.26, 0.45)] + arc(0.48, 0.69, 0.3, 0.3, 225, 505)]


def five_two_strokes(r):
    return [[(0.3, 0.02), (0.27, 0.45)] + arc(0.5, 0.68, 0.29, 0.31, 215, 500),
            [(0.3, 0.02), (0.8, 0.0)]]


def six_plain(r):
    return [bezier((0.72, 0.02), (0.35, 0.1), (0.22, 0.45), (0.22, 0.7))
            + arc(0.5, 0.72, 0.28, 0.27, 180, 540)]


def six_straight(r):
    return [[(0.68, 0.0), (0.24, 0.66)] + arc(0.5, 0.73, 0.27, 0.26, 200, 555)]


def seven_plain(r):
    return [[(0.18, 0.02), (0.82, 0.02), (0.42, 1.0)]]


def seven_crossed(r):
    return [[(0.18, 0.02), (0.82, 0.02), (0.42, 1.0)], [(0.38, 0.52), (0.78, 0.5)]]


def seven_curved(r):
    return [[(0.2, 0.05), (0.82, 0.0)] + bezier((0.82, 0.0), (0.55, 0.35), (0.45, 0.7),
                                                  (0.45, 1.0))]


def eight_loops(r):
    return [arc(0.5, 0.24, 0.22, 0.23, 0, 360), arc(0.5, 0.73, 0.28, 0.26, 0, 360)]


def eight_one_stroke(r):
    return [bezier((0.75, 0.12), (0.5, -0.15), (0.05, 0.15), (0.5, 0.48))
            + bezier((0.5, 0.48), (1.0, 0.8), (0.75, 1.0), (0.5, 1.0))
            + bezier((0.5, 1.0), (0.2, 1.0), (0.0, 0.8), (0.5, 0.48))
            + bezier((0.5, 0.48), (0.95, 0.15), (0.7, 0.0), (0.72, 0.1))]


def nine_round(r):
    return [arc(0.5, 0.28, 0.27, 0.27, 0, 360),
            [(0.77, 0.28)] + bezier((0.77, 0.28), (0.78, 0.7), (0.6, 1.0), (0.3, 0.97))]


def nine_straight(r):
    return [arc(0.48, 0.27, 0.26, 0.26, 10, 375), [(0.74, 0.25), (0.72, 1.0)]]


STYLES: dict[int, list[Callable]] = {
    0: [zero_oval, zero_narrow],
    1: [one_plain, one_flag, one_flag_base],
    2: [two_plain, two_curly],
    3: [three_round, three_flat_top],
    4: [four_closed, four_open],
    5: [five_plain, five_two_strokes],
    6: [six_plain, six_straight],
    7: [seven_plain, seven_crossed, seven_curved],
    8: [eight_loops, eight_one_stroke],
    9: [nine_round, nine_straight],
}


def draw(strokes: list[Stroke], rng: np.random.Generator, paper: bool) -> np.ndarray:
    """The strokes on a random canvas, as a uint8 grayscale image (0 black, 255 white)."""
    from PIL import Image, ImageDraw

    side = int(rng.choice([28, 48, 96, 160, 320, 480]))
    height = side * rng.uniform(0.35, 0.85)              # small and large digits
    width_share = rng.uniform(0.02, 0.14)                # thin to thick pens
    pen = max(1, int(round(width_share * height)))
    slant = rng.uniform(-0.12, 0.35)                     # most people lean right
    turn = math.radians(rng.uniform(-8, 8))
    squeeze = rng.uniform(0.75, 1.15)
    left = rng.uniform(pen, max(pen + 1, side - 0.75 * height - pen))
    top = rng.uniform(pen, max(pen + 1, side - height - pen))
    wobble = 0.012

    def place(x: float, y: float) -> tuple[float, float]:
        x, y = x + rng.normal(0, wobble), y + rng.normal(0, wobble)
        x = (x - 0.5) * squeeze + slant * (0.5 - y)
        y = y - 0.5
        x, y = x * math.cos(turn) - y * math.sin(turn), x * math.sin(turn) + y * math.cos(turn)
        return left + (x + 0.375) * height, top + (y + 0.5) * height

    ink, background = (int(rng.integers(0, 70)), int(rng.integers(215, 256))) if paper \
        else (int(rng.integers(190, 256)), int(rng.integers(0, 40)))
    image = Image.new("L", (side, side), background)
    pencil = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [place(x, y) for x, y in stroke]
        pencil.line(points, fill=ink, width=pen, joint="curve")
        for x, y in (points[0], points[-1]):   # round pen ends
            pencil.ellipse([x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2], fill=ink)
    return np.asarray(image)


def drawn_set(per_style: int = 6, seed: int = 2024) -> list[tuple[np.ndarray, int, str]]:
    """(image, label, style name) for every style of every digit, ``per_style`` times each,
    paper and canvas alternating."""
    rng = np.random.default_rng(seed)
    made = []
    for label, styles in STYLES.items():
        for style in styles:
            for i in range(per_style):
                made.append((draw(style(rng), rng, paper=i % 2 == 0), label, style.__name__))
    return made
