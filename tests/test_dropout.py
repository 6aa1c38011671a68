"""solutions/dropout.py against keras.layers.Dropout (inverted dropout) and exact math.

Keras draws its mask from TensorFlow's stateless RNG, which numpy cannot reproduce, so
Keras's mask is read back from its output (x has no zeros) and handed to our function.
"""

from __future__ import annotations

import warnings
from types import ModuleType

import numpy as np
import pytest
from helpers_keras import (
    EXACT_RTOL,
    assert_float64_array,
    assert_keras_close,
    assert_unchanged,
    central_difference,
    f32_exact,
    snapshot,
    tf_module,
)

from solutions import dropout as dp

RATES = [0.0, 0.1, 0.5, 0.75, 1.0]
SHAPES = [(6,), (4, 5), (2, 3, 4, 2)]


def _nonzero(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """float32-exact values with |x| >= 0.5, so a zero output always means 'dropped'."""
    rng = np.random.default_rng(seed)
    return f32_exact(rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape))


def _quiet() -> tuple[warnings.catch_warnings, np.errstate]:
    return warnings.catch_warnings(), np.errstate(all="raise")


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_formula_with_given_mask(rate: float, shape: tuple) -> None:
    x = _nonzero(1, shape)
    mask = np.random.default_rng(2).random(shape) >= 0.4
    before = snapshot(x, mask)
    catcher, errstate = _quiet()
    with catcher, errstate:
        warnings.simplefilter("error")
        out, used = dp.dropout_forward(x, rate, mask=mask)
    assert_unchanged([x, mask], before)
    assert_float64_array(out, shape)
    assert used.dtype == np.bool_ and used.shape == shape
    np.testing.assert_array_equal(used, mask)
    expected = np.zeros(shape) if rate == 1.0 else x * mask / (1.0 - rate)
    np.testing.assert_allclose(out, expected, rtol=EXACT_RTOL, atol=0)


def test_forward_numeric_mask_becomes_boolean() -> None:
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    out, used = dp.dropout_forward(x, 0.5, mask=np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert used.dtype == np.bool_
    np.testing.assert_array_equal(used, [[True, False], [False, True]])
    np.testing.assert_allclose(out, [[2.0, 0.0], [0.0, 8.0]], rtol=EXACT_RTOL)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("rate", RATES)
def test_rng_path_is_reproducible(seed: int, rate: float) -> None:
    x = _nonzero(seed, (5, 7))
    out, mask = dp.dropout_forward(x, rate, rng=np.random.default_rng(seed))
    expected_mask = np.random.default_rng(seed).random(x.shape) >= rate
    assert mask.dtype == np.bool_
    np.testing.assert_array_equal(mask, expected_mask)
    again, mask_again = dp.dropout_forward(x, rate, rng=np.random.default_rng(seed))
    np.testing.assert_array_equal(again, out)
    np.testing.assert_array_equal(mask_again, mask)
    if rate == 0.0:
        assert mask.all()
        np.testing.assert_array_equal(out, x)
    if rate == 1.0:
        assert not mask.any()
        assert np.all(out == 0.0)


def test_rng_defaults_to_a_fresh_generator() -> None:
    x = np.ones((50, 40))
    (_, m1), (_, m2) = dp.dropout_forward(x, 0.5), dp.dropout_forward(x, 0.5)
    assert m1.dtype == np.bool_ and m1.shape == x.shape
    assert not np.array_equal(m1, m2)  # 2000 fair coins: equal with probability 2**-2000
    assert abs(m1.mean() - 0.5) < 0.1


@pytest.mark.parametrize("rate", [0.0, 0.3, 1.0])
def test_inference_is_identity(keras: ModuleType, rate: float) -> None:
    x = [[1, -2], [3, 4]]  # a list of ints: the result is still float64
    out, mask = dp.dropout_forward(x, rate, training=False, rng=np.random.default_rng(0))
    assert mask is None
    assert_float64_array(out, (2, 2))
    np.testing.assert_array_equal(out, x)
    layer = keras.layers.Dropout(rate)
    np.testing.assert_array_equal(out, layer(np.array(x, np.float32), training=False))


@pytest.mark.parametrize("bad", [-0.1, -1e-12, 1.0000001, 2.0, np.inf, np.nan])
@pytest.mark.parametrize("training", [True, False])
def test_bad_rate_raises(bad: float, training: bool) -> None:
    with pytest.raises(ValueError, match="rate"):
        dp.dropout_forward(np.ones(3), bad, training=training, rng=np.random.default_rng(0))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("rate", [0.2, 0.5, 0.9])
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_keras_dropout_given_its_mask(
    keras: ModuleType, seed: int, rate: float, shape: tuple
) -> None:
    x = _nonzero(seed, shape)
    keras_out = np.asarray(
        keras.layers.Dropout(rate, seed=seed)(x.astype(np.float32), training=True)
    )
    keras_mask = keras_out != 0.0
    out, mask = dp.dropout_forward(x, rate, mask=keras_mask)
    np.testing.assert_array_equal(mask, keras_mask)
    assert_keras_close(out, keras_out)  # kept units scaled by exactly 1/(1-rate)


def test_a_mask_of_other_numbers_keeps_where_nonzero() -> None:
    x = np.arange(1.0, 7.0).reshape(2, 3)
    weights = np.array([[2.0, 0.0, -1.0], [0.5, 0.0, 3.0]])
    out, mask = dp.dropout_forward(x, 0.5, mask=weights)
    np.testing.assert_array_equal(mask, weights != 0)
    np.testing.assert_array_equal(out, np.where(weights != 0, x / 0.5, 0.0))
    np.testing.assert_array_equal(dp.dropout_backward(x, weights, 0.5),
                                  np.where(weights != 0, x / 0.5, 0.0))


def test_rate_one_with_a_given_mask_is_zeros_without_warnings() -> None:
    x, given = np.ones((2, 3)), np.array([[1, 0, 1], [0, 1, 1]])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        out, mask = dp.dropout_forward(x, 1.0, mask=given)
        dx = dp.dropout_backward(x, given, 1.0)
    np.testing.assert_array_equal(out, np.zeros((2, 3)))
    np.testing.assert_array_equal(mask, given.astype(bool))
    np.testing.assert_array_equal(dx, np.zeros((2, 3)))


@pytest.mark.parametrize("rate", [0.0, 1.0])
def test_matches_keras_dropout_at_rate_bounds(keras: ModuleType, rate: float) -> None:
    x = _nonzero(3, (4, 6))
    keras_out = keras.layers.Dropout(rate, seed=1)(x.astype(np.float32), training=True)
    out, _ = dp.dropout_forward(x, rate, rng=np.random.default_rng(1))
    assert_keras_close(out, keras_out)


@pytest.mark.parametrize("rate", [0.25, 0.6])
def test_keep_fraction_and_mean_match_keras_statistically(keras: ModuleType, rate: float) -> None:
    x = np.full((200, 100), 2.0)
    keras.utils.set_random_seed(11)
    keras_out = np.asarray(keras.layers.Dropout(rate)(x.astype(np.float32), training=True))
    out, mask = dp.dropout_forward(x, rate, rng=np.random.default_rng(11))
    tol = 5 * np.sqrt(rate * (1 - rate) / x.size)  # five standard errors
    assert abs(mask.mean() - (1 - rate)) < tol
    assert abs(np.mean(keras_out != 0) - (1 - rate)) < tol
    # Inverted dropout keeps the expected activation: both means are close to x.
    assert abs(out.mean() - 2.0) < 2.0 * tol / (1 - rate)
    assert abs(keras_out.mean() - 2.0) < 2.0 * tol / (1 - rate)


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("shape", SHAPES)
def test_backward_formula(rate: float, shape: tuple) -> None:
    rng = np.random.default_rng(4)
    dout = rng.normal(size=shape)
    mask = rng.random(shape) >= 0.5
    before = snapshot(dout, mask)
    catcher, errstate = _quiet()
    with catcher, errstate:
        warnings.simplefilter("error")
        dx = dp.dropout_backward(dout, mask, rate)
    assert_unchanged([dout, mask], before)
    assert_float64_array(dx, shape)
    expected = np.zeros(shape) if rate == 1.0 else dout * mask / (1.0 - rate)
    np.testing.assert_allclose(dx, expected, rtol=EXACT_RTOL, atol=0)


@pytest.mark.parametrize("rate", [0.0, 0.3, 0.8, 1.0])
@pytest.mark.parametrize("shape", [(5,), (3, 2, 2)])
def test_backward_central_difference(rate: float, shape: tuple) -> None:
    rng = np.random.default_rng(5)
    x, dout = rng.normal(size=shape), rng.normal(size=shape)
    mask = rng.random(shape) >= 0.5
    numeric = central_difference(
        lambda v: float(np.sum(dp.dropout_forward(v, rate, mask=mask)[0] * dout)), x
    )
    np.testing.assert_allclose(dp.dropout_backward(dout, mask, rate), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("rate", [0.3, 0.7])
def test_backward_matches_keras_tape(keras: ModuleType, rate: float) -> None:
    tf = tf_module()
    x = _nonzero(6, (4, 5)).astype(np.float32)
    dout = f32_exact(np.random.default_rng(6).normal(size=(4, 5)))
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = keras.layers.Dropout(rate, seed=3)(xt, training=True)
        total = tf.reduce_sum(y * dout.astype(np.float32))
    keras_mask = y.numpy() != 0.0
    assert_keras_close(dp.dropout_backward(dout, keras_mask, rate), tape.gradient(total, xt))
