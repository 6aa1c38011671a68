"""Turn per-test records into what people read: results.json (Gradescope's schema),
feedback.md per submission, and for the class grades.csv and summary.png."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.contract import CONTRACT, MODULES

if TYPE_CHECKING:
    from autograder.engine import SubmissionResult
    from autograder.staging import StagedSubmission

# What to do about each kind of failure, said once per test in the feedback.
KIND_ADVICE = {
    "not_implemented": "Not implemented yet: replace the `raise NotImplementedError(...)` line.",
    "missing_module": "The module file was not in the submission.",
    "missing_function": "The function is missing or misspelt: keep the name from the stub.",
    "syntax_error": "The module does not compile: fix the syntax error first.",
    "import_error": "The module fails while being imported: every other test of it fails too. "
                    "Import other exercise modules by bare name "
                    "(`from gradient_descent import predict`).",
    "exception": "Your code raised an exception: read its message and the docstring.",
    "timeout": "Too slow or stuck: look for an endless loop; use vectorised numpy.",
    "crashed": "The process running your code died (os._exit, a crash...).",
    "memory": "Your code used too much memory: avoid building huge arrays.",
    "bad_return": "Return plain numpy arrays, numbers, strings, None, lists, tuples or dicts.",
    "wall_cap": "The whole submission used up its time budget; later tests were not run.",
    "modified_input": "Leave the caller's data alone: write `x = x - m`, not `x -= m` "
                      "(`np.asarray` does not copy an array that is already float64).",
    "warning": "A numpy warning means the computation passed through inf or NaN: rewrite it "
               "so it cannot (the docstring says how), do not just silence it.",
    "wrong_answer": "",
    "grader_error": "The grader itself failed on this test: tell your instructor.",
}


# ---------------------------------------------------------------------------------------
# results.json
# ---------------------------------------------------------------------------------------


VISIBILITIES = ("visible", "after_published", "after_due_date", "hidden")


def gradescope_results(staged: StagedSubmission, raw: dict, elapsed: float,
                       visibility: str = "visible") -> dict:
    """Gradescope's results.json content for one submission.

    ``visibility`` applies to the overall result and to every test (Gradescope's values:
    visible, after_published, after_due_date, hidden).
    """
    tests = [_gradescope_test(i, record, visibility)
             for i, record in enumerate(raw.get("tests", []), 1)]
    output_lines = [f"Submission: {staged.name}"]
    if raw.get("isolation_note"):
        output_lines.append(f"Isolation: {raw['isolation_note']}")
    output_lines += [f"Note: {note}" for note in staged.notes]
    if raw.get("grader_error"):
        output_lines.append(f"GRADER ERROR: {raw['grader_error']}")
    return {
        "score": round(sum(t["score"] for t in tests), 4),
        "execution_time": round(elapsed, 3),
        "output": "\n".join(output_lines),
        "output_format": "text",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "modules_found": staged.modules,
            "isolation": raw.get("isolation"),
            "isolation_note": raw.get("isolation_note", ""),
            "grader_error": raw.get("grader_error"),
            "student_output_tail": raw.get("output_tail", "")[-2000:],
        },
    }


def _gradescope_test(number: int, record: dict, visibility: str) -> dict:
    module = record["module"]
    functions = [f"{module}.{name}" for name in record["functions"]]
    title = record["doc"] or record["name"].removeprefix("test_").replace("_", " ")
    passed = record["passed"]
    return {
        "name": f"{module}: {title}",
        "number": str(number),
        "score": record["points"] if passed else 0.0,
        "max_score": record["points"],
        "status": "passed" if passed else "failed",
        "output": "" if passed else _test_output(record),
        "output_format": "text",
        "visibility": visibility,
        "tags": [module, *functions],
        "extra_data": {"kind": record["kind"], "nodeid": record["nodeid"],
                       "duration": record["duration"]},
    }


def _test_output(record: dict) -> str:
    lines = [record["message"].strip()]
    advice = KIND_ADVICE.get(record["kind"], "")
    if advice:
        lines.append(advice)
    if record["kind"] == "wrong_answer" and "Hint:" not in record["message"]:
        hints = [h for f in record["functions"] if (h := function_hint(record["module"], f))]
        lines += [f"Hint: {hint}" for hint in hints[:1]]
    return "\n".join(line for line in lines if line)


def function_hint(module: str, function: str) -> str | None:
    """The one-line hint the exercise gives for a function (from its solution region)."""
    from autograder.release import solution_hints

    return solution_hints(module).get(function)


# ---------------------------------------------------------------------------------------
# Per-submission files
# ---------------------------------------------------------------------------------------


def write_submission(directory: Path, results: dict) -> Path:
    """Write results.json and feedback.md into ``directory``; returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    (directory / "feedback.md").write_text(feedback_markdown(results), encoding="utf-8")
    return directory


def module_scores(results: dict) -> dict[str, tuple[float, float]]:
    """module -> (score, max score), in contract order."""
    totals: dict[str, list[float]] = {m: [0.0, 0.0] for m in MODULES}
    for test in results["tests"]:
        module = test["tags"][0]
        totals.setdefault(module, [0.0, 0.0])
        totals[module][0] += test["score"]
        totals[module][1] += test["max_score"]
    return {m: (s, mx) for m, (s, mx) in totals.items()}


def function_status(results: dict) -> dict[str, bool]:
    """``module.function`` -> True when every test exercising it passed."""
    status: dict[str, bool] = {}
    for test in results["tests"]:
        for tag in test["tags"][1:]:
            status[tag] = status.get(tag, True) and test["status"] == "passed"
    return status


def feedback_markdown(results: dict) -> str:
    """A student-readable report: scores per module, then each failed test and its hint."""
    max_score = sum(t["max_score"] for t in results["tests"])
    lines = ["# Grading feedback", "",
             f"**Score: {_fmt(results['score'])} / {_fmt(max_score)}**", ""]
    lines += [f"> {line}" for line in results["output"].splitlines()] + [""]
    lines += ["| module | score | max |", "|---|---:|---:|"]
    lines += [f"| {m} | {_fmt(s)} | {_fmt(mx)} |" for m, (s, mx) in module_scores(results).items()
              if mx > 0]
    failed = [t for t in results["tests"] if t["status"] != "passed"]
    if not failed:
        lines += ["", "Every test passed. Well done!"]
    else:
        lines += ["", f"## What to fix ({len(failed)} failed tests)"]
    for test in failed:
        functions = ", ".join(f"`{tag}`" for tag in test["tags"][1:])
        lines += ["", f"### {test['name']} ({_fmt(test['score'])} / {_fmt(test['max_score'])})",
                  f"Functions: {functions}", "", "```text", test["output"].strip(), "```"]
    return "\n".join(lines) + "\n"


def _fmt(value: float) -> str:
    return f"{value:g}"


# ---------------------------------------------------------------------------------------
# Class outputs
# ---------------------------------------------------------------------------------------


def write_grades_csv(path: Path, submissions: list[SubmissionResult]) -> None:
    """A row per submission: its name, one column per module, the total and the maximum."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", *MODULES, "total", "max_score", "status"])
        for sub in submissions:
            scores = module_scores(sub.results)
            status = "grader_error" if sub.results["extra_data"].get("grader_error") else "graded"
            writer.writerow([sub.name, *(_fmt(scores[m][0]) for m in MODULES),
                             _fmt(sub.score), _fmt(sub.max_score), status])


def class_pass_rates(submissions: list[SubmissionResult]) -> dict[str, float]:
    """``module.function`` -> fraction of submissions where all its tests passed."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for sub in submissions:
        for tag, ok in function_status(sub.results).items():
            counts[tag][0] += ok
            counts[tag][1] += 1
    order = [f"{m}.{f}" for m, fs in CONTRACT.items() for f in fs]
    return {tag: counts[tag][0] / counts[tag][1] for tag in order if counts[tag][1]}


def write_summary_figure(path: Path, submissions: list[SubmissionResult]) -> None:
    """Score distribution and per-function pass rates, one figure for the instructor.

    (``engine.grade_many`` prepares the figure while it grades; see ``summary_figure``.)
    """
    from autograder.summary_figure import SummaryFigure

    SummaryFigure(list(class_pass_rates(submissions)), len(submissions)).write(path, submissions)


def summary_rows(submissions: list[SubmissionResult]) -> list[dict[str, Any]]:
    """Rows for the CLI's end-of-run table."""
    rows = []
    for sub in submissions:
        scores = module_scores(sub.results)
        rows.append({"name": sub.name, "modules": {m: scores[m] for m in MODULES},
                     "score": sub.score, "max": sub.max_score,
                     "error": sub.results["extra_data"].get("grader_error")})
    return rows
