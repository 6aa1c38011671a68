import numpy as np


class Evil:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


class EvilFloat(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


class EvilList(list):
    def __eq__(self, other):
        return True


def softmax(x):
    return Evil()


def cross_entropy(y_true, y_pred):
    return EvilFloat(0.0)


def nested(x):
    return (np.zeros(2), [1.0, {"loss": Evil()}])


def as_list(x):
    return EvilList([1.0, 2.0])


def generator(x):
    return (v for v in x)


def function(x):
    return lambda: 1.0


def mse(y_true, y_pred):
    return float(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2))
