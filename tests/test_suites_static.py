"""Static checks of the grading suites and the sample catalogue (no student code runs).

- every hidden/public test carries ``points`` and ``functions`` markers naming contract
  functions of its file's ``module``;
- every contract function is exercised by at least one hidden test;
- hidden point totals per module are the documented ones (``MODULE_POINTS``);
- the public suites (shipped to students) never import the solutions, the hidden cases or
  cached references, the mistake models or the hidden suites, nor use the ``reference`` /
  ``keras_refs`` fixtures;
- importing the hidden suites does not import TensorFlow (the mnist suite imports Keras
  only once a student call has returned);
- the sample catalogue applies cleanly to the current solutions.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

from autograder.course.contract import CONTRACT, MODULES, REPO_ROOT
from autograder.course.samples import catalog
from autograder.course.suites.hidden import MODULE_POINTS

# The suite markers are registered by autograder.grading.plugin, which this project run does
# not load.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")

SUITES = REPO_ROOT / "autograder" / "course" / "suites"
FORBIDDEN_IN_PUBLIC = ("solutions", "autograder.course.references", "autograder.course.mistakes",
                       "autograder.course.suites.hidden", "autograder.course.samples")


def _suite(kind: str, module: str) -> ModuleType:
    return importlib.import_module(f"autograder.course.suites.{kind}.test_{module}")


def _tests(suite: ModuleType) -> list:
    return [obj for name, obj in vars(suite).items()
            if name.startswith("test_") and inspect.isfunction(obj)]


def _marks(function) -> dict[str, tuple]:
    return {mark.name: mark.args for mark in getattr(function, "pytestmark", [])}


@pytest.mark.parametrize("kind", ["hidden", "public"])
@pytest.mark.parametrize("module", MODULES)
def test_every_test_has_points_and_contract_functions(kind: str, module: str):
    suite = _suite(kind, module)
    assert suite.pytestmark.mark.name == "module" and suite.pytestmark.args == (module,)
    tests = _tests(suite)
    assert tests, f"{kind}/test_{module}.py has no tests"
    for test in tests:
        marks = _marks(test)
        assert "points" in marks and len(marks["points"]) == 1, test.__name__
        assert float(marks["points"][0]) > 0, test.__name__
        assert marks.get("functions"), f"{test.__name__} has no functions marker"
        unknown = set(marks["functions"]) - set(CONTRACT[module])
        assert not unknown, f"{test.__name__} names non-contract functions {unknown}"
        assert (test.__doc__ or "").strip(), f"{test.__name__} needs a docstring (feedback)"


def test_every_contract_function_has_hidden_tests():
    for module in MODULES:
        covered = {f for test in _tests(_suite("hidden", module))
                   for f in _marks(test)["functions"]}
        assert covered == set(CONTRACT[module]), (module, set(CONTRACT[module]) - covered)


def test_hidden_points_per_module_are_as_documented():
    totals = defaultdict(float)
    for module in MODULES:
        for test in _tests(_suite("hidden", module)):
            totals[module] += float(_marks(test)["points"][0])
    assert dict(totals) == MODULE_POINTS
    assert sum(MODULE_POINTS.values()) == 100.0


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize("path", sorted((SUITES / "public").glob("*.py")), ids=lambda p: p.name)
def test_public_suites_use_only_what_students_get(path: Path):
    if path.name == "generate.py":  # the instructor-side generator reads solutions/ on purpose
        return
    for name in _imports(path):
        assert not any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_IN_PUBLIC), (
            f"{path.name} imports {name}")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            args = {a.arg for a in node.args.args}
            assert not args & {"reference", "keras_refs"}, f"{path.name}::{node.name}"


def test_hidden_suites_do_not_import_tensorflow():
    code = ("import sys\n"
            + "".join(f"import autograder.course.suites.hidden.test_{m}\n" for m in MODULES)
            + "import autograder.course.suites.public\n"
            + "print(sorted(m for m in sys.modules if m.split('.')[0] in "
              "('tensorflow', 'keras')))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO_ROOT, check=True)
    assert result.stdout.strip() == "[]", result.stdout


# ---------------------------------------------------------------------------------------
# Sample catalogue
# ---------------------------------------------------------------------------------------

EVERY_FUNCTION = {f"{m}.{f}" for m in MODULES for f in CONTRACT[m]}


def test_catalogue_shape():
    names = [s.name for s in catalog.SAMPLES]
    assert len(names) == len(set(names))
    assert len(catalog.MISTAKES) >= 12
    kinds = {s.kind for s in catalog.SAMPLES}
    assert {"reference", "stubs", "missing_module", "syntax_error", "mistake"} <= kinds
    for sample in catalog.SAMPLES:
        assert sample.expected_failing <= EVERY_FUNCTION, sample.name
        if sample.kind == "mistake":
            assert f"{sample.module}.{sample.function}" in sample.expected_failing
            own_or_left_out = (sample.module, *sample.left_out)
            assert all(f.split(".")[0] in own_or_left_out for f in sample.expected_failing)
        # A module left out (mnist_classifier: slow to grade) loses all its functions.
        for module in sample.left_out:
            assert {f"{module}.{f}" for f in CONTRACT[module]} <= sample.expected_failing
    # Every mistake hands in every module (a class view then shows real pass rates), and
    # the MNIST module has its own realistic mistakes.
    assert [s.name for s in catalog.MISTAKES if s.left_out] == []
    assert {s.name for s in catalog.SAMPLES if not s.left_out} >= {"reference", "stubs"}
    assert len([s for s in catalog.MISTAKES if s.module == "mnist_classifier"]) >= 4


@pytest.mark.parametrize("sample", [s for s in catalog.SAMPLES if s.old], ids=lambda s: s.name)
def test_each_replacement_applies_once_and_compiles_as_intended(sample: catalog.Sample):
    source = catalog.student_source(
        (REPO_ROOT / "solutions" / f"{sample.module}.py").read_text(encoding="utf-8"))
    changed = catalog.apply(sample, source)
    assert changed != source
    if sample.kind == "syntax_error":
        with pytest.raises(SyntaxError):
            compile(changed, f"{sample.module}.py", "exec")
    else:
        compile(changed, f"{sample.module}.py", "exec")


def test_materialize_writes_every_sample(tmp_path: Path):
    written = catalog.materialize(tmp_path)
    assert [p.name for p in written] == [s.name for s in catalog.SAMPLES]
    for sample, directory in zip(catalog.SAMPLES, written, strict=True):
        files = {p.stem for p in directory.glob("*.py")}
        missing = {sample.module} if sample.kind == "missing_module" else set()
        assert files == set(MODULES) - missing - set(sample.left_out), sample.name
        text = "".join(p.read_text(encoding="utf-8") for p in directory.glob("*.py"))
        assert "# BEGIN SOLUTION" not in text
    reference = tmp_path / "reference" / "losses.py"
    assert reference.read_text(encoding="utf-8") == catalog.student_source(
        (REPO_ROOT / "solutions" / "losses.py").read_text(encoding="utf-8"))
    assert (tmp_path / "stubs" / "optimizers.py").read_text(encoding="utf-8") == (
        REPO_ROOT / "assignments" / "optimizers.py").read_text(encoding="utf-8")
