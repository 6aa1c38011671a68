# Student exercise: replace every `raise NotImplementedError(...)` with your code.
# Generated from the reference solutions by `dltips release stubs`; the function names,
# parameters and docstrings are the contract the grader checks.
"""Dropout (lecture section 3.4), "inverted dropout" exactly as Keras does it.

During training each unit is kept with probability ``1 - rate`` and dropped (set to 0)
with probability ``rate``; the kept units are scaled by ``1 / (1 - rate)`` so the expected
value of every unit is unchanged. At inference nothing is dropped and nothing is scaled:
``keras.layers.Dropout(rate)`` is the identity unless ``training=True``.

Lecture erratum: both ``keras.layers.Dropout(rate)`` and TF2's ``tf.nn.dropout(x, rate)``
take the DROP rate. TF1's ``tf.nn.dropout(x, keep_prob)`` took the keep probability, so
the lecture's ``keep_prob=0.7`` is ``rate=0.3`` today.

Both functions accept array-likes and never modify their inputs (the grader checks that
every argument comes back unchanged). Where a docstring promises "no warnings", the grader
runs the function under numpy's default error settings and fails it on any warning.
To reuse a function of another exercise module, import it by its bare module name (see
``assignments/__init__.py``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def dropout_forward(
    x: ArrayLike,
    rate: float,
    training: bool = True,
    rng: np.random.Generator | None = None,
    mask: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Forward pass of inverted dropout.

    - ``rate`` must satisfy ``0 <= rate <= 1``, otherwise raise ``ValueError``. Check it
      first, whatever ``training`` is (Keras checks it when the layer is made).
    - ``training=False``: return ``(x, None)``: the values of x unchanged (as a float64
      array), and no mask.
    - ``training=True``: the KEEP-mask is ``mask`` if one is given, otherwise
      ``rng.random(x.shape) >= rate`` (``rng`` defaults to ``np.random.default_rng()``), so
      a unit is kept with probability ``1 - rate``. Then ``out = x * mask / (1 - rate)``.
      A given mask is read as booleans (``np.asarray(mask).astype(bool)``): any nonzero
      entry keeps its unit and zero drops it; its values are never used as weights.
      ``rate == 1`` drops everything: ``out`` is all zeros whatever the mask, with no
      division by zero and no warnings; a given mask is still returned (as booleans).
      ``rate == 0`` keeps everything: ``out`` equals x.

    Inputs:
    - x: activations, array-like of any shape.
    - rate: fraction of units to DROP, in [0, 1].
    - training: whether dropout is active.
    - rng: a ``numpy.random.Generator``; used only when no mask is given.
    - mask: optional keep-mask of x's shape (True or nonzero = keep).

    Returns a tuple ``(out, mask)``:
    - out: float64 array of x's shape.
    - mask: the boolean keep-mask used (shape of x), or None when ``training=False``.
    """
    raise NotImplementedError('dropout_forward: validate rate; build a boolean keep-mask; scale kept units by 1/(1-rate).')


def dropout_backward(dout: ArrayLike, mask: ArrayLike, rate: float) -> np.ndarray:
    """Backward pass of inverted dropout (training mode).

    ``dx = dout * mask / (1 - rate)``: the gradient flows only through kept units, with the
    same scaling as the forward pass. For ``rate == 1`` it is all zeros (no division by
    zero, no warnings). The mask is read as booleans, as in the forward pass.

    Inputs:
    - dout: upstream gradient, any shape.
    - mask: the keep-mask returned by ``dropout_forward``, same shape.
    - rate: the rate used in the forward pass.

    Returns:
    - dx, float64 array of dout's shape.
    """
    raise NotImplementedError('dropout_backward: the same expression as the forward pass, applied to dout.')
