"""The student stubs: generated from the solutions, fresh, leak-free, and all unimplemented."""

from __future__ import annotations

import ast
import importlib
import inspect
import tomllib
from pathlib import Path

import pytest

from autograder.course import solution_source
from autograder.course.contract import CONTRACT, MODULES, REPO_ROOT
from autograder.course.suites.hidden import MODULE_POINTS
from autograder.delivery import release, student_notebooks
from autograder.grading import messages


def _titles(path: Path) -> dict[str, str]:
    """A suite's titles file as ``{"test_<module>.py::test_<name>": title}``."""
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    return {f"{file}::{name}": title for file, tests in table.items()
            for name, title in tests.items()}


def _solution_regions(module: str) -> list[str]:
    """Names of the functions whose bodies hold a solution region, in file order."""
    source = solution_source.solution_path(module).read_text(encoding="utf-8")
    tree = ast.parse(source)
    lines = source.splitlines()
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            body = lines[node.lineno - 1: node.end_lineno]
            if any(line.strip() == solution_source.BEGIN for line in body):
                names.append(node.name)
    return names


@pytest.mark.parametrize("module", MODULES)
def test_contract_table_matches_solution_regions(module):
    assert sorted(_solution_regions(module)) == sorted(CONTRACT[module])


def test_committed_stubs_are_fresh():
    assert release.stale_stubs() == [], "run `dltips release stubs` and commit assignments/"


@pytest.mark.parametrize("module", MODULES)
def test_no_solution_line_reaches_the_stub(module):
    solution = solution_source.solution_path(module).read_text(encoding="utf-8").splitlines()
    stub = set((REPO_ROOT / "assignments" / f"{module}.py").read_text().splitlines())
    inside = False
    leaked = []
    for line in solution:
        if line.strip() == solution_source.BEGIN:
            inside = True
        elif line.strip() == solution_source.END:
            inside = False
        elif inside and not line.strip().startswith("# HINT:") and line in stub:
            leaked.append(line)
    assert leaked == []
    text = "\n".join(stub)
    assert solution_source.BEGIN not in text and solution_source.END not in text


@pytest.mark.parametrize("module", MODULES)
def test_stub_keeps_signatures_and_docstrings(module):
    solution = importlib.import_module(f"solutions.{module}")
    stub = importlib.import_module(f"assignments.{module}")
    for name in CONTRACT[module]:
        ours, theirs = getattr(solution, name), getattr(stub, name)
        assert inspect.signature(ours) == inspect.signature(theirs), name
        assert inspect.getdoc(ours) == inspect.getdoc(theirs), name
        assert len(inspect.getdoc(theirs)) > 80, f"{name} needs a real docstring"


def _dummy_arguments(function) -> list:
    return [None for p in inspect.signature(function).parameters.values()
            if p.default is inspect.Parameter.empty]


@pytest.mark.parametrize("qualified", [f"{m}.{f}" for m in MODULES for f in CONTRACT[m]])
def test_every_stub_raises_not_implemented_with_a_hint(qualified):
    module, name = qualified.split(".")
    function = getattr(importlib.import_module(f"assignments.{module}"), name)
    with pytest.raises(NotImplementedError, match=rf"^{name}: \w"):
        function(*_dummy_arguments(function))


def test_make_stub_replaces_only_the_region():
    source = (
        "def f(x):\n"
        '    """Doc."""\n'
        "    y = 1  # kept\n"
        "    # BEGIN SOLUTION\n"
        "    # HINT: add one\n"
        "    return x + y\n"
        "    # END SOLUTION\n"
        "\n"
        "HELPER = 3\n"
    )
    stub = solution_source.make_stub(source)
    assert stub.endswith(
        "def f(x):\n"
        '    """Doc."""\n'
        "    y = 1  # kept\n"
        "    raise NotImplementedError('f: add one')\n"
        "\n"
        "HELPER = 3\n"
    )
    assert "return x + y" not in stub


@pytest.mark.parametrize("broken, message", [
    ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "never closed"),
    ("def f():\n    return 1\n    # END SOLUTION\n", "without"),
    ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    # END SOLUTION\n", "nested"),
    ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "outside a function"),
])
def test_make_stub_rejects_broken_regions(broken, message):
    with pytest.raises(solution_source.ReleaseError, match=message):
        solution_source.make_stub(broken, "broken.py")


def test_student_release_holds_nothing_private(tmp_path):
    out = release.build_student_release(tmp_path / "student")
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {f"assignments/{m}.py" for m in MODULES} <= files
    assert "autograder/cli.py" in files and "pyproject.toml" in files
    private = [f for f in files if f.startswith((
        "solutions/", "autograder/course/suites/hidden/", "autograder/course/references/",
        "autograder/course/samples/", "autograder/course/mistakes/", "autograder/classreport/",
        "tests/"))]
    assert private == []
    assert "solutions" not in (out / "pyproject.toml").read_text()
    # The visible checks' Korean titles ship; the hidden tests' stay home, word for word.
    assert "autograder/course/suites/public/titles.ko.toml" in files
    public_titles = set(_titles(messages.title_file("public", "ko")).values())
    hidden_titles = set(_titles(messages.title_file("hidden", "ko")).values()) - public_titles
    assert len(hidden_titles) > 40
    shipped = "\n".join(p.read_text(errors="replace") for p in out.rglob("*")
                         if p.is_file() and p.suffix in (".py", ".toml", ".md", ".json",
                                                         ".ipynb", ".ini"))
    assert [title for title in hidden_titles if title in shipped] == []
    # No file of the release carries a line from inside a solution region.
    region_lines, hints = set(), []
    for module in MODULES:
        inside = False
        for line in solution_source.solution_path(module).read_text().splitlines():
            stripped = line.strip()
            if stripped in (solution_source.BEGIN, solution_source.END):
                inside = stripped == solution_source.BEGIN
            elif inside and stripped.startswith("# HINT"):
                hints.append(stripped)  # hints are public on purpose
            elif inside and len(stripped) > 25:
                region_lines.add(stripped)
    region_lines = {line for line in region_lines if not any(line in h for h in hints)}
    texts = "\n".join(p.read_text(errors="replace") for p in out.rglob("*.py"))
    assert [line for line in region_lines if line in texts] == []


def test_student_release_checks_work_without_the_instructor_files(tmp_path):
    """`dltips check` inside the student tree, importing only the student tree."""
    import os
    import subprocess
    import sys

    out = release.build_student_release(tmp_path / "student")
    env = {**os.environ, "PYTHONPATH": str(out)}
    where = subprocess.run([sys.executable, "-c", "import autograder; print(autograder.__file__)"],
                           cwd=out, env=env, capture_output=True, text=True)
    assert where.stdout.strip().startswith(str(out))
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "check", "dropout"],
                          cwd=out, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr  # the stubs fail their checks
    assert "NotImplementedError" in done.stdout
    # The points that count (the hidden suite's), though the release has no hidden suite.
    assert f"dltips check: 0 / {MODULE_POINTS['dropout']:g} points" in done.stdout
    # The visible checks find their Korean titles in the release; the hidden suite's absent
    # titles fall back to English.
    titled = subprocess.run([sys.executable, "-c", (
        "from autograder.grading.messages import title_for\n"
        "for suite in ('public', 'hidden'):\n"
        "    print(title_for({'suite': suite, 'doc': 'English.',\n"
        "                     'nodeid': 'test_dropout.py::test_dropout_backward'}, 'ko'))")],
        cwd=out, env=env, capture_output=True, text=True, timeout=300)
    korean = _titles(messages.title_file("public", "ko"))["test_dropout.py::test_dropout_backward"]
    assert titled.stdout.splitlines() == [korean, "English."], titled.stderr
    demo = subprocess.run([sys.executable, "-m", "autograder.cli", "demo"], cwd=out, env=env,
                          capture_output=True, text=True, timeout=300)
    assert demo.returncode == 2 and "student release" in demo.stderr
    # The class report is instructor tooling: not shipped, and `dltips report` says so.
    assert not (out / "autograder" / "classreport").exists()
    report = subprocess.run([sys.executable, "-m", "autograder.cli", "report", str(tmp_path)],
                            cwd=out, env=env, capture_output=True, text=True, timeout=300)
    assert report.returncode == 2, report.stderr
    assert "student release" in report.stderr and "Traceback" not in report.stderr
    helped = subprocess.run([sys.executable, "-m", "autograder.cli", "--help"], cwd=out,
                            env=env, capture_output=True, text=True, timeout=300)
    assert helped.returncode == 0 and "report" in helped.stdout, helped.stderr


def test_student_readme_names_every_notebook_and_the_points(tmp_path):
    out = release.build_student_release(tmp_path / "student")
    readme = (out / "README.md").read_text(encoding="utf-8")
    notebooks = student_notebooks.source_notebooks()
    assert len(notebooks) == 7
    for source in notebooks:
        assert f"`{source.name}`" in readme and (out / "assignments" / source.name).is_file()
    for module, points in MODULE_POINTS.items():
        assert f"| `{module}` | {points:g} |" in readme
    assert f"**{sum(MODULE_POINTS.values()):g} + 8**" in readme
