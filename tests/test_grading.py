"""The grader end to end: fair to correct work, exact about mistakes, sane outputs.

Both sides of every claim: the reference and an independently written implementation get
full marks; every sample mistake loses exactly the points of the functions it breaks.
"""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from autograder.course.contract import CONTRACT, MODULES, REPO_ROOT, qualified_functions
from autograder.course.samples import catalog
from autograder.grading import report
from autograder.grading.engine import GradeOptions, grade_many, grade_submission

INDEPENDENT = REPO_ROOT / "tests" / "independent"
# Everything the grader found, as students read it at the fullest disclosure level; what
# each level shows is tests/test_disclosure.py's.
OPTIONS = GradeOptions(disclose="values")


@pytest.fixture(scope="module")
def graded_samples(tmp_path_factory) -> dict:
    """Every bundled sample graded once, two at a time, as `dltips demo` does."""
    root = tmp_path_factory.mktemp("samples")
    sources = catalog.materialize(root / "submissions")
    results = grade_many(sources, root / "out", OPTIONS, jobs=2)
    return {"out": root / "out", "results": {r.name: r for r in results}}


def _failing(results: dict) -> set[str]:
    return {tag for tag, ok in report.function_status(results).items() if not ok}


def _max_points(results: dict) -> float:
    return sum(t["max_score"] for t in results["tests"])


# ---------------------------------------------------------------------------------------
# Fairness
# ---------------------------------------------------------------------------------------


def test_reference_gets_full_marks(graded_samples):
    results = graded_samples["results"]["reference"].results
    failed = [(t["name"], t["output"]) for t in results["tests"] if t["status"] != "passed"]
    assert failed == []
    assert results["score"] == _max_points(results) > 0


@pytest.mark.slow  # grades the Keras module too: TensorFlow, training
def test_independent_implementation_gets_full_marks():
    """Written from the contract alone, so full marks prove the tests ask nothing more."""
    results = grade_submission(INDEPENDENT, OPTIONS).results
    failed = [(t["name"], t["output"]) for t in results["tests"] if t["status"] != "passed"]
    assert failed == []
    assert results["score"] == _max_points(results)


def test_every_contract_function_is_graded(graded_samples):
    results = graded_samples["results"]["reference"].results
    assert set(report.function_status(results)) == set(qualified_functions())


# ---------------------------------------------------------------------------------------
# Mistakes cost exactly their functions
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", catalog.SAMPLES, ids=lambda s: s.name)
def test_sample_loses_exactly_its_functions(graded_samples, sample):
    results = graded_samples["results"][sample.name].results
    assert _failing(results) == set(sample.expected_failing)
    lost = sum(t["max_score"] for t in results["tests"] if t["status"] != "passed")
    assert results["score"] == pytest.approx(_max_points(results) - lost)


def test_stubs_fail_as_not_implemented(graded_samples):
    tests = graded_samples["results"]["stubs"].results["tests"]
    assert {t["extra_data"]["kind"] for t in tests} == {"not_implemented"}
    assert all("NotImplementedError" in t["output"] for t in tests)
    assert graded_samples["results"]["stubs"].score == 0


def _failed_outputs(graded_samples, sample: str) -> list[str]:
    """What the failed tests said, but for modules the sample leaves out (the catalogue's
    mistakes carry the numpy modules only)."""
    results = graded_samples["results"][sample].results
    return [t["output"] for t in results["tests"] if t["status"] != "passed"
            and t["extra_data"]["kind"] != "missing_module"]


def test_in_place_updates_and_warnings_are_named(graded_samples):
    """Right values are not enough where the contract promises more: the argument changed
    in place, or the warning raised, is named (the samples would score full marks else)."""
    for sample, said in [
            ("sgd_in_place", "`sgd_update` modified its argument `w` in place"),
            ("standardize_in_place", "`standardize` modified its argument `X` in place"),
            ("sigmoid_overflow", "`sigmoid` raised RuntimeWarning: overflow encountered in exp "
                                 "(at losses.py line ")]:
        outputs = _failed_outputs(graded_samples, sample)
        assert outputs and all(said in output for output in outputs), (sample, outputs)


def test_a_backward_test_names_the_forward_it_needs(graded_samples):
    """The stubs' batch-norm backward tests say the forward pass is missing, not its hint."""
    tests = graded_samples["results"]["stubs"].results["tests"]
    backward = [t["output"] for t in tests if "batchnorm.batchnorm_backward" in t["tags"]]
    assert backward and all(
        output.startswith("`batchnorm_backward` could not be checked: it needs the cache from "
                          "your `batchnorm_forward`, which is not implemented yet")
        and "x.mean(axis=axes)" not in output for output in backward)


def test_missing_module_and_syntax_error_are_named(graded_samples):
    missing = graded_samples["results"]["missing_batchnorm"].results
    kinds = {t["extra_data"]["kind"] for t in missing["tests"] if t["status"] != "passed"}
    assert kinds == {"missing_module"}
    assert "not submitted: batchnorm.py" in missing["output"]
    broken = graded_samples["results"]["syntax_error_normalization"].results
    outputs = [t["output"] for t in broken["tests"]
               if t["status"] != "passed" and t["tags"][0] == "normalization"]
    assert outputs and all("SyntaxError" in o and "line" in o for o in outputs)


def test_feedback_names_the_mistake(graded_samples):
    results = graded_samples["results"]["adam_no_bias_correction"].results
    # (its mnist_classifier tests fail too: the sample leaves that slow module out)
    failed = [t for t in results["tests"] if t["status"] != "passed"
              and t["tags"][0] == "optimizers"]
    assert failed
    assert any("bias correction" in t["output"] for t in failed)
    assert all("max abs error" in t["output"] or "differ" in t["output"] for t in failed)


# ---------------------------------------------------------------------------------------
# Output files
# ---------------------------------------------------------------------------------------


def test_results_json_follows_gradescope_schema(graded_samples):
    out = graded_samples["out"]
    data = json.loads((out / "adam_no_bias_correction" / "results.json").read_text())
    assert {"score", "execution_time", "output", "tests", "visibility"} <= set(data)
    for test in data["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility", "tags"} <= set(
            test)
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
        module = test["tags"][0]
        assert module in MODULES
        assert test["tags"][1:] and all(
            tag.split(".")[0] == module and tag.split(".")[1] in CONTRACT[module]
            for tag in test["tags"][1:])
        assert 0 <= test["score"] <= test["max_score"]
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))


def test_grades_csv_has_a_row_per_submission(graded_samples):
    out = graded_samples["out"]
    with (out / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["submission"] for r in rows] == [s.name for s in catalog.SAMPLES]
    for row in rows:
        result = graded_samples["results"][row["submission"]]
        assert float(row["total"]) == pytest.approx(result.score)
        assert sum(float(row[m]) for m in MODULES) == pytest.approx(result.score)


def test_summary_figure_and_feedback_exist(graded_samples):
    out = graded_samples["out"]
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    feedback = (out / "adagrad_accumulator_from_zero" / "feedback.md").read_text()
    assert "adagrad_update" in feedback and "What to fix" in feedback
    assert "Every test passed" in (out / "reference" / "feedback.md").read_text()


def test_class_pass_rates_show_what_the_class_missed(graded_samples):
    rates = report.class_pass_rates(list(graded_samples["results"].values()))
    # stubs fail everything; every function is failed by at least that one submission.
    assert all(rate < 1.0 for rate in rates.values())
    assert rates["optimizers.adam_update"] < rates["losses.sigmoid"]


# ---------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------


def _zip_dir(source: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(source.iterdir()):
            archive.write(path, prefix + path.name)
    return target


def test_zip_with_a_wrapping_folder_grades_like_the_directory(tmp_path):
    submission = tmp_path / "alice"
    submission.mkdir()
    shutil.copy2(REPO_ROOT / "solutions" / "dropout.py", submission / "dropout.py")
    direct = grade_submission(submission, GradeOptions(modules=("dropout",))).results
    zipped = grade_submission(_zip_dir(submission, tmp_path / "alice.zip", "alice/"),
                              GradeOptions(modules=("dropout",))).results
    assert direct["score"] == zipped["score"] == _max_points(direct) > 0


def test_symlink_to_the_solutions_is_not_graded(tmp_path):
    submission = tmp_path / "mallory"
    submission.mkdir()
    (submission / "dropout.py").symlink_to(REPO_ROOT / "solutions" / "dropout.py")
    results = grade_submission(submission, GradeOptions(modules=("dropout",))).results
    assert results["score"] == 0
    assert "not a regular file" in results["output"]


def test_zip_slip_and_links_in_a_zip_are_ignored(tmp_path):
    target = tmp_path / "evil.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("../../dropout.py", "raise SystemExit")
        link = zipfile.ZipInfo("losses.py")
        link.external_attr = (0o120777 << 16)
        archive.writestr(link, str(REPO_ROOT / "solutions" / "losses.py"))
    results = grade_submission(target, GradeOptions(modules=("dropout", "losses"))).results
    assert results["score"] == 0
    assert not (tmp_path.parent / "dropout.py").exists()


def test_a_broken_zip_is_graded_as_empty_not_a_crash(tmp_path):
    """A corrupt zip is the student's problem: every test reported as missing, the reason
    in the output, the class run goes on and exits 0 (no grader error)."""
    from autograder import cli

    bad = tmp_path / "bob.zip"
    bad.write_bytes(b"PK\x03\x04 a truncated upload, not really a zip")
    good = tmp_path / "alice"
    good.mkdir()
    shutil.copy2(REPO_ROOT / "solutions" / "dropout.py", good / "dropout.py")
    assert cli.main(["grade", str(bad), str(good), "--out", str(tmp_path / "out")]) == 0
    data = json.loads((tmp_path / "out" / "bob" / "results.json").read_text())
    assert data["score"] == 0 and "graded as an empty submission" in data["output"]
    assert sum(t["max_score"] for t in data["tests"]) == 100
    assert {t["extra_data"]["kind"] for t in data["tests"]} == {"missing_module"}
    assert data["extra_data"]["grader_error"] is None
    alice = json.loads((tmp_path / "out" / "alice" / "results.json").read_text())
    assert alice["score"] == 8


def test_planted_conftest_is_never_collected(tmp_path):
    submission = tmp_path / "eve"
    submission.mkdir()
    shutil.copy2(REPO_ROOT / "solutions" / "dropout.py", submission / "dropout.py")
    marker = tmp_path / "conftest-ran"
    (submission / "conftest.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\n"
        "import pytest\n"
        "@pytest.hookimpl(hookwrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n"
        "    outcome = yield\n"
        "    outcome.get_result().outcome = 'passed'\n")
    (submission / "losses.py").write_text("def sigmoid(z):\n    return 0\n")
    results = grade_submission(submission, GradeOptions(modules=("dropout", "losses"))).results
    assert not marker.exists()
    losses = [t for t in results["tests"] if t["tags"][0] == "losses"]
    assert losses and all(t["status"] == "failed" for t in losses)


def test_one_hanging_function_costs_only_its_tests(tmp_path):
    submission = tmp_path / "slow"
    submission.mkdir()
    source = (REPO_ROOT / "solutions" / "dropout.py").read_text()
    source = source.replace('    """Backward pass of inverted dropout (training mode).',
                            '    while True:\n        pass\n'
                            '    """Backward pass of inverted dropout (training mode).')
    (submission / "dropout.py").write_text(source)
    options = GradeOptions(modules=("dropout",), call_timeout=1.0)
    results = grade_submission(submission, options).results
    failing = _failing(results)
    assert failing == {"dropout.dropout_backward"}
    kinds = {t["extra_data"]["kind"] for t in results["tests"] if t["status"] != "passed"}
    assert kinds == {"timeout"}


def test_grading_never_imports_tensorflow(tmp_path):
    """Keras outputs come from the committed cache; the trusted runner stays light: a
    submission of the seven numpy modules, graded with every suite (mnist_classifier's
    included, whose tests then fail as not submitted), never loads TensorFlow."""
    import subprocess
    import sys

    numpy_only = tmp_path / "numpy_only"
    shutil.copytree(REPO_ROOT / "solutions", numpy_only,
                    ignore=shutil.ignore_patterns("mnist_classifier.py", "*.ipynb",
                                                  "__pycache__"))
    probe = (
        "import sys, autograder.grading.runner as r\n"
        f"code = r.main(['--submission', {str(numpy_only)!r}, '--results', "
        f"{str(tmp_path / 'r.json')!r}])\n"
        "heavy = sorted(m for m in ('tensorflow', 'keras', 'sklearn', 'matplotlib')"
        " if m in sys.modules)\n"
        "print('HEAVY', heavy, 'CODE', code)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300)
    assert "HEAVY [] CODE 0" in done.stdout, done.stdout + done.stderr
    results = json.loads((tmp_path / "r.json").read_text())
    numpy_tests = [t for t in results["tests"] if t["module"] != "mnist_classifier"]
    assert numpy_tests and all(t["passed"] for t in numpy_tests)
    assert {t["kind"] for t in results["tests"] if t["module"] == "mnist_classifier"} == {
        "missing_module"}


def test_a_corrupt_zip_member_is_a_note_not_a_crash(tmp_path):
    target = tmp_path / "carol.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("dropout.py", (REPO_ROOT / "solutions" / "dropout.py").read_text())
        archive.writestr("losses.py", "def sigmoid(z):\n    return z\n" * 50)
    raw = bytearray(target.read_bytes())
    start = raw.find(b"losses.py") + len("losses.py")  # the local header's file name
    raw[start + 5: start + 25] = b"\x00" * 20          # damage its compressed data
    target.write_bytes(bytes(raw))
    results = grade_submission(target, GradeOptions(modules=("dropout", "losses"))).results
    assert "losses.py could not be read from the zip" in results["output"]
    dropout = [t for t in results["tests"] if t["tags"][0] == "dropout"]
    assert dropout and all(t["status"] == "passed" for t in dropout)


def test_an_unexpected_pipeline_failure_costs_only_that_submission(tmp_path, monkeypatch):
    from autograder.grading import engine

    good = tmp_path / "good"
    good.mkdir()
    shutil.copy2(REPO_ROOT / "solutions" / "dropout.py", good / "dropout.py")
    bad = tmp_path / "bad"
    bad.mkdir()
    real_stage = engine.stage

    def flaky_stage(source, destination):
        if Path(source).name == "bad":
            raise PermissionError("simulated: cannot read the submission")
        return real_stage(source, destination)

    monkeypatch.setattr(engine, "stage", flaky_stage)
    results = grade_many([good, bad], tmp_path / "out", GradeOptions(modules=("dropout",)),
                         jobs=2)
    by_name = {r.name: r for r in results}
    assert by_name["good"].score == by_name["good"].max_score > 0
    assert by_name["bad"].score == 0
    # the reason is the instructor's (extra_data, the CLI); the student reads that it failed
    assert "PermissionError" in by_name["bad"].results["extra_data"]["grader_error"]
    assert "PermissionError" not in by_name["bad"].results["output"]
    assert "grader failed" in by_name["bad"].results["output"]
    assert (tmp_path / "out" / "bad" / "results.json").exists()


# ---------------------------------------------------------------------------------------
# Hostile submissions through the whole pipeline
# ---------------------------------------------------------------------------------------

HOSTILE_LOSSES = '''
import os, sys
import numpy as np

print("PASSED losses 14/14", flush=True)            # fake success lines are only output
for where in ("results.json", "../results.json", "/tmp/results.json"):
    try:
        open(where, "w").write('{"score": 80}')
    except OSError:
        pass

class _Yes:
    def __eq__(self, other):
        return True

class _Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)

def sigmoid(z):
    os._exit(0)

def softmax(z, axis=-1):
    return np.zeros(np.shape(z)).view(_Liar)

def mean_squared_error(y_true, y_pred):
    return _Yes()

def binary_crossentropy(y_true, y_pred, epsilon=1e-7):
    frame = sys._getframe()
    while frame.f_back is not None:                    # hunt for expected values
        frame = frame.f_back
    return float("nan")

def categorical_crossentropy(y_true, y_pred, epsilon=1e-7):
    while True:
        pass

def r2_score(y_true, y_pred):
    raise SystemExit(0)

def accuracy(y_true, y_pred):
    import signal
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        pass
'''

HOSTILE_NORMALIZATION = '''
import os, pathlib
import numpy as np

MARKER = "{marker}"
NEIGHBOUR = pathlib.Path("{neighbour}")

def _detach():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", "300", MARKER])
        os._exit(0)

_detach()
for target in (NEIGHBOUR / "dropout.py", NEIGHBOUR / "evil.txt"):
    try:
        target.write_text("raise SystemExit")
    except OSError:
        pass

def standardize_fit(X):
    _detach()
    return np.zeros(1), np.ones(1)
'''


def _tree_digest(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_hostile_submissions_in_a_class_run(tmp_path):
    """Attacks score nothing, their honest neighbours in the same files keep their points,
    other students' grades and files are untouched, the checkout is unchanged and nothing
    the attacks started is left running."""
    import uuid

    marker = f"dltips-hostile-{uuid.uuid4().hex}"
    honest = tmp_path / "honest"
    # Without mnist_classifier.py: grading it trains a network, which is not the point here.
    shutil.copytree(REPO_ROOT / "solutions", honest,
                    ignore=shutil.ignore_patterns("__init__.py", "__pycache__",
                                                  "mnist_classifier.py", "*.ipynb"))
    loud = tmp_path / "loud"
    loud.mkdir()
    (loud / "losses.py").write_text(HOSTILE_LOSSES)
    shutil.copy2(REPO_ROOT / "solutions" / "dropout.py", loud / "dropout.py")
    sneaky = tmp_path / "sneaky"
    sneaky.mkdir()
    (sneaky / "normalization.py").write_text(
        HOSTILE_NORMALIZATION.format(marker=marker, neighbour=honest))
    shutil.copy2(REPO_ROOT / "solutions" / "regularization.py", sneaky / "regularization.py")
    honest_before = _tree_digest(honest)
    repo_before = _tree_digest(REPO_ROOT / "solutions"), _tree_digest(REPO_ROOT / "autograder")

    options = GradeOptions(call_timeout=2.0)
    results = {r.name: r for r in grade_many([honest, loud, sneaky], tmp_path / "out", options,
                                             jobs=2)}

    def scores(name: str) -> dict:
        return {m: s for m, (s, mx) in report.module_scores(results[name].results).items()}

    assert results["honest"].score == 80 and results["honest"].max_score == 100
    loud_scores, sneaky_scores = scores("loud"), scores("sneaky")
    assert loud_scores["losses"] == 0 and loud_scores["dropout"] == 8
    assert sneaky_scores["normalization"] == 0 and sneaky_scores["regularization"] == 10
    kinds = {t["extra_data"]["kind"] for t in results["loud"].results["tests"]
             if t["tags"][0] == "losses"}
    assert {"crashed", "bad_return", "timeout"} <= kinds
    assert _tree_digest(honest) == honest_before
    assert (_tree_digest(REPO_ROOT / "solutions"), _tree_digest(REPO_ROOT / "autograder")) == (
        repo_before)
    assert not (tmp_path / "results.json").exists()
    assert _processes_with(marker) == []
