"""The message catalogue: every sentence a student reads from the grader, per language.

The texts are data, one file per language: ``catalogue/<lang>.toml`` beside this module
(feedback, the check report, Gradescope's output, the notebooks' grade and figure cells),
and, on the instructor's side only, the hint of each catalogued mistake in
``autograder/course/mistakes/<lang>.toml`` (it stays with the mistake models, which are
never shipped to students). Code asks for a message by key and fills its placeholders:

    say("check.total", "ko", score="3", max="46")

Numbers, code and identifiers go in through placeholders and are never translated. A
project test keeps every language holding every key with the same placeholders.

The title of each grading test (the feedback's line for it) is its docstring's summary,
in English; its other languages live beside the suite, one file per suite and language
(``autograder/course/suites/<suite>/titles.<lang>.toml``, a table per suite file keyed by
test function), so the hidden suite's titles stay with the hidden suite, out of the
student release. ``title_for`` reads them; a title a language lacks stays English.
"""

from __future__ import annotations

import functools
import string
import tomllib
from pathlib import Path

from autograder.course.contract import COURSE_DIR

LANGUAGES = ("en", "ko")
DEFAULT_LANG = "en"
CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"
MISTAKE_DIR = COURSE_DIR / "mistakes"  # absent from the student release
SUITES_DIR = COURSE_DIR / "suites"
TITLED_SUITES = ("hidden", "public")  # the grading suites (autograder.grading.runner)


class UnknownLanguage(ValueError):
    """A language the catalogue does not hold."""


def check_lang(lang: str) -> str:
    """``lang`` if the catalogue holds it; UnknownLanguage (one line) otherwise."""
    if lang not in LANGUAGES:
        raise UnknownLanguage(f"unknown language {lang!r}; choose from {', '.join(LANGUAGES)}")
    return lang


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Every message of ``lang`` as ``{"section.key": template}`` (mistake hints included
    where their file exists)."""
    check_lang(lang)
    messages: dict[str, str] = {}
    for path in (CATALOGUE_DIR / f"{lang}.toml", MISTAKE_DIR / f"{lang}.toml"):
        if path.is_file():
            messages.update(_flatten(tomllib.loads(path.read_text(encoding="utf-8"))))
    return messages


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


def say(key: str, lang: str = DEFAULT_LANG, **fields: object) -> str:
    """The message ``key`` in ``lang`` with its placeholders filled; English when the
    language lacks it (a test forbids that), the key itself when no language has it."""
    template = catalogue(lang).get(key) or catalogue(DEFAULT_LANG).get(key) or key
    return template.format(**{name: _plain(value) for name, value in fields.items()})


def _plain(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def mistake_hint(mistake: str, lang: str = DEFAULT_LANG) -> str:
    """The hint of a catalogued mistake id (the id itself when it has none: the student
    release holds no mistake hints, and a results.json may come from elsewhere)."""
    key = f"mistake.{mistake}"
    return catalogue(lang).get(key) or catalogue(DEFAULT_LANG).get(key) or mistake


def placeholders(template: str) -> set[str]:
    """The named placeholders of a template (``{score}`` -> ``score``)."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def title_file(suite: str, lang: str) -> Path:
    """Where the test titles of ``suite`` in ``lang`` are kept."""
    return SUITES_DIR / suite / f"titles.{lang}.toml"


@functools.cache
def suite_titles(suite: str, lang: str) -> dict[str, dict[str, str]]:
    """``{"test_<module>.py": {"test_<name>": title}}`` of ``suite`` in ``lang``; empty for
    English (the docstrings), for a suite not listed and where the file is absent (the
    hidden suite's, in the student release)."""
    check_lang(lang)
    path = title_file(suite, lang)
    if lang == DEFAULT_LANG or suite not in TITLED_SUITES or not path.is_file():
        return {}
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    return {file: {name: str(title) for name, title in tests.items()}
            for file, tests in table.items() if isinstance(tests, dict)}


def title_for(record: dict, lang: str = DEFAULT_LANG) -> str:
    """The title of the grading test a record describes, in ``lang``: its translation
    when the suite's titles file holds one, else the English docstring summary, else the
    test's name made readable."""
    file, _, name = str(record.get("nodeid", "")).partition("::")
    name = name.split("[")[0]  # a parametrized test shares its function's title
    translated = suite_titles(str(record.get("suite", "")), lang).get(file, {}).get(name)
    return translated or record.get("doc") or \
        str(record.get("name", "")).removeprefix("test_").replace("_", " ")
