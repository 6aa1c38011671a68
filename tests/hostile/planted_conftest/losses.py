import os

import numpy as np


def conftest_ran():
    return os.path.exists("conftest_ran.txt")


def mse(y_true, y_pred):
    return float(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2))
