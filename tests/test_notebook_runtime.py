"""The notebook runtime (``autograder.delivery.notebook``) without a Jupyter kernel.

Both modes of the module handles (direct import, sandbox proxy under autograde), the grade
functions on right and wrong modules, their cache, and the nbgrader rules: a grade cell
under autograde never raises, never writes stderr, and ends in a plain, clamped float.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from autograder.course.contract import REPO_ROOT
from autograder.delivery import notebook
from autograder.grading.messages import say
from autograder.sandbox.worker.protocol import RandomSeed

SOLUTIONS = REPO_ROOT / "solutions"

PROBE_LOSSES = '''
import os

import numpy as np


def pid():
    return os.getpid()


def draw(rng):
    return rng.random(3)


def sigmoid(z):
    raise NotImplementedError("sigmoid: use exp(-|z|)")


def softmax(z, axis=-1):
    raise ValueError("a bug in the student's softmax")
'''


@pytest.fixture(autouse=True)
def fresh_runtime(monkeypatch):
    """Each test starts with no notebook set up, no cached run, and outside autograde."""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    notebook.forget_results()
    yield
    notebook._close_session()
    notebook._Current.notebook = None
    notebook.forget_results()


def _autograde(monkeypatch) -> None:
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")


def _folder(tmp_path: Path, **modules: str) -> Path:
    folder = tmp_path / "nb"
    folder.mkdir(exist_ok=True)
    for name, text in modules.items():
        (folder / f"{name}.py").write_text(text, encoding="utf-8")
    return folder


def _reference(tmp_path: Path, *modules: str) -> Path:
    folder = tmp_path / "nb"
    folder.mkdir(exist_ok=True)
    for module in modules:
        shutil.copy(SOLUTIONS / f"{module}.py", folder)
    return folder


# ---------------------------------------------------------------------------------------
# Module handles
# ---------------------------------------------------------------------------------------


def test_direct_mode_imports_the_students_module_in_this_process(tmp_path):
    nb = notebook.setup_notebook("losses", folder=_folder(tmp_path, losses=PROBE_LOSSES))
    assert not nb.sandboxed
    assert nb.losses.pid() == os.getpid()
    import losses  # the fresh module is what `import losses` gives from now on

    assert losses is nb.losses


def test_sandboxed_mode_runs_calls_in_another_process(tmp_path, monkeypatch):
    _autograde(monkeypatch)
    nb = notebook.setup_notebook("losses", folder=_folder(tmp_path, losses=PROBE_LOSSES))
    assert nb.sandboxed
    worker_pid = nb.losses.pid()
    assert isinstance(worker_pid, int) and worker_pid != os.getpid()


def test_direct_mode_reloads_an_edited_module_on_setup(tmp_path):
    folder = _folder(tmp_path, losses="def pid():\n    return 1\n")
    assert notebook.setup_notebook("losses", folder=folder).losses.pid() == 1
    # Same size and, likely, the same mtime second: a .pyc cache could serve the old code.
    (folder / "losses.py").write_text("def pid():\n    return 2\n", encoding="utf-8")
    assert notebook.setup_notebook("losses", folder=folder).losses.pid() == 2


@pytest.mark.parametrize("sandboxed", [False, True], ids=["direct", "sandboxed"])
def test_a_module_may_import_its_neighbour(tmp_path, monkeypatch, sandboxed):
    if sandboxed:
        _autograde(monkeypatch)
    folder = _folder(tmp_path, losses="def pid():\n    return 3\n",
                     dropout="import losses\n\n\ndef twice():\n    return 2 * losses.pid()\n")
    assert notebook.setup_notebook("dropout", folder=folder).dropout.twice() == 6


def test_rng_gives_the_same_numbers_in_both_modes(tmp_path, monkeypatch):
    folder = _folder(tmp_path, losses=PROBE_LOSSES)
    nb = notebook.setup_notebook("losses", folder=folder)
    assert isinstance(nb.rng(7), np.random.Generator)
    direct = nb.losses.draw(nb.rng(7))
    _autograde(monkeypatch)
    nb = notebook.setup_notebook("losses", folder=folder)
    assert nb.rng(7) == RandomSeed(7)
    np.testing.assert_array_equal(nb.losses.draw(nb.rng(7)), direct)


@pytest.mark.parametrize("sandboxed", [False, True], ids=["direct", "sandboxed"])
def test_a_stub_prints_one_friendly_line(tmp_path, monkeypatch, capfd, sandboxed):
    if sandboxed:
        _autograde(monkeypatch)
    nb = notebook.setup_notebook("losses", folder=_folder(tmp_path, losses=PROBE_LOSSES))
    for lang, line in [("en", "Implement sigmoid first: use exp(-|z|)"),
                       ("ko", "sigmoid를 먼저 구현하세요: use exp(-|z|)")]:
        monkeypatch.setenv("DLTIPS_LANG", lang)  # what an nbgrader course's kernels get
        with notebook.friendly_errors():
            nb.losses.sigmoid(np.zeros(3))
            raise AssertionError("not reached: the stub raised")
        out, err = capfd.readouterr()
        assert out.strip() == line
        assert err == ""


def test_other_errors_raise_in_direct_mode_and_print_one_line_under_autograde(
        tmp_path, monkeypatch, capfd):
    folder = _folder(tmp_path, losses=PROBE_LOSSES)
    nb = notebook.setup_notebook("losses", folder=folder)
    with pytest.raises(ValueError, match="a bug"), notebook.friendly_errors():
        nb.losses.softmax(np.zeros(3))
    _autograde(monkeypatch)
    nb = notebook.setup_notebook("losses", folder=folder)
    with notebook.friendly_errors():
        nb.losses.softmax(np.zeros(3))
    with notebook.friendly_errors():
        np.log(np.zeros(2))  # a numpy warning: silenced, it would reach stderr
        raise KeyError("trusted-side failure")
    out, err = capfd.readouterr()
    assert "ValueError: a bug in the student's softmax" in out
    assert "KeyError" in out
    assert err == ""


@pytest.mark.parametrize("sandboxed", [False, True], ids=["direct", "sandboxed"])
def test_a_module_that_does_not_import_is_one_line_not_a_traceback(
        tmp_path, monkeypatch, capfd, sandboxed):
    if sandboxed:
        _autograde(monkeypatch)
    folder = _folder(tmp_path, losses="def sigmoid(z:\n    return z\n")
    nb = notebook.setup_notebook("losses", "dropout", folder=folder)
    with notebook.friendly_errors():
        nb.losses.sigmoid(0.0)
    with notebook.friendly_errors():
        nb.dropout.dropout_forward(np.ones(2), 0.5)
    out, err = capfd.readouterr()
    assert "losses.py" in out and "SyntaxError" in out and "line 1" in out
    assert "dropout" in out
    assert "Traceback" not in out and err == ""


def test_setup_rejects_a_module_outside_the_contract(tmp_path):
    with pytest.raises(ValueError, match="unknown module 'numpy'"):
        notebook.setup_notebook("numpy", folder=tmp_path)


def test_data_files_are_found_in_data_then_source_data(tmp_path):
    folder = tmp_path / "course" / "unit"
    (folder / "data").mkdir(parents=True)
    (tmp_path / "course" / "source_data").mkdir()
    (tmp_path / "course" / "source_data" / "a.csv").write_text("repo layout")
    assert notebook.find_data("a.csv", folder).read_text() == "repo layout"
    (folder / "data" / "a.csv").write_text("course layout")
    assert notebook.find_data("a.csv", folder).read_text() == "course layout"
    with pytest.raises(FileNotFoundError, match="b.csv.*data.*source_data"):
        notebook.find_data("b.csv", folder)


def test_the_repository_notebook_folders_find_their_data():
    for folder in (REPO_ROOT / "solutions", REPO_ROOT / "assignments"):
        assert notebook.find_data("lecture_table.csv", folder).is_file()


# ---------------------------------------------------------------------------------------
# Grade cells
# ---------------------------------------------------------------------------------------


WRONG_MSE = "return float(np.mean((y_true - y_pred) ** 2))"


def _losses_with_wrong_mse(tmp_path: Path) -> Path:
    """The reference losses with mean_squared_error summing instead of averaging."""
    text = (SOLUTIONS / "losses.py").read_text(encoding="utf-8")
    assert WRONG_MSE in text
    return _folder(tmp_path, losses=text.replace(
        WRONG_MSE, "return float(np.sum((y_true - y_pred) ** 2))"))


def test_visible_check_passes_quietly_on_the_reference(tmp_path, capfd):
    notebook.setup_notebook("losses", folder=_reference(tmp_path, "losses"))
    notebook.visible_check("losses", "sigmoid", "softmax")
    out, err = capfd.readouterr()
    assert "visible checks for losses.sigmoid, losses.softmax: 2 / 2 points" in out
    assert out.count(notebook.PASS) == 2 and err == ""


def test_visible_check_raises_outside_autograde_and_only_prints_under_it(
        tmp_path, monkeypatch, capfd):
    notebook.setup_notebook("losses", folder=_losses_with_wrong_mse(tmp_path))
    with pytest.raises(AssertionError, match=r"^1 of 1 visible checks failed"):
        notebook.visible_check("losses", "mean_squared_error")
    out, _ = capfd.readouterr()
    assert "0 / 1 points" in out and "mean_squared_error" in out and "Hint:" in out
    notebook.visible_check("losses", "sigmoid")  # the other functions are fine
    _autograde(monkeypatch)
    notebook.visible_check("losses", "mean_squared_error")  # no raise
    notebook.visible_check("losses", "no_such_function")     # no raise either
    out, err = capfd.readouterr()
    assert "visible checks could not run: losses has no contract function" in out
    assert err == ""


def test_hidden_score_is_a_plain_float_full_for_the_reference(tmp_path, capfd):
    notebook.setup_notebook("losses", folder=_reference(tmp_path, "losses"))
    score = notebook.hidden_score("losses", "sigmoid", "softmax", max_points=4.0)
    assert type(score) is float and score == 4.0
    assert notebook.hidden_score("losses", "accuracy", max_points=2) == 2.0
    out, err = capfd.readouterr()
    assert "hidden tests for losses.sigmoid, losses.softmax: 4 / 4 points" in out
    assert err == ""


def test_hidden_score_gives_partial_credit_without_showing_expected_values(
        tmp_path, monkeypatch, capfd):
    _autograde(monkeypatch)
    notebook.setup_notebook("losses", folder=_losses_with_wrong_mse(tmp_path))
    assert notebook.hidden_score("losses", "mean_squared_error", max_points=2.0) == 0.0
    assert notebook.hidden_score("losses", "sigmoid", max_points=2.0) == 2.0
    out, err = capfd.readouterr()
    # At the default disclosure level (hints): the kind of failure and the hint, never the
    # hidden checks' messages, which hold the expected numbers.
    assert say("kind.wrong_answer") in out and say("test.values_hidden") in out
    assert "Hint:" in out
    rest = out.replace(say("kind.wrong_answer"), "")
    assert "expected" not in rest and "got" not in rest and "rtol" not in rest
    assert err == ""


def test_hidden_score_is_clamped_to_the_cell_points(tmp_path):
    notebook.setup_notebook("losses", folder=_reference(tmp_path, "losses"))
    score = notebook.hidden_score("losses", "sigmoid", "softmax", max_points=1.5)
    assert type(score) is float and score == 1.5


def test_one_grading_run_per_suite_until_a_module_changes(tmp_path, monkeypatch):
    folder = _reference(tmp_path, "losses")
    calls = []
    real_run = notebook._run_suite
    monkeypatch.setattr(notebook, "_run_suite",
                        lambda suite, *rest: calls.append(suite) or real_run(suite, *rest))
    notebook.setup_notebook("losses", folder=folder)
    for function in ("sigmoid", "softmax", "accuracy"):
        assert notebook.hidden_score("losses", function, max_points=2.0) == 2.0
        notebook.visible_check("losses", function)
    assert sorted(calls) == ["hidden", "public"]  # the public run was started by setup
    text = (folder / "losses.py").read_text(encoding="utf-8")
    (folder / "losses.py").write_text(text.replace(WRONG_MSE, "return 0.0"), encoding="utf-8")
    assert notebook.hidden_score("losses", "mean_squared_error", max_points=2.0) == 0.0
    assert sorted(calls) == ["hidden", "hidden", "public"]


@pytest.mark.parametrize("sandboxed", [False, True], ids=["direct", "sandboxed"])
def test_setup_starts_the_runs_its_grade_cells_need(tmp_path, monkeypatch, sandboxed):
    if sandboxed:
        _autograde(monkeypatch)
    calls = []
    monkeypatch.setattr(notebook, "_run_suite",
                        lambda suite, *rest: calls.append(suite) or {"tests": []})
    notebook.setup_notebook("losses", folder=_reference(tmp_path, "losses"))
    for run in list(notebook._RUNS.values()):
        run.result()
    # Student notebooks have no hidden cells: the hidden run starts early only under autograde.
    assert sorted(calls) == (["hidden", "public"] if sandboxed else ["public"])


@pytest.mark.parametrize("problem", ["unknown module", "no hidden suite", "engine crash"])
def test_hidden_score_never_raises_and_says_why(tmp_path, monkeypatch, capfd, problem):
    _autograde(monkeypatch)
    notebook.setup_notebook("losses", folder=_reference(tmp_path, "losses"))
    module = "losses"
    if problem == "unknown module":
        module = "keras"
    elif problem == "no hidden suite":
        monkeypatch.setattr("autograder.grading.runner.suite_dir",
                            lambda suite: tmp_path / "absent")
        notebook.forget_results()
    else:
        def crash(*args, **kwargs):
            raise RuntimeError("the runner died")

        monkeypatch.setattr("autograder.grading.engine.grade_submission", crash)
        notebook.forget_results()
    score = notebook.hidden_score(module, "sigmoid", max_points=2.0)
    assert type(score) is float and score == 0.0
    out, err = capfd.readouterr()
    assert out.count("\n") == 1 and "hidden tests could not run" in out
    assert err == ""


def test_a_sandbox_that_cannot_start_is_one_line_per_cell(tmp_path, monkeypatch, capfd):
    _autograde(monkeypatch)

    def no_sandbox(*args, **kwargs):
        raise RuntimeError("bwrap is broken here")

    monkeypatch.setattr("autograder.sandbox.session.StudentSession", no_sandbox)
    nb = notebook.setup_notebook("losses", folder=_reference(tmp_path, "losses"))
    with notebook.friendly_errors():
        nb.losses.sigmoid(0.0)
    out, err = capfd.readouterr()
    assert out.count("the sandbox could not start: RuntimeError: bwrap is broken here") == 2
    assert err == ""
