"""Test titles in the feedback's language: every grading test of both suites has a Korean
title in its suite's ``titles.ko.toml``, no title names a test that does not exist, the
Korean keeps the English title's numbers and names, and a graded run shows the title of
its language (English docstring summaries unchanged; a missing title falls back to them)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from autograder.course.contract import REPO_ROOT
from autograder.grading import report
from autograder.grading.engine import GradeOptions, grade_submission
from autograder.grading.messages import SUITES_DIR, TITLED_SUITES, title_file, title_for

SUITES = TITLED_SUITES


def _english_titles(suite: str) -> dict[str, dict[str, str]]:
    """``{"test_<module>.py": {"test_<name>": docstring summary}}`` read from the suite's
    files without importing them (the plugin's ``_doc_summary`` rule)."""
    titles: dict[str, dict[str, str]] = {}
    for path in sorted((SUITES_DIR / suite).glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        titles[path.name] = {
            node.name: " ".join((ast.get_docstring(node, clean=False) or "")
                                .strip().split("\n\n")[0].split())
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test_")}
    return titles


def _korean_titles(suite: str) -> dict[str, dict[str, str]]:
    return tomllib.loads(title_file(suite, "ko").read_text(encoding="utf-8"))


@pytest.mark.parametrize("suite", SUITES)
def test_every_test_has_a_korean_title_and_every_title_a_test(suite):
    english, korean = _english_titles(suite), _korean_titles(suite)
    assert sum(len(tests) for tests in english.values()) > 40  # the suites were found
    missing = [f"{file}::{name}" for file, tests in english.items() for name in tests
               if name not in korean.get(file, {})]
    unknown = [f"{file}::{name}" for file, tests in korean.items() for name in tests
               if name not in english.get(file, {})]
    assert missing == [], "tests without a Korean title"
    assert unknown == [], "Korean titles of tests that do not exist (renamed?)"
    assert all(english[f][n] for f in english for n in english[f]), "a test lacks a docstring"


# Pieces of an English title a translation keeps character for character: numbers, `code`,
# identifiers with an underscore or a call's parentheses, CamelCase class names.
_KEPT = (r"`[^`]+`", r"(?<![\w.])\d+(?:\.\d+)?(?:e-?\d+)?", r"\b[A-Za-z]\w*_\w+\b",
         r"\b[A-Z][a-z]+[A-Z]\w*\b", r"\b[A-Za-z]\w*\(")


@pytest.mark.parametrize("suite", SUITES)
def test_korean_titles_keep_numbers_and_names_and_are_korean(suite):
    english, korean = _english_titles(suite), _korean_titles(suite)
    lost, not_korean = {}, []
    for file, tests in korean.items():
        for name, text in tests.items():
            source = english[file][name]
            kept = [piece for pattern in _KEPT for piece in re.findall(pattern, source)]
            if missing := [piece for piece in kept if piece not in text]:
                lost[f"{file}::{name}"] = missing
            if not re.search(r"[가-힣]", text):
                not_korean.append(name)
    assert lost == {}
    assert not_korean == []


def test_regularization_is_never_called_normalization_in_korean():
    """The notebooks' terms: regularization = 규제, normalization = 정규화."""
    for suite in SUITES:
        english, korean = _english_titles(suite), _korean_titles(suite)
        for file, tests in korean.items():
            for name, text in tests.items():
                if re.search(r"regulari[sz]", english[file][name], re.I):
                    assert "정규화" not in text, name


def test_a_title_falls_back_to_english_and_never_crashes():
    record = {"suite": "public", "nodeid": "test_dropout.py::test_dropout_backward",
              "name": "test_dropout_backward", "doc": "The English summary."}
    assert title_for(record, "en") == "The English summary."
    assert title_for(record, "ko") == _korean_titles("public")["test_dropout.py"][
        "test_dropout_backward"]
    for unknown in ({"suite": "public", "nodeid": "test_dropout.py::test_renamed"},
                    {"suite": "../..", "nodeid": "test_dropout.py::test_dropout_backward"},
                    {"suite": None}):  # a record written before records named their suite
        assert title_for({**record, **unknown}, "ko") == "The English summary."
    assert title_for({"nodeid": "x::test_no_doc", "name": "test_no_doc", "doc": ""},
                     "ko") == "no doc"


def _stub_submission(tmp_path: Path) -> Path:
    submission = tmp_path / "stub"
    submission.mkdir()
    source = (REPO_ROOT / "assignments" / "regularization.py").read_text(encoding="utf-8")
    (submission / "regularization.py").write_text(source, encoding="utf-8")
    return submission


@pytest.mark.parametrize("suite", SUITES)
def test_a_graded_run_titles_its_tests_in_its_language(tmp_path, suite):
    """The regularization stub, graded in Korean and in English: results.json names and
    feedback.md headings carry the Korean titles in one, the docstrings in the other."""
    submission = _stub_submission(tmp_path)
    english, korean = (_english_titles(suite)["test_regularization.py"],
                       _korean_titles(suite)["test_regularization.py"])
    for lang, want, other in (("ko", korean, english), ("en", english, korean)):
        options = GradeOptions(suite=suite, modules=("regularization",), lang=lang)
        result = grade_submission(submission, options, out_dir=tmp_path / lang, name="stub")
        tests = result.results["tests"]
        assert len(tests) == len(want) and all(t["status"] == "failed" for t in tests)
        by_nodeid = {t["extra_data"]["nodeid"].split("::")[-1]: t["name"] for t in tests}
        assert by_nodeid == {name: f"regularization: {want[name]}" for name in want}
        feedback = (result.out_dir / "feedback.md").read_text(encoding="utf-8")
        for name in want:
            heading = report._md_inline(f"regularization: {want[name]}")
            assert heading in feedback and report._md_inline(other[name]) not in feedback
