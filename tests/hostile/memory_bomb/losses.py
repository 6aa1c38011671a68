import numpy as np


def softmax(x):
    hoard = []
    while True:
        hoard.append(bytearray(16 * 2**20))


def huge_array(x):
    return np.ones((2**20, 2**20))


def mse(y_true, y_pred):
    return float(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2))
