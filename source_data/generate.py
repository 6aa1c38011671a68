"""Make the datasets the exercises and examples use (seeded, no network).

    python source_data/generate.py          # rewrite the CSV files next to this script
    python source_data/generate.py --check  # exit 1 if a committed file is stale

Datasets:
- ``lecture_table.csv``: the lecture's five-row table (x1, x2, y) whose x2 column is in
  the thousands while x1 is in single digits: the motivating example for normalization.
- ``linear_regression_3f.csv``: 100 rows, three features, ``y = 2*x1 - 3*x2 + 0.5*x3 + 4``
  plus Gaussian noise (sd 0.1): the data behind the lecture's ``Dense(1, input_dim=3)``.
- ``badly_scaled_2f.csv``: 200 rows, ``x1 ~ U(0, 10)`` and ``x2 ~ N(5000, 2000)``,
  ``y = 1.5*x1 + 0.002*x2 + 3`` plus noise (sd 0.5): gradient descent with one learning
  rate crawls or diverges until the features are standardized.
- ``overfit_poly.csv``: 20 noisy samples of ``sin(2*pi*x)`` on [0, 1]: a degree-9
  polynomial fit overfits it, L2 regularization tames it.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20261127

LECTURE_TABLE = [(1, 9000, "A"), (2, -5000, "A"), (4, -2000, "B"), (6, 8000, "B"),
                 (9, 9000, "C")]


def lecture_table() -> tuple[list[str], list[tuple]]:
    return ["x1", "x2", "y"], LECTURE_TABLE


def linear_regression_3f(rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    X = rng.uniform(-1.0, 1.0, size=(100, 3))
    y = X @ np.array([2.0, -3.0, 0.5]) + 4.0 + rng.normal(0.0, 0.1, size=100)
    return ["x1", "x2", "x3", "y"], np.column_stack([X, y])


def badly_scaled_2f(rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    x1 = rng.uniform(0.0, 10.0, size=200)
    x2 = rng.normal(5000.0, 2000.0, size=200)
    y = 1.5 * x1 + 0.002 * x2 + 3.0 + rng.normal(0.0, 0.5, size=200)
    return ["x1", "x2", "y"], np.column_stack([x1, x2, y])


def overfit_poly(rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    x = np.sort(rng.uniform(0.0, 1.0, size=20))
    y = np.sin(2 * np.pi * x) + rng.normal(0.0, 0.2, size=20)
    return ["x", "y"], np.column_stack([x, y])


def _csv_text(header: list[str], rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([f"{v:.10g}" if isinstance(v, float) else v for v in row])
    return buffer.getvalue()


def datasets() -> dict[str, str]:
    """File name -> CSV text, each generator with its own seeded stream."""
    makers = {"linear_regression_3f.csv": linear_regression_3f,
              "badly_scaled_2f.csv": badly_scaled_2f, "overfit_poly.csv": overfit_poly}
    files = {"lecture_table.csv": _csv_text(*lecture_table())}
    for offset, (name, make) in enumerate(makers.items()):
        header, data = make(np.random.default_rng(SEED + offset))
        files[name] = _csv_text(header, [list(map(float, row)) for row in data])
    return files


def load(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Numeric dataset ``name`` (without .csv) as ``(X, y)``: y is the last column."""
    data = np.loadtxt(HERE / f"{name}.csv", delimiter=",", skiprows=1)
    return data[:, :-1], data[:, -1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    stale = []
    for name, text in datasets().items():
        path = HERE / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"stale: {', '.join(stale)}; run python source_data/generate.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
