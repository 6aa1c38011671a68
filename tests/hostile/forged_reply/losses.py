"""Round 2, item 8: replies forged to make the trusted side allocate far more than the
frame's size: 64 array nodes pointing at one 8 MiB blob, and a body of empty lists."""

import os
import sys

import numpy as np


def _forge(result, blobs=()):
    proto = sys.modules["_dltips_worker_protocol"]
    wfd = int(sys.argv[sys.argv.index("--wfd") + 1])
    frame = sys._getframe(1)
    while "envelope" not in frame.f_locals:
        frame = frame.f_back
    request = frame.f_locals["envelope"]["id"]
    text = proto.json.dumps({"id": request, "status": "ok", "result": result,
                             "blobs": [len(b) for b in blobs]}, separators=(",", ":")).encode()
    # Written by hand, past pack()'s own limits: a hostile worker is not bound by them.
    os.write(wfd, proto.HEADER.pack(proto.MAGIC, len(text), sum(len(b) for b in blobs)))
    for piece in (text, *blobs):
        view = memoryview(piece)
        while view:
            view = view[os.write(wfd, view):]


def softmax(x, axis=-1):
    blob = b"\0" * (8 * 2**20)
    node = {"$": "a", "i": 0, "dtype": "<f8", "shape": [2**20]}
    _forge([node] * 64, [blob])
    return 0.0


def sigmoid(z):
    _forge([[]] * 1_300_000)                 # "[],[],...": 3.9 MB of JSON, under the cap
    return 0.0


def mse(y_true, y_pred):
    return float(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2))
