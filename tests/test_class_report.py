"""dltips report: the numbers, the files and the links, on synthetic classes whose truth is
known and on a class graded for real. The page in a browser: test_report_browser.py."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers_report import synthetic_class

from autograder.classreport import statistics
from autograder.classreport.build import ReportOptions, build_report
from autograder.classreport.graded import load_class
from autograder.course.contract import REPO_ROOT, qualified_functions
from autograder.course.samples import catalog
from autograder.grading import report
from autograder.grading.engine import GradeOptions, grade_many
from autograder.grading.messages import mistake_hint

NO_SIMILARITY = ReportOptions(similarity=False)


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _student(folder: Path, outcomes: list[tuple[str, bool, float]]) -> None:
    """A results.json with the given (test id, passed, points)."""
    tests = [{"name": f"losses: {key}", "score": points if ok else 0.0, "max_score": points,
              "status": "passed" if ok else "failed", "output": "" if ok else "wrong",
              "tags": ["losses", "losses.sigmoid"],
              "extra_data": {"nodeid": key, "kind": "passed" if ok else "wrong_answer"}}
             for key, ok, points in outcomes]
    report.write_submission(folder, {"score": sum(t["score"] for t in tests), "output": "",
                                     "tests": tests, "extra_data": {}})


def test_item_analysis_matches_the_definitions(tmp_path):
    """Difficulty is the mean score fraction; discrimination the correlation with the total
    of the OTHER tests: positive for a test the strong pass, negative for one only the
    weakest pass, undefined for one everybody passes."""
    pattern = {  # student -> (strong_test, weak_test, easy_test, filler1, filler2)
        "a": (True, False, True, True, True), "b": (True, False, True, True, False),
        "c": (False, False, True, True, False), "d": (False, True, True, False, False)}
    for name, passes in pattern.items():
        _student(tmp_path / name, [(f"t{i}", ok, 2.0) for i, ok in enumerate(passes)])
    items = {i.key: i for i in statistics.item_analysis(load_class(tmp_path).students)}
    assert items["t0"].difficulty == pytest.approx(0.5)
    assert items["t2"].difficulty == pytest.approx(1.0)
    assert items["t2"].discrimination is None
    scores = np.array([[2.0 * ok for ok in pattern[n]] for n in "abcd"])
    rest = scores.sum(axis=1) - scores[:, 0]
    assert items["t0"].discrimination == pytest.approx(np.corrcoef(scores[:, 0], rest)[0, 1])
    assert items["t0"].discrimination > 0.5
    assert items["t1"].discrimination < -0.5


def test_report_writes_the_page_and_a_csv_per_table(tmp_path):
    synthetic_class(tmp_path / "graded", 30, seed=3)
    page = build_report(tmp_path / "graded", NO_SIMILARITY)
    assert page == tmp_path / "graded" / report.REPORT_DIR / "report.html"
    out = page.parent
    for name in ("students", "functions", "mistakes", "failure_kinds", "tests", "late"):
        assert (out / f"{name}.csv").is_file(), name
        assert f'href="{name}.csv"' in page.read_text()
    assert oct(page.stat().st_mode & 0o777) == "0o600"
    students = _csv(out / "students.csv")
    assert len(students) == 30
    percents = [float(row["%"].rstrip(" %")) for row in students]
    assert percents == sorted(percents, reverse=True)
    order = [row["function"] for row in _csv(out / "functions.csv")]
    assert order == [f for f in qualified_functions() if f in order]  # lecture order
    assert len(_csv(out / "tests.csv")) == 2 * len(order)


def test_mistake_counts_and_feedback_links_are_right(tmp_path):
    results = synthetic_class(tmp_path / "graded", 25, seed=5)
    page = build_report(tmp_path / "graded", NO_SIMILARITY)
    expected: dict[tuple[str, str], set[str]] = {}
    for sub in results:
        for test in sub.results["tests"]:
            if test["extra_data"]["mistake"]:  # an id; the report shows its English hint
                expected.setdefault((test["tags"][1], mistake_hint(test["extra_data"]["mistake"])),
                                    set()).add(sub.name)
    rows = _csv(page.parent / "mistakes.csv")
    assert {(r["function"], r["diagnosed mistake"]): set(r["their feedback"].split("; "))
            for r in rows} == expected
    counts = [int(r["students"]) for r in rows]
    assert counts == sorted(counts, reverse=True) and counts[0] > 1
    assert all(r["hint they saw"].startswith("Hint: this matches") for r in rows)
    # Every feedback link on the page resolves, relative to the page.
    html = page.read_text()
    links = [h for h in _hrefs(html) if h.endswith("feedback.md")]
    assert len(links) >= 25
    assert all((page.parent / link).resolve().is_file() for link in links)


def _hrefs(html: str) -> list[str]:
    import re
    from html import unescape
    from urllib.parse import unquote

    return [unquote(unescape(h)) for h in re.findall(r'href="([^"]+)"', html)]


def test_late_submissions_read_from_grades_csv_or_none_recorded(tmp_path):
    synthetic_class(tmp_path / "with", 20, seed=1, late=True)
    synthetic_class(tmp_path / "without", 20, seed=1)
    late_rows = [r for r in _csv(tmp_path / "with" / "grades.csv") if float(r["late_seconds"])]
    assert late_rows
    page = build_report(tmp_path / "with", NO_SIMILARITY)
    table = _csv(page.parent / "late.csv")
    assert {r["student"] for r in table} == {r["submission"] for r in late_rows}
    assert f"{len(late_rows)} late submissions" in page.read_text()
    page = build_report(tmp_path / "without", NO_SIMILARITY)
    assert "None recorded" in page.read_text()


def test_hostile_names_and_hints_are_escaped_and_bad_folders_are_notes(tmp_path):
    graded = tmp_path / "graded"
    synthetic_class(graded, 5, seed=2)
    hostile = graded / "<script>alert(1)<!--"
    shutil.copytree(graded / "student000", hostile)
    data = json.loads((hostile / "results.json").read_text())
    data["tests"][0].update(status="failed", score=0.0,
                            output='Hint: <img src=x onerror="alert(2)">')
    data["tests"][0]["extra_data"]["mistake"] = "=HYPERLINK(\"http://x\")</td><script>"
    (hostile / "results.json").write_text(json.dumps(data))
    (graded / "broken").mkdir()
    (graded / "broken" / "results.json").write_text("{not json")
    page = build_report(graded, NO_SIMILARITY).read_text()
    assert "<script" not in page and "<img src=x" not in page and "onerror=\"" not in page
    assert "&lt;script&gt;alert(1)" in page
    assert "broken: results.json could not be read" in page
    mistakes = (graded / report.REPORT_DIR / "mistakes.csv").read_text()
    assert "'=HYPERLINK" in mistakes  # a spreadsheet shows it as text


def test_cli_report_and_its_errors(tmp_path):
    synthetic_class(tmp_path / "graded", 4, seed=0)
    run = [sys.executable, "-m", "autograder.cli", "report"]
    done = subprocess.run([*run, str(tmp_path / "graded"), "--out", str(tmp_path / "r"),
                           "--no-similarity"], capture_output=True, text=True, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r" / "report.html").is_file()
    for args, says in (([str(tmp_path / "nothing")], "is not a folder"),
                       ([str(tmp_path)], "holds no <submission>/results.json"),
                       ([str(tmp_path / "graded"), "--similarity-threshold", "2"], "(0, 1]")):
        done = subprocess.run([*run, *args], capture_output=True, text=True, cwd=REPO_ROOT)
        assert done.returncode == 2
        assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def graded_for_real(tmp_path_factory) -> Path:
    """Four samples graded by the real engine (three numpy modules, to stay quick)."""
    root = tmp_path_factory.mktemp("real")
    sources = [s for s in catalog.materialize(root / "submissions")
               if s.name in ("reference", "stubs", "adam_no_bias_correction", "l2_with_half")]
    grade_many(sources, root / "graded",
               GradeOptions(modules=("optimizers", "regularization", "losses")), jobs=2)
    return root / "graded"


def test_results_json_records_the_matched_mistake_and_the_source(graded_for_real):
    data = json.loads((graded_for_real / "adam_no_bias_correction" / "results.json")
                      .read_text())
    mistakes = {t["extra_data"]["mistake"] for t in data["tests"] if t["status"] == "failed"}
    assert "adam_without_bias_correction" in mistakes  # the catalogue's id
    assert Path(data["extra_data"]["source"]).name == "adam_no_bias_correction"
    reference = json.loads((graded_for_real / "reference" / "results.json").read_text())
    assert all(t["extra_data"]["mistake"] is None for t in reference["tests"])


def test_report_of_a_really_graded_class(graded_for_real, tmp_path):
    page = build_report(graded_for_real, ReportOptions(out_dir=tmp_path / "r"))
    rows = {r["diagnosed mistake"]: r for r in _csv(tmp_path / "r" / "mistakes.csv")}
    assert rows["Adam without bias correction"]["their feedback"] == "adam_no_bias_correction"
    assert "bias correction" in rows["Adam without bias correction"]["hint they saw"]
    assert "L2 with a factor 1/2 (Keras has none)" in rows
    html = page.read_text()
    links = [h for h in _hrefs(html) if h.endswith("feedback.md")]
    assert links and not any(h.startswith("/") for h in links)  # relative to the page
    assert all((page.parent / h).resolve().is_file() for h in links)
    students = {r["student"]: r for r in _csv(tmp_path / "r" / "students.csv")}
    assert students["reference"]["%"] == "100 %" and students["stubs"]["%"] == "0 %"
