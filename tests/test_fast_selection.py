"""The README's test command stays fast: every test that starts something slow carries the
``slow`` marker, which ``python3 -m pytest`` deselects (pyproject.toml) and ``.ci/run``
runs separately.

Checked statically, not by timing: each test's source, the fixtures it asks for (in its
module and in conftest.py, transitively) and the functions it calls from its module and
from the test helpers are read with ``ast``; a test that reaches one of the slow starts
below must be marked ``slow`` (on the function, its class or the module's ``pytestmark``).
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent

# What is slow to start, by the name called: a real nbgrader command, a notebook executed
# in a kernel, a wheel built by pip, a Keras network trained through the MNIST module, the
# lecture's Keras examples, the Keras reference cache recomputed.
SLOW_CALLS = {
    "run_nbgrader": "runs an nbgrader command",
    "NotebookClient": "executes a notebook in a kernel",
    "train_model": "trains a Keras network",
    "keras_outputs": "recomputes Keras reference outputs with live Keras",
    "run_examples": "trains the lecture's Keras examples",
}
SLOW_HELPERS = {("helpers_notebooks", "execute"): "executes a notebook in a kernel"}
SLOW_WORDS = {"wheel": "builds a wheel with pip"}  # in a command-line list literal


@dataclass
class Module:
    """One file's functions, fixtures, imports of helper names and markers."""

    name: str
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    fixtures: set[str] = field(default_factory=set)
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (mod, name)
    slow_module: bool = False
    slow_functions: set[str] = field(default_factory=set)
    tests: list[str] = field(default_factory=list)


def _is_slow_mark(node: ast.AST) -> bool:
    """``pytest.mark.slow`` (called or not), also inside a list of marks."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(_is_slow_mark(item) for item in node.elts)
    if isinstance(node, ast.Call):
        node = node.func
    return isinstance(node, ast.Attribute) and node.attr == "slow" and \
        isinstance(node.value, ast.Attribute) and node.value.attr == "mark"


def _is_fixture(function: ast.FunctionDef) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr == "fixture":
            return True
        if isinstance(target, ast.Name) and target.id == "fixture":
            return True
    return False


def parse_module(name: str, source: str) -> Module:
    tree = ast.parse(source)
    module = Module(name)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                module.imported[alias.asname or alias.name] = (node.module, alias.name)
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            module.slow_module = _is_slow_mark(node.value)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            _add_function(module, node, marked=False)
        elif isinstance(node, ast.ClassDef):
            marked = any(_is_slow_mark(d) for d in node.decorator_list)
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    _add_function(module, item, marked)
    return module


def _add_function(module: Module, node: ast.FunctionDef, marked: bool) -> None:
    module.functions[node.name] = node
    if _is_fixture(node):
        module.fixtures.add(node.name)
    elif node.name.startswith("test_"):
        module.tests.append(node.name)
    if marked or any(_is_slow_mark(d) for d in node.decorator_list):
        module.slow_functions.add(node.name)


def _called_names(function: ast.FunctionDef) -> set[str]:
    names = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                names.add(node.func.id)
            elif isinstance(node.func, ast.Attribute):
                names.add(node.func.attr)
        elif isinstance(node, ast.Name):  # functions passed as values: timed(run_nbgrader...)
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return names


def _list_words(function: ast.FunctionDef) -> set[str]:
    """String constants that stand in a list or tuple literal (command lines)."""
    return {item.value for node in ast.walk(function) if isinstance(node, (ast.List, ast.Tuple))
            for item in node.elts
            if isinstance(item, ast.Constant) and isinstance(item.value, str)}


class Checker:
    """Finds, for each test, the first slow start it reaches (or None)."""

    def __init__(self, modules: dict[str, Module], conftest: Module) -> None:
        self.modules, self.conftest = modules, conftest

    def slow_reason(self, module: Module, test: str) -> str | None:
        return self._reach(module, test, set())

    def _reach(self, module: Module, name: str, seen: set[tuple[str, str]]) -> str | None:
        key = (module.name, name)
        if key in seen or name not in module.functions:
            return None
        seen.add(key)
        function = module.functions[name]
        called = _called_names(function)
        for call, why in SLOW_CALLS.items():
            if call in called:
                return f"{name} {why} ({call})"
        for word, why in SLOW_WORDS.items():
            if word in _list_words(function):
                return f"{name} {why}"
        steps = [(module, n) for n in called if n in module.functions and n != name]
        for called_name in called:
            if called_name in module.imported:
                origin, original = module.imported[called_name]
                if (origin, original) in SLOW_HELPERS:
                    return f"{name} {SLOW_HELPERS[origin, original]} ({origin}.{original})"
                if origin in self.modules:
                    steps.append((self.modules[origin], original))
        for argument in function.args.args:  # fixtures: this module's, then conftest's
            for owner in (module, self.conftest):
                if argument.arg in owner.fixtures:
                    steps.append((owner, argument.arg))
                    break
        for owner, step in steps:
            reason = self._reach(owner, step, seen)
            if reason:
                return f"{name} -> {reason}"
        return None


def load_checker(folder: Path) -> tuple[Checker, dict[str, Module]]:
    modules = {path.stem: parse_module(path.stem, path.read_text(encoding="utf-8"))
               for path in sorted(folder.glob("*.py"))}
    conftest = modules.get("conftest") or Module("conftest")
    return Checker(modules, conftest), modules


def unmarked_slow_tests(folder: Path) -> list[str]:
    """``file::test: why`` for every test that reaches a slow start without the marker."""
    checker, modules = load_checker(folder)
    found = []
    for module in modules.values():
        if not module.name.startswith("test_") or module.slow_module:
            continue
        for test in module.tests:
            if test in module.slow_functions:
                continue
            reason = checker.slow_reason(module, test)
            if reason:
                found.append(f"{module.name}.py::{test}: {reason}")
    return found


def test_every_test_that_starts_something_slow_is_marked_slow():
    found = unmarked_slow_tests(TESTS)
    assert not found, ("mark these @pytest.mark.slow (the README's test command must stay "
                       "fast; .ci/run runs them):\n" + "\n".join(found))


PLANTED_HELPER = '''
from nbclient import NotebookClient

def execute(path):
    NotebookClient(path).execute()
'''
PLANTED_TESTS = '''
import pytest
from helpers_notebooks import execute
from planted_helper import execute as run_it


@pytest.fixture
def course(tmp_path):
    return build(tmp_path)


def build(where):
    return run_nbgrader(where, "autograde")


def test_through_a_fixture(course):
    assert course


def test_through_a_helper(tmp_path):
    execute(tmp_path)


def test_through_an_imported_function(tmp_path):
    run_it(tmp_path)


def test_building_a_wheel(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "."])


@pytest.mark.slow
def test_marked(course):
    assert course


def test_quick():
    assert 1 + 1 == 2
'''


def test_the_check_finds_planted_slow_tests_and_accepts_marked_ones(tmp_path):
    (tmp_path / "planted_helper.py").write_text(PLANTED_HELPER)
    (tmp_path / "test_planted.py").write_text(PLANTED_TESTS)
    found = {line.split(":")[2] for line in unmarked_slow_tests(tmp_path)}
    assert found == {"test_through_a_fixture", "test_through_a_helper",
                     "test_through_an_imported_function", "test_building_a_wheel"}
    (tmp_path / "test_planted.py").write_text("import pytest\n\npytestmark = pytest.mark.slow\n"
                                              + PLANTED_TESTS)
    assert unmarked_slow_tests(tmp_path) == []


def test_the_readme_command_deselects_slow_and_ci_runs_it():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]
    options = config["ini_options"]
    assert any(marker.startswith("slow:") for marker in options["markers"])
    assert re.search(r"-m ['\"]not slow['\"]", options["addopts"])
    ci = (REPO / ".ci" / "run").read_text()
    assert "python3 -m pytest -m slow" in ci
    assert ci.index("python3 -m pytest -m slow") > ci.index("&& python3 -m pytest\n")


@pytest.mark.parametrize("name", ["test_nbgrader_e2e", "test_notebook_execution"])
def test_the_known_slow_files_are_seen_as_slow(name):
    """The check reads the real files: the end-to-end nbgrader cycle and the notebook runs
    are found slow by it (were they not, it would check nothing)."""
    checker, modules = load_checker(TESTS)
    module = modules[name]
    assert module.slow_module or module.slow_functions
    assert any(checker.slow_reason(module, test) for test in module.tests)
