"""Round 2, item 6: forged import_start / import_done events once gave one call two fresh
deadlines, so a call could run for almost three call_timeouts and still score. softmax
forges the pair a real import sends, spaced just under a call_timeout apart."""

import os
import sys
import time

import numpy as np


def _forge(event):
    proto = sys.modules["_dltips_worker_protocol"]
    wfd = int(sys.argv[sys.argv.index("--wfd") + 1])
    frame = sys._getframe(1)
    while "envelope" not in frame.f_locals:
        frame = frame.f_back
    request = frame.f_locals["envelope"]["id"]
    for piece in proto.pack({"id": request, "status": "event", "event": event}):
        os.write(wfd, piece)


def softmax(x, call_timeout):
    step = 0.9 * call_timeout
    time.sleep(step)
    _forge("import_start")
    time.sleep(step)
    _forge("import_done")
    time.sleep(step)
    return x


def slow(x, seconds):
    """Honest but slow: no forging."""
    time.sleep(seconds)
    return x


def mse(y_true, y_pred):
    return float(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2))
