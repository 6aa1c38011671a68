"""summary.png is prepared while the class is graded, and still right when written.

Speed itself is measured by benchmarks/bench_grading.py (printed, never asserted); these
tests check the structure that makes it fast and that the figure stays complete.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from autograder.course.contract import qualified_functions
from autograder.grading import engine, report
from autograder.grading.engine import GradeOptions, grade_many
from autograder.grading.results import SubmissionResult
from autograder.grading.summary_figure import SummaryFigure

PNG = b"\x89PNG\r\n\x1a\n"


def _result(name: str, passed: dict[str, bool]) -> SubmissionResult:
    tests = [{"tags": [tag.split(".")[0], tag], "score": float(ok), "max_score": 1.0,
              "status": "passed" if ok else "failed"} for tag, ok in passed.items()]
    return SubmissionResult(name, Path(name), {
        "score": sum(t["score"] for t in tests), "tests": tests,
        "extra_data": {"grader_error": None}})


def test_the_figure_is_prepared_while_the_submissions_are_graded(tmp_path, monkeypatch):
    """grade_many starts the figure (matplotlib's import, the layout, the fonts) on its own
    thread before it grades the first submission, and writes it when all are graded."""
    events = []

    class Spy(SummaryFigure):
        def start(self):
            events.append("figure started")
            return super().start()

        def png(self, rates, percents):
            events.append("figure written")
            return super().png(rates, percents)

    def fake_grade(source, options, out_dir=None, name=None, **_):
        busy = any(t.name == "summary-figure" for t in threading.enumerate())
        events.append("graded while the figure is prepared" if busy else "graded")
        return _result(name, {tag: True for tag in qualified_functions()})

    monkeypatch.setattr(engine, "SummaryFigure", Spy)
    monkeypatch.setattr(engine, "grade_submission", fake_grade)
    grade_many([tmp_path / "alice"], tmp_path / "out", GradeOptions())
    assert events[0] == "figure started" and events[-1] == "figure written"
    assert events[1].startswith("graded")
    assert (tmp_path / "out" / "summary.png").read_bytes()[:8] == PNG


def test_the_figure_shows_what_was_graded_even_when_announced_otherwise(tmp_path):
    """Announced functions that were not graded (or the reverse) are laid out again."""
    figure = SummaryFigure(["losses.sigmoid"], 1).start()
    results = [_result("a", {"dropout.dropout_forward": True, "dropout.dropout_backward": False}),
               _result("b", {"dropout.dropout_forward": False, "dropout.dropout_backward": False})]
    report.write_summary_figure(tmp_path / "summary.png", results, figure)
    assert (tmp_path / "summary.png").read_bytes()[:8] == PNG
    assert figure.functions == ["dropout.dropout_forward", "dropout.dropout_backward"]
    right = figure._figure.axes[1]
    # barh draws from the bottom: the last function first.
    assert [bar.get_width() for bar in right.patches] == pytest.approx([0.0, 50.0])
    assert [t.get_text() for t in right.get_yticklabels()] == [
        "dropout.dropout_backward", "dropout.dropout_forward"]
