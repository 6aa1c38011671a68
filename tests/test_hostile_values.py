"""Hostile values and replies (issue 7, items 8, 10 and 11): data from a submission is
hostile in the trusted process too. A forged reply cannot make the grader allocate much
more than its own size; a malformed value fails the student's test with a clear message,
never as a grader error; a dropout that never drops earns nothing for its mask."""

from __future__ import annotations

import shutil
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from autograder.course.contract import REPO_ROOT
from autograder.grading.engine import GradeOptions, grade_submission
from autograder.grading.testing import check_close, check_equal
from autograder.sandbox.session import StudentError, StudentSession

HOSTILE = Path(__file__).resolve().parent / "hostile"
Y_TRUE, Y_PRED = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0])
GRADER_ERROR = "The grader itself failed"


def hostile(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(HOSTILE / name, tmp_path / name))


def peak_mib_during(action) -> tuple[float, object]:
    """The trusted process's peak Python + numpy allocations while ``action`` runs."""
    tracemalloc.start()
    try:
        outcome = action()
    except StudentError as error:
        outcome = error
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 2**20, outcome


# ----- item 8: decoding is bounded by what was received --------------------------------------
@pytest.mark.parametrize("function", ["softmax", "sigmoid"])
def test_forged_replies_cannot_inflate_the_grader(tmp_path, function):
    """64 array nodes on one 8 MiB blob once grew the runner by ~512 MiB; a body of empty
    lists by ~50 times its size. Both are refused before they are built."""
    with StudentSession(hostile("forged_reply", tmp_path), call_timeout=20) as session:
        assert session.call("losses", "mse", Y_TRUE, Y_PRED) == pytest.approx(4 / 3)
        peak, outcome = peak_mib_during(lambda: session.call("losses", function, Y_TRUE))
        assert isinstance(outcome, StudentError), outcome
        assert outcome.kind in ("crashed", "bad_return")
        assert "malformed reply" in outcome.message or "could not be decoded" in outcome.message
        assert peak < 40, f"the grader allocated {peak:.0f} MiB for one forged reply"
        assert session.call("losses", "mse", Y_TRUE, Y_PRED) == pytest.approx(4 / 3)


def test_runner_has_its_own_memory_limit():
    import resource
    import subprocess
    import sys

    code = ("import resource, sys\n"
            "from autograder.grading import runner\n"
            "runner.limit_own_memory(1024)\n"
            "print(resource.getrlimit(resource.RLIMIT_AS)[0])\n"
            "try:\n"
            "    bytearray(2 * 2**30)\n"
            "except MemoryError:\n"
            "    print('refused')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.split() == [str(1024 * 2**20), "refused"], done.stderr
    assert resource.getrlimit(resource.RLIMIT_AS)[0] != 1024 * 2**20  # only the child


# ----- item 10: a malformed value is the student's wrong answer ------------------------------
def test_malformed_values_are_the_students_failures(tmp_path):
    results = grade_submission(hostile("malformed_values", tmp_path),  # the grader's words
                               GradeOptions(modules=("gradient_descent",),
                                            disclose="values")).results
    failed = [t for t in results["tests"] if t["status"] != "passed"]
    assert len(failed) == len(results["tests"]) > 0
    kinds = {t["name"]: t["extra_data"]["kind"] for t in failed}
    assert "grader_error" not in kinds.values(), kinds
    assert not [t["name"] for t in failed if GRADER_ERROR in t["output"]]
    outputs = " ".join(t["output"] for t in failed)
    assert "could not be decoded (bad array dtype '<f3')" in outputs
    assert "could not be decoded (complex number out of range)" in outputs
    assert "could not be decoded (bad array shape" in outputs
    assert "expected 'converged'" in outputs or "expected '" in outputs  # the label check


@pytest.mark.parametrize("actual", [np.zeros(3), [[1.0], [2.0, 3.0]], {"a": 1}, 10**300,
                                    (np.zeros(2), "x"), complex(1, 2), None])
def test_checks_turn_any_value_into_an_assertion(actual):
    for expected in ("converged", None, 1.5, np.ones(3), (1, 2), {"a": np.ones(2)}):
        for check in (check_close, check_equal):
            try:
                check("v", actual, expected)
            except AssertionError as error:
                assert str(error).startswith("`v") and len(str(error)) < 400


# ----- item 11: the dropout mask must be a mask ------------------------------------------
def test_a_dropout_that_never_drops_loses_the_default_rng_points(tmp_path):
    lazy = grade_submission(hostile("lazy_dropout", tmp_path),  # the grader's words in full
                            GradeOptions(modules=("dropout",), disclose="values")).results
    by_name = {t["extra_data"]["nodeid"].split("::")[-1]: t for t in lazy["tests"]}
    default = by_name["test_dropout_forward_default_rng"]
    assert default["status"] == "failed" and default["extra_data"]["kind"] == "wrong_answer"
    assert "boolean keep-mask" in default["output"] and "e.g. 0.75" in default["output"]
    honest = tmp_path / "honest"
    honest.mkdir()
    shutil.copy2(REPO_ROOT / "solutions" / "dropout.py", honest / "dropout.py")
    reference = grade_submission(honest, GradeOptions(modules=("dropout",))).results
    assert reference["score"] == 8
