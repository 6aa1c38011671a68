"""The committed Keras/scikit-learn cache (autograder/course/references/keras_refs.npz) is right.

Grading never imports TensorFlow, so the hidden suites trust this cache. Here every entry
is recomputed with live Keras 3 (TensorFlow backend) and scikit-learn and compared with
the cache, and the reference solutions are checked against the cache at the issue's
tolerances (``generate.tolerance``: float32 Keras rtol 1e-5, Adam 5e-5, batch-norm dx 1e-3
with atol 1e-5; scikit-learn 1e-7; a diverging run 1e-4, its weights as a vector). Each
tolerance must cover the case's conditioning: moving every input by float32 rounding may
use at most a third of it, so a cache made on one CPU or kernel holds on another.
"""

from __future__ import annotations

from collections import defaultdict
from types import ModuleType

import numpy as np
import pytest

from autograder.course.references import cases, generate


def _cache() -> dict[str, np.ndarray]:
    with np.load(generate.REFS_PATH, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


CACHE = _cache()
FIELDS: dict[str, list[str]] = defaultdict(list)
for _key in CACHE:
    _name, _field = _key.rsplit("/", 1)
    FIELDS[_name].append(_field)
CACHED_CASES = sorted(FIELDS)


def _assert_close(name: str, field: str, actual, expected) -> None:
    rtol, atol = generate.tolerance(name, field, expected)
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, (name, field, actual.shape, expected.shape)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True,
                               err_msg=f"{name}/{field}")


def test_cache_covers_every_keras_case_and_nothing_else():
    """Every case of a family with a Keras/scikit-learn counterpart is cached; no stale keys."""
    assert set(CACHED_CASES) <= set(cases.names()), set(CACHED_CASES) - set(cases.names())
    for name in cases.names():
        has_counterpart = (cases.kind(name) in generate._KERAS and name not in generate.SKIPPED
                           and "epsilon" not in cases.get(name))
        assert (name in FIELDS) == has_counterpart, name


@pytest.mark.slow
@pytest.mark.parametrize("name", CACHED_CASES)
def test_cache_matches_live_keras(keras: ModuleType, name: str):
    """Recomputing the case with live Keras / scikit-learn reproduces the cache."""
    live = generate.keras_outputs(name)
    assert sorted(live) == sorted(FIELDS[name])
    for field, value in live.items():
        _assert_close(name, field, value, CACHE[f"{name}/{field}"])


@pytest.mark.parametrize("name", CACHED_CASES)
def test_solutions_match_cache(name: str):
    """The reference solutions agree with the cached Keras / scikit-learn outputs."""
    outputs = generate.solution_outputs(name, CACHE)
    assert sorted(outputs) == sorted(FIELDS[name])
    for field, value in outputs.items():
        _assert_close(name, field, value, CACHE[f"{name}/{field}"])


FLOAT32_ROUNDING = 2.0**-24
# A backward-stable float32 computation returns the exact result of inputs moved by a few
# units of roundoff, whatever order its CPU and kernels sum in; moving every input by up
# to one unit must therefore use at most a third of the tolerance.
MARGIN = 3.0


def _perturb(value, factor):
    """The case with every float scaled by ``factor(value)``: equal numbers stay equal (a
    constant column stays constant), zeros stay zero, integers and booleans are kept."""
    if isinstance(value, dict):
        return {key: _perturb(item, factor) for key, item in value.items()}
    if isinstance(value, list):
        return [_perturb(item, factor) for item in value]
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return np.vectorize(lambda x: x * factor(x), otypes=[np.float64])(value)
    if type(value) is float:
        return value * factor(value)
    return value


def _float32_rounding(seed: int):
    """One factor per distinct number, 1 +- up to float32's unit roundoff."""
    rng, factors = np.random.default_rng(seed), {}
    return lambda x: factors.setdefault(x, 1.0 + FLOAT32_ROUNDING * rng.uniform(-1, 1))


@pytest.mark.parametrize("name", CACHED_CASES)
def test_tolerances_follow_the_conditioning_of_each_case(name: str):
    """Moving every input by float32 rounding moves the float64 reference by at most a
    third of the tolerance: a float32 Keras run on another CPU or kernel, which rounds
    differently, stays within the tolerance, and so does a float64 student against it."""
    base = generate.solution_outputs(name, CACHE)
    for seed in range(4):
        case = _perturb(cases.get(name), _float32_rounding(seed))
        moved = generate.solution_outputs(name, CACHE, case=case)
        for field, value in base.items():
            expected = CACHE[f"{name}/{field}"]
            rtol, atol = generate.tolerance(name, field, expected)
            if rtol < 1e-6:
                continue  # scikit-learn computes in float64 like the solutions
            shift = np.abs(np.asarray(moved[field], float) - np.asarray(value, float))
            worst = float(np.max(shift / (atol + rtol * np.abs(expected)), initial=0.0))
            assert worst <= 1 / MARGIN, (name, field, worst)


def test_cases_are_deterministic_and_fresh():
    """get() rebuilds the same numbers every time and never hands out shared arrays."""
    for name in cases.names():
        first, second = cases.get(name), cases.get(name)
        for key in first:
            a, b = first[key], second[key]
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b)
                assert a is not b


def test_diagnose_cases_are_far_from_the_converged_boundary():
    """The learning-rate diagnosis cases are not decided by rounding: the remaining gap
    ratio is at least 2x away from rtol, so every correct formula agrees."""
    from solutions import gradient_descent

    for name in ("gd_converge", "gd_slow", "gd_diverge"):
        c = cases.get(name)
        for history in (CACHE[f"{name}/history"], gradient_descent.gradient_descent(
                c["X"], c["y"], c["learning_rate"], c["epochs"])[2]):
            ratio = (history[-1] - c["optimum"]) / (history[0] - c["optimum"])
            assert not 0.005 <= ratio <= 0.02, (name, ratio)
