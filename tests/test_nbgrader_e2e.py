"""The unit through nbgrader's real command line, end to end, against `dltips grade`.

One module-scoped run (the slowest test of the suite): `dltips nbgrader init`; `nbgrader
generate_assignment`; five students in `submitted/` (tests/nbgrader_class.py: the
reference, the stubs, two realistic mistakes, a hostile submission); `nbgrader autograde`;
`dltips grade --nbgrader` on the same files; `nbgrader generate_feedback`; `nbgrader
export`. The tests then compare and inspect what those commands left behind.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import html
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader_class import (
    HOSTILE,
    HOSTILE_FUNCTION,
    MISTAKES,
    STUDENTS,
    build_class,
    expected_failing,
)

from autograder.course.contract import MODULES, REPO_ROOT
from autograder.course.samples import catalog
from autograder.course.solution_source import stub_text
from autograder.delivery import nbgrader_course as course_mod
from autograder.delivery.shared_runs import STORE_VARIABLE

# Slow end to end: deselected by the README's test command, run by .ci/run.
pytestmark = pytest.mark.slow

ASSIGNMENT = course_mod.DEFAULT_ASSIGNMENT
HIDDEN_SUITE = REPO_ROOT / "autograder" / "course" / "suites" / "hidden"


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _checked(done: subprocess.CompletedProcess, what: str) -> subprocess.CompletedProcess:
    assert done.returncode == 0, f"{what} failed:\n{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    """The whole course life cycle once; returns where everything is and how long it took."""
    tmp = tmp_path_factory.mktemp("nbgrader-e2e")
    course, markers = tmp / "course", tmp / "markers"
    markers.mkdir()
    timings = {}

    def timed(name, function, *args, **kwargs):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        timings[name] = time.perf_counter() - start
        return result

    cli = [sys.executable, "-m", "autograder.cli"]
    _checked(subprocess.run([*cli, "nbgrader", "init", str(course)], cwd=REPO_ROOT,
                            capture_output=True, text=True), "dltips nbgrader init")
    _checked(timed("generate_assignment", course_mod.run_nbgrader, course,
                   "generate_assignment", ASSIGNMENT, "--force"), "generate_assignment")
    build_class(course, ASSIGNMENT, markers)
    before = _hashes(course / "submitted")
    store = tmp / "shared-runs"  # a fresh store: the kernels really grade
    store.mkdir(mode=0o700)
    autograde = timed("autograde", course_mod.run_nbgrader, course, "autograde", ASSIGNMENT,
                      "--force", env={STORE_VARIABLE: str(store)})
    graded = tmp / "graded"
    # --disclose values: results.json names the hidden expected values, which the feedback
    # test below looks for (and must not find) in nbgrader's feedback pages
    grade = timed("dltips grade", subprocess.run,
                  [*cli, "grade", "--nbgrader", str(course), "--assignment", ASSIGNMENT,
                   "--out", str(graded), "--disclose", "values"],
                  capture_output=True, text=True)
    feedback = course_mod.run_nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    export = course_mod.run_nbgrader(course, "export", "--to=grades.csv")
    print("\nnbgrader end-to-end timings (s): " + ", ".join(
        f"{name} {seconds:.1f}" for name, seconds in timings.items()))
    return {"course": course, "markers": markers, "graded": graded, "before": before,
            "store": store,
            "autograde": autograde, "grade": grade, "feedback": feedback, "export": export}


def _results(run: dict, student: str) -> dict:
    return json.loads((run["graded"] / student / "results.json").read_text(encoding="utf-8"))


def _gradebook(run: dict):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{run['course'] / 'gradebook.db'}", "dltips")


def _cells() -> list[course_mod.GradeCell]:
    return [cell for notebook in course_mod.source_notebooks()
            for cell in course_mod.grade_cells(notebook)]


# ---------------------------------------------------------------------------------------
# Same scores both ways
# ---------------------------------------------------------------------------------------


def test_every_command_succeeds(run):
    for step in ("autograde", "grade", "feedback", "export"):
        _checked(run[step], step)  # autograde: rc 0 means no submission failed


def test_gradebook_totals_equal_dltips_grade(run):
    with _gradebook(run) as gradebook:
        for student in STUDENTS:
            submission = gradebook.find_submission(ASSIGNMENT, student)
            results = _results(run, student)
            assert submission.code_score == pytest.approx(results["score"]), student
            assert submission.max_code_score == pytest.approx(
                sum(t["max_score"] for t in results["tests"]))


def test_every_contract_function_is_scored_once_at_its_hidden_points(run):
    cells = _cells()
    tags = sorted(tag for cell in cells for tag in cell.tags)
    assert tags == sorted(f"{m}.{f}" for m in MODULES for f in catalog.CONTRACT[m])
    reference = _results(run, "reference")
    assert reference["score"] == sum(t["max_score"] for t in reference["tests"])
    for cell in cells:
        assert course_mod.cell_points(cell, reference) == cell.points, cell.grade_id
    assert sum(cell.points for cell in cells) == reference["score"]


def test_every_grade_cell_scores_what_dltips_grade_gives_its_functions(run):
    cells = _cells()
    with _gradebook(run) as gradebook:
        for student in STUDENTS:
            results = _results(run, student)
            for cell in cells:
                grade = gradebook.find_grade(cell.grade_id, cell.notebook, ASSIGNMENT, student)
                assert grade.max_score == cell.points
                assert grade.auto_score == pytest.approx(course_mod.cell_points(cell, results)), (
                    student, cell.grade_id)


def test_config_keeps_every_module_and_waits_for_a_whole_grading_run(run):
    from traitlets.config.loader import PyFileConfigLoader

    from autograder.grading.engine import GradeOptions

    config = PyFileConfigLoader(course_mod.CONFIG_NAME, path=str(run["course"])).load_config()
    assert sorted(config.Autograde.exclude_overwriting[ASSIGNMENT]) == sorted(
        f"{module}.py" for module in MODULES)  # mnist_classifier.py too
    # A notebook's first hidden cell waits for the run of every module (shared_runs), whose
    # runner may take the keras profile's caps on top of the default ones.
    assert config.Execute.timeout > GradeOptions().runner_timeout


def test_one_grading_run_per_student_and_suite(run):
    # Every notebook of a submission shares its runs: one hidden and one visible each.
    assert len(list(run["store"].glob("*.json"))) == 2 * len(STUDENTS)


def test_reference_full_stubs_zero_mistakes_lose_their_functions(run):
    cells = _cells()
    total = sum(cell.points for cell in cells)
    with _gradebook(run) as gradebook:
        assert gradebook.find_submission(ASSIGNMENT, "reference").code_score == total
        assert gradebook.find_submission(ASSIGNMENT, "stubs").code_score == 0
        for student in MISTAKES:
            failing = expected_failing(student)  # every module handed in, mnist included
            assert failing
            for cell in cells:
                score = gradebook.find_grade(cell.grade_id, cell.notebook, ASSIGNMENT,
                                             student).auto_score
                if cell.tags & failing:
                    assert score < cell.points, (student, cell.grade_id)
                else:
                    assert score == cell.points, (student, cell.grade_id)


# ---------------------------------------------------------------------------------------
# The hostile student
# ---------------------------------------------------------------------------------------


def test_hostile_loses_only_what_it_cheats_on(run):
    results = _results(run, HOSTILE)
    failed = [t for t in results["tests"] if t["status"] != "passed"]
    assert failed and all(t["tags"][1:] == [HOSTILE_FUNCTION] for t in failed)
    assert {t["extra_data"]["kind"] for t in failed} == {"crashed"}
    with _gradebook(run) as gradebook:
        for cell in _cells():
            score = gradebook.find_grade(cell.grade_id, cell.notebook, ASSIGNMENT,
                                         HOSTILE).auto_score
            assert score == (0 if HOSTILE_FUNCTION in cell.tags else cell.points), cell.grade_id


def test_no_student_code_ran_outside_the_sandbox(run):
    # The hostile module marks when imported or run, its added cells and numpy.py when
    # executed: in the kernel (instructor permissions) they would have left files here,
    # and its added cells' os._exit would have killed the kernel (autograde rc 1).
    assert sorted(p.name for p in run["markers"].iterdir()) == []
    _checked(run["autograde"], "autograde")
    for source in course_mod.source_notebooks():  # only the instructor's cells ran
        graded = nbformat.read(run["course"] / "autograded" / HOSTILE / ASSIGNMENT
                               / source.name, as_version=4)
        assert [c.id for c in graded.cells] == [
            c.id for c in nbformat.read(source, as_version=4).cells]
        assert not [c for c in graded.cells if "_vandalise" in c.source]
    assert not (run["course"] / "autograded" / HOSTILE / ASSIGNMENT / "numpy.py").exists()


def test_neighbours_files_are_untouched(run):
    assert _hashes(run["course"] / "submitted") == run["before"]
    for student in STUDENTS:
        autograded = run["course"] / "autograded" / student / ASSIGNMENT
        assert not (autograded / "pwned.py").exists()
        for module in MODULES:  # exclude_overwriting: the student's own files were graded
            assert (autograded / f"{module}.py").read_bytes() == (
                run["course"] / "submitted" / student / ASSIGNMENT / f"{module}.py"
            ).read_bytes(), (student, module)


# ---------------------------------------------------------------------------------------
# Notebooks, feedback, release, export
# ---------------------------------------------------------------------------------------


def test_reference_notebooks_run_without_errors_or_stderr(run):
    folder = run["course"] / "autograded" / "reference" / ASSIGNMENT
    notebooks = sorted(folder.glob("*.ipynb"))
    assert [p.name for p in notebooks] == [p.name for p in course_mod.source_notebooks()]
    for path in notebooks:
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                assert output.output_type != "error", (path.name, output.get("evalue"))
                assert output.get("name") != "stderr", (path.name, output.get("text"))


def _feedback_text(path: Path) -> str:
    """The feedback page as a reader sees it: tags stripped, entities decoded (so a code
    line split by syntax highlighting reads whole again)."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def _code_lines(path: Path) -> set[str]:
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines()}


def _hidden_code_lines() -> set[str]:
    """Distinctive code lines of the hidden suite: not docstrings (they are the test titles
    students see), comments, bare string arguments, or lines the public suite or the
    modules also hold (those are shipped anyway)."""
    shipped = set().union(*(_code_lines(p) for p in HIDDEN_SUITE.parent.glob("public/*.py")),
                          *(_code_lines(p) for p in (REPO_ROOT / "solutions").glob("*.py")))
    lines = set()
    for path in HIDDEN_SUITE.glob("test_*.py"):
        source = path.read_text(encoding="utf-8")
        docstrings = "\n".join(filter(None, (
            ast.get_docstring(n, clean=False) for n in ast.walk(ast.parse(source))
            if isinstance(n, (ast.FunctionDef, ast.Module)))))
        lines |= {line for line in _code_lines(path) - shipped
                  if len(line) >= 25 and line.strip('"') not in docstrings
                  and not line.startswith(("#", '"""'))
                  and re.sub(r"\"[^\"]*\"|'[^']*'|[\s(),\[\]{}:]", "", line)}
    return lines


def _expected_values(results: dict) -> set[str]:
    """The expected numbers a results.json's failure messages name (long enough to be
    unmistakable in a page)."""
    return {value for test in results["tests"] if test["status"] != "passed"
            for value in re.findall(r"expected (-?[0-9][0-9.e+-]*)", test["output"])
            if len(value) >= 6}


def _public_results(folder: Path) -> dict:
    from autograder.grading.engine import GradeOptions, grade_submission

    return grade_submission(folder, GradeOptions(suite="public")).results


def test_feedback_holds_no_hidden_test_and_no_hidden_expected_value(run):
    hidden_lines = _hidden_code_lines()
    assert len(hidden_lines) > 50
    secrets = 0
    for student in STUDENTS:
        pages = sorted((run["course"] / "feedback" / student / ASSIGNMENT).glob("*.html"))
        assert [p.stem for p in pages] == [p.stem for p in course_mod.source_notebooks()]
        text = "\n".join(_feedback_text(p) for p in pages)
        # Control: the visible code of the grade cells is there, readable.
        assert 'visible_check("losses", "sigmoid")' in text
        assert "BEGIN HIDDEN TESTS" not in text and "hidden_score(" not in text
        assert [line for line in hidden_lines if line in text] == []
        shown = _expected_values(_public_results(run["course"] / "submitted" / student
                                                 / ASSIGNMENT))
        hidden = _expected_values(_results(run, student)) - shown
        secrets += len(hidden)
        assert sorted(value for value in hidden if value in text) == [], student
    assert secrets > 0  # the mistakes do have hidden expected values that could leak


def test_release_holds_no_solution_code_and_no_hidden_suite(run):
    release = run["course"] / "release" / ASSIGNMENT
    for module in MODULES:
        assert (release / f"{module}.py").read_text() == stub_text(module)
    solution_lines = {line.strip() for module in MODULES for line in catalog.student_source(
        (REPO_ROOT / "solutions" / f"{module}.py").read_text()).splitlines()
        if len(line.strip()) >= 20} - {line.strip() for module in MODULES
                                       for line in stub_text(module).splitlines()}
    hidden_lines = _hidden_code_lines()
    files = [p for p in release.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} == {".py", ".ipynb", ".csv"}
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":  # also as written: JSON escapes every '"' of a line
            text += "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)
        assert "BEGIN HIDDEN TESTS" not in text and "hidden_score(" not in text, path.name
        assert not [line for line in solution_lines if line in text], path.name
        assert not [line for line in hidden_lines if line in text], path.name


def test_export_writes_the_class_csv(run):
    with (run["course"] / "grades.csv").open(newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert sorted(rows) == sorted(STUDENTS)
    with _gradebook(run) as gradebook:
        for student, row in rows.items():
            assert row["assignment"] == ASSIGNMENT
            assert float(row["raw_score"]) == pytest.approx(
                gradebook.find_submission(ASSIGNMENT, student).score)
