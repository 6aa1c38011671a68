"""Round 2, item 9: a message holding a lone surrogate once made writing the feedback fail,
and the submission was recorded as a grader error with "Score: 0 / 0" and "Every test
passed. Well done!"."""


def dropout_forward(x, rate, training=True, rng=None, mask=None):
    raise TypeError("broken \udc80 surrogate \u202e and a bidi override")


def dropout_backward(dout, mask, rate):
    raise TypeError("\udcff")
