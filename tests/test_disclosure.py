"""One disclosure policy and one language for every channel a student reads.

Fast tests render fabricated grading records at each level; the slow test grades one
submission through the three channels (`dltips grade`'s feedback.md, the Gradescope zip's
entry point, an nbgrader course's feedback) and finds the same text in each.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.course.contract import MODULES, REPO_ROOT
from autograder.grading import report
from autograder.grading.engine import GradeOptions
from autograder.grading.messages import mistake_hint, say
from autograder.grading.policy import (
    DEFAULT_DISCLOSURE,
    DISCLOSURE_LEVELS,
    Settings,
    SettingsError,
    read_settings,
)
from autograder.grading.staging import StagedSubmission

HIDDEN_VALUES = "first at index (0,): got 0.5, expected 0.25"
LEAKED_INPUT = "x was [3.14159, 2.71828]"  # what a submission can raise to exfiltrate inputs


def _record(module: str, function: str, kind: str, message: str = "",
            mistake: str | None = None, passed: bool = False, points: float = 1.0) -> dict:
    return {"nodeid": f"test_{module}.py::test_{function}", "name": f"test_{function}",
            "doc": f"{function} on hidden inputs.", "module": module, "functions": [function],
            "points": points, "passed": passed, "kind": "passed" if passed else kind,
            "message": message, "mistake": mistake, "duration": 0.1}


RECORDS = [  # in the suites' (alphabetical) order, not the lecture's
    _record("optimizers", "adam_update", "wrong_answer", f"`adam_update`: {HIDDEN_VALUES}",
            mistake="adam_without_bias_correction"),
    _record("losses", "softmax", "exception", f"softmax raised ValueError: {LEAKED_INPUT}"),
    _record("losses", "sigmoid", "passed", passed=True),
    _record("gradient_descent", "predict", "not_implemented",
            "predict raised NotImplementedError: predict: one matrix-vector product"),
    _record("dropout", "dropout_forward", "modified_input",
            "`dropout_forward` modified its argument `x` in place"),
    *[_record("batchnorm", f, "missing_module", "batchnorm.py is missing from the submission",
              points=2.5) for f in ("batchnorm_forward", "batchnorm_backward")],
]


def _results(disclose: str, lang: str = "en") -> dict:
    staged = StagedSubmission("alice", Path("alice"), Path("alice"),
                              [m for m in MODULES if m != "batchnorm"], [])
    raw = {"tests": RECORDS, "isolation": "bwrap", "isolation_program": "/opt/secret/bwrap",
           "isolation_note": "Isolation level 'bwrap' (/opt/secret/bwrap): ..."}
    return report.gradescope_results(staged, raw, 1.0, "visible", disclose, lang)


def _output(results: dict, function: str) -> str:
    return next(t["output"] for t in results["tests"] if t["tags"][1].endswith(function))


def test_the_default_is_hints_everywhere():
    assert DEFAULT_DISCLOSURE == "hints" == Settings().disclose == GradeOptions().disclose
    assert GradeOptions(suite="public").disclosure == "values"  # the visible checks


@pytest.mark.parametrize("level", DISCLOSURE_LEVELS)
def test_each_level_adds_to_the_one_before(level):
    results = _results(level)
    feedback = report.feedback_markdown(results)
    shown = {what: DISCLOSURE_LEVELS.index(level) >= DISCLOSURE_LEVELS.index(what)
             for what in DISCLOSURE_LEVELS}
    student_text = feedback + json.dumps([t["output"] for t in results["tests"]]) \
        + results["output"]
    hint = mistake_hint("adam_without_bias_correction")
    assert (HIDDEN_VALUES in student_text) == shown["values"]
    assert (LEAKED_INPUT in student_text) == shown["values"]
    assert (hint in student_text) == shown["hints"]
    assert ("modified its argument `x`" in student_text) == shown["hints"]
    assert ("### optimizers: adam\\_update on hidden inputs" in feedback) == shown["names"]
    # Failures that do not depend on the inputs are said whenever tests are listed.
    assert ("one matrix-vector product" in student_text) == shown["names"]
    visibility = {t["visibility"] for t in results["tests"]}
    assert visibility == ({"visible"} if shown["names"] else {"hidden"})
    # The score and the module table never change with the level.
    assert results["score"] == 1.0 and "| losses | 1 | 2 |" in feedback
    if not shown["names"]:
        assert say("feedback.scores_only") in feedback


def test_a_wrong_answer_says_what_kind_of_failure_it_is_at_names():
    text = _output(_results("names"), "adam_update")
    assert text.splitlines() == [say("kind.wrong_answer"), say("test.values_hidden")]


def test_the_diagnosed_mistake_is_carried_for_the_instructor_at_every_level():
    """extra_data keeps the mistake id (for the class report), whatever students see."""
    for level in DISCLOSURE_LEVELS:
        test = next(t for t in _results(level)["tests"] if t["tags"][1].endswith("adam_update"))
        assert test["extra_data"]["mistake"] == "adam_without_bias_correction"
        assert test["extra_data"]["module"] == "optimizers"
        assert test["extra_data"]["functions"] == ["adam_update"]


def test_feedback_lists_failures_in_lecture_order_and_a_missing_module_once():
    results = _results("hints")
    modules = [t["tags"][0] for t in results["tests"]]
    assert modules == sorted(modules, key=MODULES.index)  # results.json too
    feedback = report.feedback_markdown(results)
    order = [feedback.index(f"### {m}:") for m in ("losses", "gradient\\_descent", "dropout",
                                                     "optimizers")]
    assert order == sorted(order)
    assert "### batchnorm" not in feedback
    assert feedback.count("batchnorm.py") == 2  # the output's note and the one line
    assert say("feedback.not_submitted", module="batchnorm", points="5") in feedback
    assert feedback.index("Not submitted: `batchnorm.py`") < feedback.index("## What to fix")


def test_no_grader_internals_reach_the_student_text():
    results = _results("values")
    student_text = report.feedback_markdown(results) + results["output"] + "".join(
        t["output"] for t in results["tests"])
    assert "bwrap" not in student_text and "/opt/secret" not in student_text
    assert "Isolation" not in student_text
    assert results["extra_data"]["isolation_program"] == "/opt/secret/bwrap"  # instructor's


def test_korean_feedback_keeps_code_and_numbers():
    results = _results("values", "ko")
    feedback = report.feedback_markdown(results)
    assert feedback.startswith(f"# {say('feedback.title', 'ko')}")
    assert "점수: 1 / 10" in feedback and HIDDEN_VALUES in feedback
    assert mistake_hint("adam_without_bias_correction", "ko") in feedback
    assert say("kind.not_implemented", "ko") in _output(results, "predict")


def test_settings_are_checked_and_saved(tmp_path):
    with pytest.raises(SettingsError, match="unknown disclosure level 'all'"):
        Settings(disclose="all")
    with pytest.raises(SettingsError, match="unknown language"):
        GradeOptions(lang="fr")
    path = tmp_path / "settings.json"
    path.write_text(Settings("ko", "names").to_json())
    assert read_settings(path) == Settings("ko", "names")
    path.write_text('{"lang": "ko", "disclose": "everything"}')
    with pytest.raises(SettingsError, match="everything"):
        read_settings(path)


def test_the_cli_refuses_an_unknown_level(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(tmp_path),
                           "--out", str(tmp_path / "o"), "--disclose", "everything"],
                          capture_output=True, text=True, cwd=REPO_ROOT)
    assert done.returncode == 2 and "invalid choice: 'everything'" in done.stderr


def test_the_gradescope_zip_and_the_release_carry_the_settings(tmp_path):
    from autograder.delivery import gradescope, release

    built = gradescope.build(tmp_path / "gs.zip", settings=Settings("ko", "names"))
    with zipfile.ZipFile(built) as archive:
        assert json.loads(archive.read("dltips/autograder/settings.json")) == {
            "lang": "ko", "disclose": "names"}
    out = release.build_student_release(tmp_path / "student", settings=Settings("ko"))
    assert read_settings(out / "autograder" / "settings.json").lang == "ko"


def test_the_nbgrader_course_hands_its_settings_to_its_kernels(tmp_path):
    """nbgrader loads the course config with traitlets' loader; the kernels it starts
    inherit the environment the config sets."""
    from autograder.delivery import nbgrader_course

    nbgrader_course.init_course(tmp_path / "course", settings=Settings("ko", "values"))
    assert nbgrader_course.course_settings(tmp_path / "course") == Settings("ko", "values")
    code = ("import os, sys\nfrom traitlets.config.loader import PyFileConfigLoader\n"
            "PyFileConfigLoader('nbgrader_config.py', path=sys.argv[1]).load_config()\n"
            "print(os.environ['DLTIPS_LANG'], os.environ['DLTIPS_DISCLOSE'])")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "course")],
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["ko", "values"]


# ---------------------------------------------------------------------------------------
# The same submission through the three channels
# ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_one_submission_reads_the_same_through_every_channel(tmp_path):
    """Adam without bias correction, handed in without mnist_classifier, in a course set to
    Korean at the default level: `dltips grade --nbgrader`'s feedback.md, the Gradescope
    zip's entry point and nbgrader's own feedback show the same text for the failed hidden
    tests: the Korean mistake hint, never the values."""
    from nbgrader_class import _module_source

    from autograder.delivery import gradescope
    from autograder.delivery import nbgrader_course as course_mod
    from autograder.delivery.shared_runs import STORE_VARIABLE

    student, assignment = "adam_no_bias_correction", course_mod.DEFAULT_ASSIGNMENT
    course = tmp_path / "course"
    cli = [sys.executable, "-m", "autograder.cli"]
    subprocess.run([*cli, "nbgrader", "init", str(course), "--lang", "ko"], cwd=REPO_ROOT,
                   check=True, capture_output=True)
    assert course_mod.run_nbgrader(course, "generate_assignment", assignment,
                                   "--force").returncode == 0
    folder = course / "submitted" / "alice" / assignment
    folder.parent.mkdir(parents=True)
    shutil.copytree(course / "release" / assignment, folder)
    for module in MODULES:
        (folder / f"{module}.py").write_text(_module_source(student, module), encoding="utf-8")
    (folder / "mnist_classifier.py").unlink()

    # 1. dltips grade --nbgrader: the course's settings
    graded = tmp_path / "graded"
    subprocess.run([*cli, "grade", "--nbgrader", str(course), "--assignment", assignment,
                    "--out", str(graded)], check=True, capture_output=True, cwd=REPO_ROOT)
    results = json.loads((graded / "alice" / "results.json").read_text(encoding="utf-8"))
    feedback_md = (graded / "alice" / "feedback.md").read_text(encoding="utf-8")
    failed = [t for t in results["tests"] if t["status"] == "failed"
              and t["tags"][0] == "optimizers"]
    assert failed and results["extra_data"]["lang"] == "ko"

    # 2. the Gradescope zip, built with the same settings, run through its entry point
    zipped = gradescope.build(tmp_path / "gs.zip", settings=course_mod.course_settings(course))
    unpacked = tmp_path / "gs"
    zipfile.ZipFile(zipped).extractall(unpacked)
    gs_results = tmp_path / "gs-results.json"
    done = subprocess.run([sys.executable, "-m", "autograder.delivery.gradescope", "run",
                           str(folder), str(gs_results)], cwd=unpacked / "dltips",
                          env={**_env(), "PYTHONPATH": str(unpacked / "dltips")},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    gradescope_tests = {t["name"]: t for t in json.loads(gs_results.read_text())["tests"]}

    # 3. nbgrader autograde and generate_feedback
    store = tmp_path / "store"
    store.mkdir(mode=0o700)
    assert course_mod.run_nbgrader(course, "autograde", assignment, "--force",
                                   env={STORE_VARIABLE: str(store)}).returncode == 0
    assert course_mod.run_nbgrader(course, "generate_feedback", assignment,
                                   "--force").returncode == 0
    notebook_feedback = html.unescape(
        (course / "feedback" / "alice" / assignment / "04_optimizers.html").read_text())

    hint = mistake_hint("adam_without_bias_correction", "ko")
    for test in failed:
        text = test["output"]
        assert hint in text and "expected" not in text and "got" not in text
        assert gradescope_tests[test["name"]]["output"] == text
        assert gradescope_tests[test["name"]]["visibility"] == test["visibility"] == "visible"
        for line in text.splitlines():
            assert line in feedback_md
            assert line in notebook_feedback, line
    assert "expected" not in notebook_feedback.split("hidden test")[-1]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DLTIPS_LANG", None)
    env.pop("DLTIPS_DISCLOSE", None)
    return env


LEAKY_LOSSES = '''
def _leak(*args, **kwargs):
    raise ValueError(f"LEAK {args!r}")


sigmoid = softmax = mean_squared_error = binary_crossentropy = _leak
categorical_crossentropy = r2_score = accuracy = _leak
'''


def _grade_leaky(tmp_path: Path, *flags: str) -> tuple[str, dict]:
    submission = tmp_path / "leaky"
    submission.mkdir(exist_ok=True)
    (submission / "losses.py").write_text(LEAKY_LOSSES, encoding="utf-8")
    out = tmp_path / f"out{len(flags)}"
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(submission),
                           "--out", str(out), *flags], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return ((out / "leaky" / "feedback.md").read_text(encoding="utf-8"),
            json.loads((out / "leaky" / "results.json").read_text(encoding="utf-8")))


def test_a_submission_cannot_print_the_hidden_inputs_into_its_feedback(tmp_path):
    """Hostile: every function raises an exception holding its (hidden) arguments. By
    default neither feedback.md nor results.json shows them (before the policy both did);
    the instructor can still ask for them with --disclose values."""
    feedback, results = _grade_leaky(tmp_path)
    losses = [t for t in results["tests"] if t["tags"][0] == "losses"]
    assert losses and all(t["status"] == "failed" for t in losses)
    assert "LEAK" not in feedback and "LEAK" not in json.dumps(
        [t["output"] for t in results["tests"]] + [results["output"]])
    assert say("kind.exception") in feedback
    feedback, results = _grade_leaky(tmp_path, "--disclose", "values")
    assert "LEAK (array(" in feedback


@pytest.mark.parametrize("level", ["score", "names", "values"])
def test_the_hidden_grade_cells_print_what_the_course_discloses(tmp_path, monkeypatch, capfd,
                                                               level):
    """A grade cell under autograde, in a course set to ``level``: the score always; the
    failed test's row from ``names``; the values only at ``values``."""
    from test_notebook_runtime import _losses_with_wrong_mse

    from autograder.delivery import notebook

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv("DLTIPS_DISCLOSE", level)
    monkeypatch.setenv("DLTIPS_LANG", "ko")
    notebook.forget_results()
    notebook.setup_notebook("losses", folder=_losses_with_wrong_mse(tmp_path))
    assert notebook.hidden_score("losses", "mean_squared_error", max_points=2.0) == 0.0
    out, err = capfd.readouterr()
    assert out.startswith("losses.mean_squared_error의 hidden test: 0 / 2점") and err == ""
    assert (notebook.FAIL in out) == (level != "score")
    assert (say("kind.wrong_answer", "ko") in out) == (level == "names")
    assert ("expected" in out) == (level == "values")


RETRY_NOTES = [{"key": "retried", "label": "losses.sigmoid", "signal": "SIGKILL",
                "status": None},
               {"key": "retried", "label": "losses.sigmoid", "signal": "SIGKILL",
                "status": 137}]
ENGLISH_RETRY = ("losses.sigmoid was run twice: the first time its worker was killed "
                 "({how}) by a signal the grader did not send, so it was retried once in a "
                 "fresh worker")


def _retried_and_late(lang: str) -> tuple[dict, str]:
    """Results with a call retried after an outside signal (as the plugin records it) and
    the late line ``dltips grade --nbgrader`` appends (2 h 30 min late, 8 points off)."""
    from autograder.delivery.nbgrader_lateness import Lateness

    staged = StagedSubmission("alice", Path("alice"), Path("alice"), list(MODULES), [])
    record = {**_record("losses", "sigmoid", "passed", passed=True), "notes": RETRY_NOTES}
    results = report.gradescope_results(staged, {"tests": [record]}, 1.0, "visible",
                                        DEFAULT_DISCLOSURE, lang)
    results["output"] += "\n" + Lateness(None, 2 * 3600 + 30 * 60).feedback_line(8.0, lang)
    return results, report.feedback_markdown(results)


def test_retry_notes_and_the_late_line_stay_as_they_were_in_english():
    results, feedback = _retried_and_late("en")
    (test,) = results["tests"]
    assert test["output"].splitlines() == [
        ENGLISH_RETRY.format(how="killed by SIGKILL"),
        ENGLISH_RETRY.format(how="exit status 137, i.e. killed by SIGKILL")]
    assert f"Note: {ENGLISH_RETRY.format(how='killed by SIGKILL')}" in results["output"]
    late = "Late: submitted 2 h 30 min after the due date; late penalty 8 points."
    assert results["output"].endswith("\n" + late) and late in feedback
    from autograder.delivery.nbgrader_lateness import duration_text

    assert [duration_text(s) for s in (42, 86_460, 90_000)] == ["42 s", "1 d 1 min", "1 d 1 h"]


def test_retry_notes_and_the_late_line_are_korean_in_korean_feedback():
    results, feedback = _retried_and_late("ko")
    (test,) = results["tests"]
    retried = ("losses.sigmoid을(를) 두 번 실행했습니다: 첫 실행에서 worker가 채점기가 보내지 "
               "않은 signal로 종료되어 ({how}), 새 worker에서 한 번 더 실행했습니다")
    assert test["output"].splitlines() == [
        retried.format(how="SIGKILL로 종료됨"),
        retried.format(how="exit status 137, 곧 SIGKILL로 종료됨")]
    assert f"참고: {retried.format(how='SIGKILL로 종료됨')}" in results["output"]
    assert ("늦은 제출: 마감 시각보다 2시간 30분 늦게 제출했습니다. 지연 감점은 8점입니다."
            in feedback)
    everything = feedback + results["output"] + test["output"]
    english = ["was run twice", "the first time", "killed by", "the grader did not send",
               "retried once", "fresh worker", "i.e.", "Late", "submitted", "due date",
               "penalty", " h ", " min"]
    assert [fragment for fragment in english if fragment in everything] == []
