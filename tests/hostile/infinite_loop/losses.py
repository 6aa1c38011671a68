import numpy as np


def softmax(x):
    while True:
        pass


def mse(y_true, y_pred):
    return float(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2))
