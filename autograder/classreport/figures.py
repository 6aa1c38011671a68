"""The report's figures, drawn with matplotlib (Agg) for a page about 1000 px wide.

Each function returns PNG bytes. Sizes are in inches at ``DPI``; the fonts are large
enough to read in the page without zooming (checked by eye on the rendered page).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from autograder.classreport.statistics import FunctionRate, Item

DPI = 100
RED, ORANGE, GREEN, BLUE, GREY = "#C44E52", "#DD8452", "#55A868", "#4C72B0", "#8C8C8C"
MODULE_COLORS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860",
                 "#DA8BC3", "#8C8C8C")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 12, "axes.titlesize": 14, "axes.labelsize": 12,
                         "axes.spines.top": False, "axes.spines.right": False})
    return plt


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    _pyplot().close(figure)
    return buffer.getvalue()


def score_histogram(percents: list[float]) -> bytes:
    """Students per 10 % score band, with the median marked."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(9.5, 3.6), layout="constrained")
    bins = np.arange(0, 101, 10)
    counts, _, patches = axes.hist(np.clip(percents, 0, 100), bins=bins, color=BLUE,
                                   edgecolor="white", linewidth=1.5)
    for patch, count in zip(patches, counts, strict=True):
        if count:
            axes.annotate(f"{int(count)}", (patch.get_x() + patch.get_width() / 2, count),
                          ha="center", va="bottom", fontsize=11, xytext=(0, 2),
                          textcoords="offset points")
    if len(percents):
        median = float(np.median(percents))
        axes.axvline(median, color=RED, linewidth=2, linestyle="--",
                     label=f"median {median:.0f} %")
        axes.legend(loc="upper left", fontsize=12, frameon=False, labelcolor=RED)
    axes.set_xticks(bins, [f"{b} %" for b in bins])
    axes.set_xlim(0, 100)
    axes.set_ylim(0, max(1, max(counts, default=0)) * 1.25)
    axes.set_xlabel("score (% of the points)")
    axes.set_ylabel("students")
    axes.set_title(f"Score distribution ({len(percents)} students)", loc="left")
    return _png(figure)


def pass_rate_bars(rates: list[FunctionRate]) -> bytes:
    """One horizontal bar per contract function, lecture order top to bottom, coloured by
    module; the rate printed at the bar's end."""
    plt = _pyplot()
    height = 1.2 + 0.27 * len(rates)
    figure, axes = plt.subplots(figsize=(9.5, height), layout="constrained")
    modules = list(dict.fromkeys(r.function.split(".")[0] for r in rates))
    colors = [MODULE_COLORS[modules.index(r.function.split(".")[0]) % len(MODULE_COLORS)]
              for r in rates]
    values = [100 * r.passed / r.students for r in rates]
    positions = np.arange(len(rates))[::-1]
    axes.barh(positions, values, color=colors, height=0.75)
    for y, value in zip(positions, values, strict=True):
        inside = value >= 15  # the label sits in the bar's end, else just after it
        axes.text(value - 1 if inside else value + 1, y, f"{value:.0f} %", va="center",
                  ha="right" if inside else "left", fontsize=10,
                  color="white" if inside else "black", fontweight="bold" if inside else None)
    axes.set_yticks(positions, [r.function for r in rates], fontsize=10)
    axes.set_xlim(0, 100)
    axes.set_xticks(range(0, 101, 20), [f"{v} %" for v in range(0, 101, 20)])
    axes.set_xlabel("students whose every test of the function passed")
    axes.set_title("Pass rate per function, in lecture order", loc="left")
    axes.margins(y=0.01)
    return _png(figure)


def item_map(items: list[Item]) -> bytes:
    """Difficulty against discrimination, one dot per hidden test; the usual rule-of-thumb
    bands (discrimination below 0.2: the test separates strong from weak poorly)."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(9.5, 4.2), layout="constrained")
    rated = [i for i in items if i.discrimination is not None]
    flat = [i for i in items if i.discrimination is None]
    axes.axhspan(-1, 0.2, color=ORANGE, alpha=0.12, linewidth=0)
    axes.axhline(0.2, color=ORANGE, linewidth=1.2, linestyle="--")
    axes.text(0.01, 0.16, "below 0.2: separates strong from weak poorly", color="#8a4a1a",
              fontsize=11, va="top")
    axes.scatter([i.difficulty for i in rated], [i.discrimination for i in rated], s=42,
                 color=BLUE, alpha=0.8, label=f"{len(rated)} tests")
    if flat:
        axes.scatter([i.difficulty for i in flat], [0.0] * len(flat), marker="x", s=42,
                     color=GREY, label=f"{len(flat)} tests every student scored the same on")
    axes.set_xlim(-0.02, 1.02)
    axes.set_ylim(-0.5, 1.0)
    axes.set_xlabel("difficulty p (mean score fraction: 1 = everyone passed)")
    axes.set_ylabel("discrimination r")
    axes.set_title("Item analysis of the hidden tests", loc="left")
    axes.legend(loc="lower left", fontsize=10, frameon=False)
    return _png(figure)
