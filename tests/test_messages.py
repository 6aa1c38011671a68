"""The message catalogue: every message in every language, with the same placeholders;
numbers, code and identifiers untranslated; the notebooks' Korean terms; every mistake a
suite can diagnose has a hint; the student-facing code asks the catalogue, not f-strings."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from autograder.course import mistakes
from autograder.course.contract import COURSE_DIR
from autograder.grading import messages
from autograder.grading.messages import LANGUAGES, catalogue, placeholders, say

ENGLISH = catalogue("en")


def test_the_catalogue_is_not_empty_and_holds_the_mistake_hints():
    assert len(ENGLISH) > 50
    assert {f"mistake.{m}" for m in mistakes.all_ids()} <= set(ENGLISH)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_exists_in_every_language_with_the_same_placeholders(lang):
    texts = catalogue(lang)
    assert set(texts) == set(ENGLISH), set(texts) ^ set(ENGLISH)
    different = {key: (placeholders(ENGLISH[key]), placeholders(texts[key]))
                 for key in ENGLISH if placeholders(ENGLISH[key]) != placeholders(texts[key])}
    assert different == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_code_and_numbers_are_never_translated(lang):
    """Every `code` span and every number of the English text is in the other language's
    text of the same message, character for character."""
    texts = catalogue(lang)
    lost = {}
    for key, english in ENGLISH.items():
        kept = re.findall(r"`[^`]+`", english) + re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?:e-?\d+)?",
                                                            english)
        missing = [piece for piece in kept if piece not in texts[key]]
        if missing:
            lost[key] = missing
    assert lost == {}


def test_korean_uses_the_notebooks_terms():
    """One word per concept, as in solutions/*.ipynb: regularization = 규제 (never 정규화),
    normalization = 정규화, standardization = 표준화."""
    korean = catalogue("ko")
    for key, english in ENGLISH.items():
        text = korean[key]
        if re.search(r"regulari[sz]", english, re.I):
            assert "규제" in text and "정규화" not in text, key
        if re.search(r"\bstandardi[sz]", english, re.I):
            assert "표준화" in text, key
        if re.search(r"normali[sz]", english, re.I):
            assert "정규화" in text, key
    # Korean text really is Korean: every message has Hangul.
    assert [key for key, text in korean.items() if not re.search(r"[가-힣]", text)] == []


def test_say_fills_placeholders_and_keeps_numbers():
    assert say("check.total", "en", score=3.5, max=46.0) == "dltips check: 3.5 / 46 points"
    assert say("check.total", "ko", score=3.5, max=46.0) == "dltips check: 3.5 / 46점"
    assert messages.mistake_hint("adam_without_bias_correction", "ko") == \
        "Adam에서 bias correction을 하지 않음"
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        catalogue("fr")


def _literal_mistake_ids(path: Path) -> set[str]:
    """The keys of every ``mistakes={...}`` dict literal a suite passes to a check."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.keyword) and node.arg == "mistakes":
            value = node.value
            if isinstance(value, ast.Name):  # a dict bound to a name just before
                continue
            if isinstance(value, ast.Dict):
                found |= {k.value for k in value.keys if isinstance(k, ast.Constant)}
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and any(
                isinstance(t, ast.Name) and t.id == "hint" for t in node.targets):
            found |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
    return found


def test_every_mistake_a_suite_names_has_a_hint_in_every_language():
    named = set()
    for suite in sorted((COURSE_DIR / "suites" / "hidden").glob("test_*.py")):
        named |= _literal_mistake_ids(suite)
    assert named, "the suites name mistakes inline (batch norm backward, MNIST)"
    assert named <= set(mistakes.INLINE_IDS)
    for lang in LANGUAGES:
        assert {f"mistake.{m}" for m in mistakes.all_ids()} <= set(catalogue(lang))


STUDENT_FACING = ["grading/report.py", "grading/terminal.py", "delivery/notebook.py"]


@pytest.mark.parametrize("relative", STUDENT_FACING)
def test_student_facing_modules_hold_no_sentences(relative):
    """Sentences students read come from the catalogue: no string literal of these modules
    outside docstrings and raised errors (the instructor's, or details inside a catalogued
    sentence) has three English words in a row or any Hangul."""
    tree = ast.parse((COURSE_DIR.parent / relative).read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    docstrings |= {id(inner) for node in ast.walk(tree)
                   if isinstance(node, ast.Raise) or (isinstance(node, ast.FunctionDef)
                                                      and node.name == "__repr__")
                   for inner in ast.walk(node)}
    prose = [node.value for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and id(node) not in docstrings
             and (re.search(r"[가-힣]", node.value)
                  or re.search(r"\b[A-Za-z]{2,} [a-z]{2,} [a-z]{2,}\b", node.value))]
    assert prose == []
