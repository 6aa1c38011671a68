"""The public suites' expected.npz is what `python -m autograder.course.suites.public.generate`
makes from the current solutions (a stale file would mislead students)."""

from __future__ import annotations

import numpy as np

from autograder.course.suites.public import generate


def test_public_expected_is_fresh():
    fresh = generate.compute()
    with np.load(generate.EXPECTED_PATH, allow_pickle=False) as data:
        stored = {key: data[key] for key in data.files}
    assert sorted(stored) == sorted(fresh), (
        "run `python -m autograder.course.suites.public.generate`")
    for key, value in fresh.items():
        assert stored[key].dtype == value.dtype, key
        if value.dtype.kind == "U":  # e.g. the layers of the public mnist network
            np.testing.assert_array_equal(stored[key], value, err_msg=key)
            continue
        # Bitwise equality would tie the file to one BLAS; 1e-12 still catches any change.
        np.testing.assert_allclose(stored[key], value, rtol=1e-12, atol=1e-14, err_msg=key)


def test_public_expected_loads_without_pickle():
    from autograder.course.suites import public

    assert public.case("gd")["epochs"] == 20
    assert isinstance(public.case("dropout")["rate"], float)
