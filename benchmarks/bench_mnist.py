"""Accuracy and speed of the lecture's MNIST network, measured and printed (not asserted).

    python benchmarks/bench_mnist.py [--seeds 20] [--epochs 10]
    python benchmarks/bench_mnist.py --mnist path/to/mnist.npz [--mnist-epochs 10]

Prints:
- the test accuracy of ``build_model(64)`` (5 x Dense(256) + Dropout(0.2), Adam 0.001)
  trained with ``train_model`` on scikit-learn's offline 8x8 digits, per seed, and its
  min / median / max over the seeds against the hidden suite's bar (the grader's own run,
  seeded, must clear it: the spread says by how much a seed could move it), with seconds
  per epoch;
- with ``--mnist``: the same network on the real MNIST (``load_mnist(path)``, a Keras-format
  mnist.npz), test accuracy after each of ``--mnist-epochs`` epochs (target: >= 98 % within
  10) and seconds per epoch on this CPU; without it (no download here), seconds per epoch
  on random data of MNIST's shape (timing only: no accuracy is claimed from it);
- with ``--grading``: wall seconds to grade the reference's mnist_classifier with the hidden
  suite (its own sandboxed worker, TensorFlow on both sides).

It uses the reference solutions (``solutions/mnist_classifier.py``).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from autograder.examples.common import keras  # noqa: E402


def digits_runs(seeds: int, epochs: int) -> list[tuple[float, float]]:
    """(test accuracy, seconds per epoch) of the lecture network per seed, 8x8 digits."""
    from solutions import mnist_classifier as mc

    k = keras()
    (x_train, y_train), (x_test, y_test) = mc.load_digits_dataset()
    x, y = mc.preprocess(x_train, y_train, max_value=16.0)
    runs = []
    for seed in range(seeds):
        k.utils.set_random_seed(seed)
        model = mc.build_model(64)
        started = time.perf_counter()
        mc.train_model(model, x, y, epochs=epochs)
        per_epoch = (time.perf_counter() - started) / epochs
        accuracy = float((mc.predict_digits(model, x_test, max_value=16.0) == y_test).mean())
        runs.append((accuracy, per_epoch))
        print(f"  seed {seed}: test accuracy {100 * accuracy:.2f} %, {per_epoch:.3f} s per epoch",
              flush=True)
    return runs


def mnist_run(path: Path, epochs: int) -> list[tuple[float, float]]:
    """(test accuracy, seconds) after each epoch of the lecture network on real MNIST."""
    from solutions import mnist_classifier as mc

    k = keras()
    (x_train, y_train), (x_test, y_test) = mc.load_mnist(str(path))
    x, y = mc.preprocess(x_train, y_train)
    k.utils.set_random_seed(0)
    model = mc.build_model(x.shape[1])
    per_epoch = []
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        mc.train_model(model, x, y, epochs=1)
        seconds = time.perf_counter() - started
        accuracy = float((mc.predict_digits(model, x_test) == y_test).mean())
        per_epoch.append((accuracy, seconds))
        print(f"  epoch {epoch:2d}: test accuracy {100 * accuracy:.2f} %, {seconds:.1f} s",
              flush=True)
    return per_epoch


def mnist_shaped_seconds(epochs: int) -> list[float]:
    """Seconds per epoch of the lecture network on random uint8 data of MNIST's shape."""
    from solutions import mnist_classifier as mc

    k = keras()
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8), rng.integers(
        0, 10, 60000)
    x, y = mc.preprocess(images, labels)
    k.utils.set_random_seed(0)
    model = mc.build_model(784)
    seconds = []
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        mc.train_model(model, x, y, epochs=1)
        seconds.append(time.perf_counter() - started)
        print(f"  epoch {epoch}: {seconds[-1]:.1f} s", flush=True)
    return seconds


def grading_seconds(repeat: int) -> list[float]:
    """Wall seconds to grade the reference's mnist_classifier (hidden suite, sandboxed)."""
    from autograder.grading.engine import GradeOptions, grade_submission

    times = []
    with tempfile.TemporaryDirectory() as scratch:
        submission = Path(scratch) / "reference"
        submission.mkdir()
        (submission / "mnist_classifier.py").write_bytes(
            (ROOT / "solutions" / "mnist_classifier.py").read_bytes())
        for _ in range(repeat):
            started = time.perf_counter()
            result = grade_submission(submission, GradeOptions(modules=("mnist_classifier",)))
            times.append(time.perf_counter() - started)
            assert result.score == result.max_score, "the reference must get full marks"
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=20)
    from autograder.course.references.mnist_runs import ACCURACY_EPOCHS

    parser.add_argument("--epochs", type=int, default=ACCURACY_EPOCHS,
                        help=f"epochs on the 8x8 digits ({ACCURACY_EPOCHS}: the grader's "
                             "accuracy run)")
    parser.add_argument("--mnist", type=Path, help="a Keras-format mnist.npz")
    parser.add_argument("--mnist-epochs", type=int, default=10)
    parser.add_argument("--grading", type=int, default=0, metavar="N",
                        help="also time N hidden-suite gradings of the reference")
    args = parser.parse_args(argv)
    if args.mnist is not None and not args.mnist.is_file():
        parser.error(f"{args.mnist}: no such file")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}")
    print(f"8x8 digits (1347 train / 450 test), build_model(64), {args.epochs} epochs, "
          f"batch 128:")
    runs = digits_runs(args.seeds, args.epochs)
    accuracies = [a for a, _ in runs]
    from autograder.course.suites.hidden.test_mnist_classifier import ACCURACY_TARGET

    print(f"digits over {len(runs)} seeds: test accuracy min {100 * min(accuracies):.2f} %, "
          f"median {100 * statistics.median(accuracies):.2f} %, max "
          f"{100 * max(accuracies):.2f} % (the grading bar: {100 * ACCURACY_TARGET:.0f} %, "
          f"margin of the worst seed {100 * (min(accuracies) - ACCURACY_TARGET):+.2f} "
          f"points), {statistics.median(s for _, s in runs):.3f} s per epoch")
    if args.mnist is not None:
        print("MNIST (60000 train / 10000 test), build_model(784), batch 128:")
        per_epoch = mnist_run(args.mnist, args.mnist_epochs)
        reached = next((i for i, (a, _) in enumerate(per_epoch, 1) if a >= 0.98), None)
        print(f"MNIST: best test accuracy {100 * max(a for a, _ in per_epoch):.2f} %, "
              f">= 98 % first at epoch {reached} (target: within 10), "
              f"{statistics.median(s for _, s in per_epoch):.1f} s per epoch")
    else:
        print("MNIST: no mnist.npz given (pass --mnist path/to/mnist.npz); timing the same "
              "network on random data of MNIST's shape (60000 x 28 x 28), batch 128:")
        seconds = mnist_shaped_seconds(args.mnist_epochs if args.mnist_epochs < 3 else 2)
        print(f"MNIST-shaped data: {statistics.median(seconds):.1f} s per epoch "
              "(timing only)")
    if args.grading:
        times = grading_seconds(args.grading)
        print(f"grading mnist_classifier (hidden suite, reference): median "
              f"{statistics.median(times):.1f} s, min {min(times):.1f} s wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
