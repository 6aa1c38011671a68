"""The class summary figure (summary.png), prepared while the class is being graded.

Importing matplotlib, laying the figure out and loading its fonts cost more than grading
one submission, and none of it depends on the scores: the function names (the bars) come
from the contract and the submission count is known up front. ``SummaryFigure.start``
does that work on a background thread while the submissions are graded; ``write`` then
only fills in the numbers and saves. Grading itself happens in child processes, so the
thread competes with nothing in this process but waiting.
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
        many will be graded (it sizes the histogram's axis for the layout)."""
        self.functions, self.submissions = list(functions), max(1, submissions)
        self._figure: Any = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SummaryFigure:
        """Prepare the figure on a background thread; returns self."""
        self._thread = threading.Thread(target=self._prepare_safely, name="summary-figure",
                                        daemon=True)
        self._thread.start()
        return self

    def png(self, rates: dict[str, float], percents: list[float]) -> bytes:
        """Fill in the numbers and return the PNG: ``rates`` maps each ``module.function``
        to its pass rate in [0, 1]; ``percents`` holds each submission's score in %."""
        if self._thread is not None:
            self._thread.join()
        if self._figure is None or self._error is not None or list(rates) != self.functions:
            # Not prepared, or other functions were graded than announced: lay it out now.
            self.functions = list(rates)
            self._prepare()
        figure, (left, right) = self._figure, self._figure.axes
        left.hist(percents, bins=BINS, color=BLUE, edgecolor="white")
        left.set_title(f"Score distribution ({len(percents)} submissions)")
        # barh draws its first bar at the bottom: the patches run from the last function up.
        values = [100 * rates[name] for name in self.functions[::-1]]
        for bar, value in zip(right.patches, values, strict=True):
            bar.set_width(value)
            bar.set_color(RED if value < 50 else ORANGE if value < 80 else GREEN)
        right.bar_label(right.containers[0], labels=[f"{v:.0f}%" for v in values], padding=2,
                        fontsize=7)
        # compress_level 1: a few percent larger file, about half the encoding time.
        image = io.BytesIO()
        figure.savefig(image, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
        return image.getvalue()

    def _prepare_safely(self) -> None:
        try:
            self._prepare()
        except BaseException as error:  # noqa: BLE001 - write() lays it out again
            self._error = error

    def _prepare(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.layout_engine import TightLayoutEngine
        from matplotlib.ticker import MaxNLocator

        self._error = None
        names = self.functions[::-1]  # first function at the top
        # The dpi it is saved at, so the warm-up draw caches text at the final size.
        figure = Figure(figsize=(13, max(5, 0.28 * len(names) + 1.5)), dpi=DPI)
        FigureCanvasAgg(figure)
        left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
        left.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole submissions
        left.set(title=f"Score distribution ({self.submissions} submissions)",
                 xlabel="score (% of maximum)", ylabel="submissions", xlim=(0, 100),
                 ylim=(0, self.submissions))
        right.barh(names, [0.0] * len(names))
        right.set(title="Pass rate per function (all tests of the function passed)",
                  xlabel="% of submissions", xlim=(0, 108))
        right.tick_params(axis="y", labelsize=8)
        # The tight layout computed once, without leaving a layout engine on the figure
        # (with one, savefig draws twice).
        TightLayoutEngine().execute(figure)
        left.set_autoscaley_on(True)  # the scores decide the histogram's height
        figure.canvas.draw()  # loads the fonts and caches the text layout
        self._figure = figure
