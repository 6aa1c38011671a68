"""Lecture demonstrations with figures (``dltips examples``) and ``dltips predict``.

Each example is a module with ``run(out_dir, quick=False) -> ExampleResult``: it trains
what the lecture shows, prints the numbers behind its figure and writes
``out_dir/<name>.png``. They import TensorFlow, Keras, scikit-learn and matplotlib freely.

May import: ``autograder.course.contract`` (where the repository and its data lie) and the
course modules themselves (reference solutions, or the student's own in the release).
Must never be imported by ``autograder.sandbox``, ``autograder.grading``,
``autograder.course`` or ``autograder.delivery``: only the CLI reaches it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from autograder.examples import batch_norm, learning_rate, normalization, optimizers, overfitting
from autograder.examples.common import ExampleResult

EXAMPLES: dict[str, Callable[..., ExampleResult]] = {
    "learning_rate": learning_rate.run,
    "normalization": normalization.run,
    "overfitting": overfitting.run,
    "optimizers": optimizers.run,
    "batch_norm": batch_norm.run,
}


def run_examples(names: list[str] | tuple[str, ...], out_dir: Path,
                 quick: bool = False) -> list[ExampleResult]:
    """Run the named examples (all when empty) in lecture order; unknown names raise."""
    unknown = [n for n in names if n not in EXAMPLES]
    if unknown:
        raise ValueError(f"unknown example {unknown[0]!r}; choose from {', '.join(EXAMPLES)}")
    chosen = [n for n in EXAMPLES if n in names] if names else list(EXAMPLES)
    return [EXAMPLES[name](Path(out_dir), quick=quick) for name in chosen]
