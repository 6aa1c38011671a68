"""A synthetic graded class, written with the grader's own writers (results.json,
feedback.md, grades.csv), for the class-report tests and benchmarks/bench_report.py.

Each student has an ability; each hidden test a difficulty; a student passes a test with
the logistic probability of their difference, so the item analysis has something real to
find. A failed test of a function with modelled mistakes is diagnosed as one of them.
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

from autograder.course.contract import CONTRACT
from autograder.course.mistakes import for_function
from autograder.grading import report
from autograder.grading.messages import say
from autograder.grading.results import SubmissionResult

NUMPY_MODULES = tuple(m for m in CONTRACT if m != "mnist_classifier")


def _tests(rng: random.Random) -> list[dict]:
    tests = []
    for module in NUMPY_MODULES:
        for function in CONTRACT[module]:
            for check in ("values", "edge cases"):
                tests.append({"module": module, "function": function, "check": check,
                              "points": rng.choice([0.5, 1.0, 1.0, 2.0]),
                              "difficulty": rng.gauss(-1.0, 1.2)})
    return tests


def synthetic_class(dest: Path, students: int, seed: int = 0, late: bool = False,
                    sources: dict[str, Path] | None = None) -> list[SubmissionResult]:
    """Write ``students`` graded folders and grades.csv into ``dest``."""
    rng = random.Random(seed)
    tests = _tests(rng)
    results = []
    for number in range(students):
        name = f"student{number:03d}"
        ability = rng.gauss(0.0, 1.5)
        records = []
        for index, test in enumerate(tests, 1):
            passed = rng.random() < 1 / (1 + math.exp(test["difficulty"] - ability))
            mistakes = list(for_function(test["function"]))  # their ids
            mistake = rng.choice(mistakes) if mistakes and not passed and rng.random() < 0.7 \
                else None
            output = "" if passed else (f"`{test['function']}`: values differ"
                                        + ("\n" + say("test.mistake", mistake=mistake)
                                           if mistake else ""))
            records.append({
                "name": f"{test['module']}: {test['function']} {test['check']}",
                "number": str(index), "score": test["points"] if passed else 0.0,
                "max_score": test["points"], "status": "passed" if passed else "failed",
                "output": output, "output_format": "text", "visibility": "visible",
                "tags": [test["module"], f"{test['module']}.{test['function']}"],
                "extra_data": {"kind": "passed" if passed else "wrong_answer",
                               "nodeid": f"test_{test['module']}.py::test_{test['function']}"
                                         f"_{index}",
                               "duration": 0.01, "mistake": mistake}})
        source = (sources or {}).get(name)
        result = {"score": sum(r["score"] for r in records), "execution_time": 0.5,
                  "output": f"Submission: {name}", "visibility": "visible", "tests": records,
                  "extra_data": {"source": str(source) if source else None,
                                 "grader_error": None, "stopped": None}}
        folder = report.write_submission(dest / name, result)
        results.append(SubmissionResult(name, Path(source or name), result, folder))
    report.write_grades_csv(dest / report.GRADES_CSV, results)
    if late:
        add_late_columns(dest / report.GRADES_CSV, rng)
    return results


def add_late_columns(path: Path, rng: random.Random) -> None:
    """grades.csv with the nbgrader path's timestamp, late_seconds, late_penalty columns."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    rows[0] += ["timestamp", "late_seconds", "late_penalty"]
    for row in rows[1:]:
        late = rng.choice([0, 0, 0, 0, 360, 7200])
        row += [f"2026-11-30 23:{rng.randrange(60):02d}:00", str(late),
                "10" if late else "0"]
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
