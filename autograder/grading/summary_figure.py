"""The class summary figure (summary.png), prepared while the class is being graded.

Importing matplotlib, laying the figure out and drawing its text cost more than grading
one submission, and none of it depends on the scores: the function names (the bars) come
from the contract and the submission count is known up front. ``SummaryFigure.start``
does that work on a background thread while the submissions are graded, and keeps the
drawn figure, everything but the data, as a pixel background. ``png`` then restores
that background, draws only the histogram, the bars and their labels on it, and encodes
the pixels (the report writes them, owner-only).
Grading itself happens in child processes, so the thread competes with nothing in this
process but waiting.
"""

from __future__ import annotations

import io
import threading
from typing import Any

BINS = [i * 10 for i in range(11)]
DPI = 110
RED, ORANGE, GREEN, BLUE = "#C44E52", "#DD8452", "#55A868", "#4C72B0"


class SummaryFigure:
    """Score distribution (left) and pass rate per contract function (right)."""

    def __init__(self, functions: list[str], submissions: int) -> None:
        """``functions``: the ``module.function`` bars, top to bottom; ``submissions``: how
        many will be graded (the histogram's height: a bin can hold all of them)."""
        self.functions, self.submissions = list(functions), max(1, submissions)
        self._figure: Any = None
        self._background: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> SummaryFigure:
        """Prepare the figure on a background thread; returns self."""
        self._thread = threading.Thread(target=self._prepare_safely, name="summary-figure",
                                        daemon=True)
        self._thread.start()
        return self

    def png(self, rates: dict[str, float], percents: list[float]) -> bytes:
        """Draw the numbers on the prepared figure and return it as PNG bytes: ``rates``
        maps each ``module.function`` to its pass rate in [0, 1]; ``percents`` holds each
        submission's score in % of its maximum."""
        if self._thread is not None:
            self._thread.join()
        if (self._background is None or list(rates) != self.functions
                or len(percents) != self.submissions):
            # Not prepared, or other functions or counts than announced: lay it out now.
            self.functions, self.submissions = list(rates), max(1, len(percents))
            self._prepare()
        figure, (left, right) = self._figure, self._figure.axes
        figure.canvas.restore_region(self._background)
        counts = [0] * (len(BINS) - 1)
        for percent in percents:
            counts[min(int(percent // 10), len(counts) - 1)] += 1  # 100 % in the last bin
        for bin_patch, count in zip(left.patches, counts, strict=True):
            bin_patch.set_height(count)
        # barh draws its first bar at the bottom: the patches run from the last function up.
        values = [100 * rates[name] for name in self.functions[::-1]]
        for bar, value in zip(right.patches, values, strict=True):
            bar.set_width(value)
            bar.set_color(RED if value < 50 else ORANGE if value < 80 else GREEN)
        labels = right.bar_label(right.containers[0], labels=[f"{v:.0f}%" for v in values],
                                 padding=2, fontsize=7)
        for axes, artists in ((left, left.patches), (right, [*right.patches, *labels])):
            for artist in [*artists, *axes.spines.values()]:  # spines back on top of bars
                axes.draw_artist(artist)
        return _png_bytes(figure)

    def _prepare_safely(self) -> None:
        try:
            self._prepare()
        except Exception:  # noqa: BLE001 - png() lays it out again, in the foreground
            self._background = None

    def _prepare(self) -> None:
        """Lay out and draw everything but the data; keep the pixels as the background."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.layout_engine import TightLayoutEngine
        from matplotlib.ticker import MaxNLocator

        self._background = None
        names = self.functions[::-1]  # first function at the top
        figure = Figure(figsize=(13, max(5, 0.28 * len(names) + 1.5)), dpi=DPI)
        FigureCanvasAgg(figure)
        left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
        left.bar(BINS[:-1], [0] * (len(BINS) - 1), width=10, align="edge", color=BLUE,
                 edgecolor="white")
        left.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole submissions
        left.set(title=f"Score distribution ({self.submissions} submissions)",
                 xlabel="score (% of maximum)", ylabel="submissions", xlim=(0, 100),
                 ylim=(0, self.submissions))
        right.barh(names, [0.0] * len(names))
        right.set(title="Pass rate per function (all tests of the function passed)",
                  xlabel="% of submissions", xlim=(0, 108))
        right.tick_params(axis="y", labelsize=8)
        # The tight layout computed once, without leaving a layout engine on the figure.
        TightLayoutEngine().execute(figure)
        figure.canvas.draw()  # the zero-sized bars leave no pixels: this is the background
        self._figure = figure
        self._background = figure.canvas.copy_from_bbox(figure.bbox)


def _png_bytes(figure: Any) -> bytes:
    """The canvas's pixels as a PNG, without the full redraw ``savefig`` would do."""
    from PIL import Image

    width, height = figure.canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), figure.canvas.buffer_rgba(), "raw",
                             "RGBA", 0, 1)
    # compress_level 1: a few percent larger file, about half the encoding time.
    encoded = io.BytesIO()
    image.save(encoded, format="png", compress_level=1, dpi=(DPI, DPI))
    return encoded.getvalue()
