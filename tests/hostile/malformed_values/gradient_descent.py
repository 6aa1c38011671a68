"""Round 2, item 10: values that once made the comparison itself raise, so the test was
reported as "The grader itself failed on this test". Some are plain wrong returns, some
are forged reply frames written straight into the worker's reply pipe (the real encoder
would refuse them)."""

import os
import sys

import numpy as np


def _forge(result, blobs=()):
    """Write a reply for the current request before the worker's own (which then arrives
    late and is dropped as stale)."""
    proto = sys.modules["_dltips_worker_protocol"]
    wfd = int(sys.argv[sys.argv.index("--wfd") + 1])
    frame = sys._getframe(1)
    while "envelope" not in frame.f_locals:
        frame = frame.f_back
    request = frame.f_locals["envelope"]["id"]
    pieces = proto.pack({"id": request, "status": "ok", "result": result},
                        [memoryview(b) for b in blobs])
    for piece in pieces:
        os.write(wfd, piece)


def diagnose_learning_rate(history, optimum, rtol=1e-3):
    return np.zeros(3)                       # an array where a label string belongs


def predict(X, w, b):
    _forge({"$": "a", "i": 0, "dtype": "<f3", "shape": [2]}, [b"\0" * 6])
    return 0.0


def mse_loss_and_grads(X, y, w, b):
    _forge({"$": "t", "v": [{"$": "c", "v": [10**400, 0.0]}, 0.0, 0.0]})
    return 0.0


def gradient_descent(X, y, w0, b0, learning_rate=0.01, epochs=100):
    _forge({"$": "t", "v": [{"$": "a", "i": 0, "dtype": "<f8", "shape": [0, 10**30]},
                            0.0, []]}, [b""])
    return 0.0


def least_squares(X, y):
    return [[1.0, 2.0], [3.0]], {"b": [1, [2]]}   # ragged where arrays belong
