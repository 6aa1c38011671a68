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
