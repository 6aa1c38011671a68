"""``dltips predict`` and ``dltips examples`` as a user runs them: wall time and peak memory.

    python benchmarks/bench_predict.py               # first training, cached calls, refusals
    python benchmarks/bench_predict.py --examples    # also a full `dltips examples` run

Every figure is a fresh ``python -m autograder.cli`` process (imports included), timed from
outside; the load average is printed beside each, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def load() -> str:
    return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


def dltips(*args: str, cache: Path) -> tuple[float, float, int, float]:
    """(wall seconds, peak RSS in MiB, exit status, CPU seconds) of one CLI run (its
    own children, the data-making processes, are not counted in the CPU time)."""
    env = dict(os.environ, DLTIPS_CACHE=str(cache), PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "autograder.cli", *args], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return (time.perf_counter() - start, usage.ru_maxrss / 1024, child.returncode,
            usage.ru_utime + usage.ru_stime)


def accuracy_report(cache: Path) -> None:
    """The test's drawn digits (tests/drawn_digits.py, the same seed) through the cached
    default model: overall, per background and the styles it gets wrong."""
    import numpy as np
    from drawn_digits import drawn_set

    from autograder.examples import digit_image, predict

    model = predict.default_model(cache)
    drawn = drawn_set(per_style=10, seed=2024)
    x = np.stack([digit_image.prepare(image.astype(np.float32)).pixels for image, _, _ in drawn])
    labels = np.array([label for _, label, _ in drawn])
    right = model.probabilities(x).argmax(axis=1) == labels
    paper = np.arange(len(drawn)) % 2 == 0
    wrong = {}
    for (_, _, style), ok in zip(drawn, right, strict=True):
        wrong[style] = wrong.get(style, 0) + (not ok)
    print(f"drawn digits recognised: {100 * right.mean():.1f} % of {len(drawn)} (paper "
          f"{100 * right[paper].mean():.1f} %, black canvas {100 * right[~paper].mean():.1f} %); "
          "missed: " + (", ".join(f"{k} {v}/10" for k, v in wrong.items() if v) or "none"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--examples", action="store_true")
    args = parser.parse_args()
    from drawn_digits import drawn_set
    from PIL import Image
    from test_predict import png_of_declared_size

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        cache, out = work / "cache", work / "figures"
        image, _, _ = drawn_set(per_style=1, seed=1)[0]
        digit = work / "digit.png"
        Image.fromarray(image).save(digit)
        wall, peak, status, cpu = dltips("predict", str(digit), "-o", str(out), cache=cache)
        print(f"first call, trains the default model: {wall:.1f} s (exit {status}; CPU "
              f"{cpu:.0f} s in the main process), peak RSS {peak:.0f} MiB, {load()}")
        runs = [dltips("predict", str(digit), "-o", str(out), cache=cache)
                for _ in range(args.repeat)]
        walls = [run[0] for run in runs]
        print(f"later calls: median {statistics.median(walls):.2f} s, max {max(walls):.2f} s "
              f"over {args.repeat} (CPU median {statistics.median(r[3] for r in runs):.2f} s, "
              f"peak RSS {max(r[1] for r in runs):.0f} MiB), {load()}")
        walls = [dltips("predict", str(digit), "--explain", "-o", str(out), cache=cache)[0]
                 for _ in range(args.repeat)]
        print(f"later calls with --explain: median {statistics.median(walls):.2f} s, {load()}")
        bomb = png_of_declared_size(work / "big.png", 13_000, 13_000, rows=8)  # 169 MP
        wall, peak, status, _ = dltips("predict", str(bomb), cache=cache)
        print(f"169-megapixel PNG of {bomb.stat().st_size} bytes refused: exit {status}, "
              f"{wall:.2f} s, peak RSS {peak:.0f} MiB, {load()}")
        accuracy_report(cache)
        if args.examples:
            wall, peak, status, cpu = dltips("examples", "-o", str(work / "examples"),
                                             cache=cache)
            print(f"dltips examples (all five): {wall:.0f} s (exit {status}; CPU {cpu:.0f} s), "
                  f"{load()}")


if __name__ == "__main__":
    main()
