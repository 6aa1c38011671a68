"""A graded folder as plain records: one ``Student`` per ``<name>/results.json``.

What ``dltips grade`` wrote is read, never trusted blindly: a folder whose results.json is
missing, unreadable or not of the expected shape becomes a note on the page, and the rest
of the class is still reported. Every string here may come from a submission; the page
escapes it (``page``), the CSV files defuse it (``tables``).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading.messages import LANGUAGES, say
from autograder.grading.report import GRADES_CSV

# grades.csv columns another step may add (the nbgrader path's submission times).
LATE_COLUMNS = ("timestamp", "late_seconds", "late_penalty")
MAX_RESULTS_BYTES = 16 * 2**20
# How a hint line starts in the feedback, in every language ("Hint:", "힌트:").
HINT_PREFIXES = tuple({say("test.function_hint", lang, hint="").strip() for lang in LANGUAGES})


class GradedFolderError(ValueError):
    """The folder is not a graded class at all (one line, said to the instructor)."""


@dataclass(frozen=True)
class TestOutcome:
    """One hidden test of one student."""

    key: str                   # the same test across students (its pytest node id)
    title: str                 # "module: what it checks"
    module: str
    functions: tuple[str, ...]  # ``module.function`` tags
    score: float
    max_score: float
    passed: bool
    kind: str                  # passed, wrong_answer, exception, timeout...
    mistake: str | None        # the mistake model the answer matched (course/mistakes.py)
    hint: str                  # the "Hint: ..." line(s) the student saw, if any


@dataclass
class Student:
    """One graded submission."""

    name: str
    folder: Path
    score: float
    max_score: float
    status: str                # graded, stopped, grader_error
    tests: list[TestOutcome]
    source: str | None         # where the submission was read, if recorded
    late: dict[str, str] = field(default_factory=dict)  # LATE_COLUMNS, when recorded

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


@dataclass
class GradedClass:
    directory: Path
    students: list[Student]
    notes: list[str]           # folders that could not be read, and why
    has_late_columns: bool     # grades.csv carries the submission-time columns


def load_class(directory: Path) -> GradedClass:
    """Every ``<name>/results.json`` below ``directory``, sorted by name."""
    directory = Path(directory)
    if not directory.is_dir():
        raise GradedFolderError(f"{directory} is not a folder (give the --out folder of "
                                "`dltips grade`)")
    students, notes = [], []
    for folder in sorted(p for p in directory.iterdir() if p.is_dir() and not p.is_symlink()):
        results_path = folder / "results.json"
        if not results_path.is_file():
            continue
        try:
            students.append(_student(folder, results_path))
        except (OSError, ValueError, KeyError, TypeError) as error:
            notes.append(f"{folder.name}: results.json could not be read "
                         f"({type(error).__name__}: {str(error)[:160]}); left out")
    if not students and not notes:
        raise GradedFolderError(f"{directory} holds no <submission>/results.json: give the "
                                "--out folder of `dltips grade`")
    late, has_late = _late_columns(directory / GRADES_CSV)
    for student in students:
        student.late = late.get(student.name, {})
    return GradedClass(directory, students, notes, has_late)


def _student(folder: Path, results_path: Path) -> Student:
    if results_path.is_symlink() or results_path.stat().st_size > MAX_RESULTS_BYTES:
        raise ValueError("a link or a file too large to be a results.json")
    results = json.loads(results_path.read_text(encoding="utf-8", errors="replace"))
    extra = results.get("extra_data") or {}
    tests = [_outcome(test) for test in results["tests"]]
    status = ("grader_error" if extra.get("grader_error")
              else "stopped" if extra.get("stopped") else "graded")
    source = extra.get("source")
    return Student(name=folder.name, folder=folder, score=float(results["score"]),
                   max_score=float(sum(t.max_score for t in tests)), status=status,
                   tests=tests, source=source if isinstance(source, str) else None)


def _outcome(test: dict) -> TestOutcome:
    extra = test.get("extra_data") or {}
    tags = [str(tag) for tag in test.get("tags") or []]
    output = str(test.get("output") or "")
    mistake = extra.get("mistake")
    return TestOutcome(
        key=str(extra.get("nodeid") or test["name"]), title=str(test["name"]),
        module=tags[0] if tags else "", functions=tuple(tags[1:]),
        score=float(test["score"]), max_score=float(test["max_score"]),
        passed=test.get("status") == "passed", kind=str(extra.get("kind") or test.get("status")),
        mistake=mistake if isinstance(mistake, str) else None,
        hint="\n".join(line.strip() for line in output.splitlines()
                       if line.strip().startswith(HINT_PREFIXES)))


def _late_columns(path: Path) -> tuple[dict[str, dict[str, str]], bool]:
    """submission name -> its late columns, and whether grades.csv has them at all."""
    if not path.is_file():
        return {}, False
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = [c for c in LATE_COLUMNS if c in (reader.fieldnames or [])]
        if not columns:
            return {}, False
        rows = {}
        for row in reader:
            name = _uncell(row.get("submission") or "")
            rows[name] = {c: _uncell(row.get(c) or "") for c in columns}
    return rows, True


def _uncell(text: str) -> str:
    """Undo ``report.csv_cell``'s guard quote (a name such as '-x' is written "'-x")."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") else text
