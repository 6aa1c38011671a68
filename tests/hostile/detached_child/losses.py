import os
import signal

import numpy as np


def softmax(x, token):
    """Starts children meant to outlive grading: setsid + double fork, signals ignored."""
    for _ in range(3):
        _detach(["sleep", token])
    return "started"


def fork_many(x, token, count=10):
    for _ in range(count):
        if os.fork() == 0:
            _become(["sleep", token])
    return count


def fork_bomb(x, token, limit=300):
    """Forks until the process cap stops it (bounded, so it cannot hurt an unlimited host)."""
    started = 0
    for _ in range(limit):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            _become(["sleep", token])
        started += 1
    return started


def _detach(argv):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            _become(argv)
        os._exit(0)
    os.wait()


def _become(argv):
    try:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        os.execv("/bin/sleep", argv)
    finally:
        os._exit(1)


def mse(y_true, y_pred):
    return float(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2))
