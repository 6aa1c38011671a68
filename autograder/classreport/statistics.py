"""The numbers of the class report, computed from ``graded`` records with numpy.

Item analysis follows classical test theory, per hidden test:

- **difficulty** ``p``: the mean fraction of the test's points the class earned (1 = every
  student passed it);
- **discrimination**: the *corrected item-total correlation*, Pearson's r between the
  test's score fraction and each student's total **without that test** (for a pass/fail
  test this is the point-biserial correlation). Leaving the test out of the total keeps it
  from correlating with itself. Undefined (None) when every student scored the same on the
  test or on the rest.

Students the grader failed on (no tests) are left out of the item analysis, and said so.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from autograder.classreport.graded import Student
from autograder.course.contract import qualified_functions
from autograder.grading.messages import mistake_hint


@dataclass(frozen=True)
class FunctionRate:
    function: str              # module.function
    passed: int                # students all of whose tests of it passed
    students: int              # students graded on it


@dataclass(frozen=True)
class Mistake:
    function: str              # module.function the matched test exercises
    description: str           # the mistake's hint text in English (the message catalogue)
    students: tuple[str, ...]  # who made it (each once, however many tests matched)
    hint: str                  # the hint line those students saw (the commonest wording)


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    module: str
    max_score: float
    difficulty: float
    discrimination: float | None
    students: int


def function_rates(students: list[Student]) -> list[FunctionRate]:
    """Pass rate per contract function, in lecture order (the contract's)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for student in students:
        status: dict[str, bool] = {}
        for test in student.tests:
            for function in test.functions:
                status[function] = status.get(function, True) and test.passed
        for function, ok in status.items():
            counts[function][0] += ok
            counts[function][1] += 1
    return [FunctionRate(f, *counts[f]) for f in qualified_functions() if counts[f][1]]


def mistakes(students: list[Student]) -> list[Mistake]:
    """The diagnosed mistakes, commonest first (ties in lecture order)."""
    who: dict[tuple[str, str], set[str]] = defaultdict(set)
    hints: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for student in students:
        for test in student.tests:
            if test.mistake and not test.passed:
                function = test.functions[0] if test.functions else test.module
                key = (function, test.mistake)
                who[key].add(student.name)
                hints[key][test.hint] += 1
    order = {f: i for i, f in enumerate(qualified_functions())}
    keys = sorted(who, key=lambda k: (-len(who[k]), order.get(k[0], len(order)), k[1]))
    return [Mistake(k[0], mistake_hint(k[1]), tuple(sorted(who[k])),
                    hints[k].most_common(1)[0][0]) for k in keys]


def failure_kinds(students: list[Student]) -> list[tuple[str, int, int]]:
    """(kind, students with at least one test failed that way, tests), commonest first."""
    students_of: dict[str, set[str]] = defaultdict(set)
    tests: Counter = Counter()
    for student in students:
        for test in student.tests:
            if not test.passed:
                students_of[test.kind].add(student.name)
                tests[test.kind] += 1
    return sorted(((k, len(s), tests[k]) for k, s in students_of.items()),
                  key=lambda row: (-row[1], row[0]))


def item_analysis(students: list[Student]) -> list[Item]:
    """Difficulty and corrected item-total correlation of every hidden test."""
    graded = [s for s in students if s.tests]
    if not graded:
        return []
    first_seen: dict[str, tuple[str, str, float]] = {}
    for student in graded:
        for test in student.tests:
            first_seen.setdefault(test.key, (test.title, test.module, test.max_score))
    keys = list(first_seen)
    column = {k: i for i, k in enumerate(keys)}
    earned = np.full((len(graded), len(keys)), np.nan)
    for row, student in enumerate(graded):
        for test in student.tests:
            earned[row, column[test.key]] = test.score
    earned = np.nan_to_num(earned)  # a test a student's run did not report earned nothing
    totals = earned.sum(axis=1)
    items = []
    for i, key in enumerate(keys):
        title, module, max_score = first_seen[key]
        fraction = earned[:, i] / max_score if max_score else np.zeros(len(graded))
        items.append(Item(key, title, module, float(max_score), float(fraction.mean()),
                          _correlation(fraction, totals - earned[:, i]), len(graded)))
    return items


def _correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def score_summary(students: list[Student]) -> dict[str, float]:
    """Count, mean, median, min and max of the class's scores in percent."""
    percents = np.array([s.percent for s in students], dtype=float)
    if not len(percents):
        return {"students": 0}
    return {"students": len(percents), "mean": float(percents.mean()),
            "median": float(np.median(percents)), "min": float(percents.min()),
            "max": float(percents.max())}
