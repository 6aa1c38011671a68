"""What grading one submission produces: its Gradescope-format results and where they
were written. The engine makes these; the report reads them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class SubmissionResult:
    """Everything known about one graded submission."""

    name: str
    source: Path
    results: dict            # Gradescope-format results.json content
    out_dir: Path | None = None

    @property
    def score(self) -> float:
        return float(self.results["score"])

    @property
    def max_score(self) -> float:
        return float(sum(t["max_score"] for t in self.results["tests"]))


def progress_path(results: str | Path) -> Path:
    """Where a run logs its progress as JSON lines: the isolation level, the tests it will
    run, then each test's record as soon as it exists. The engine reads it when the run did
    not finish (stopped at its time limit), so finished tests keep their results."""
    return Path(f"{results}.progress")
