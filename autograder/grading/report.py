"""Turn per-test records into what people read: results.json (Gradescope's schema),
feedback.md per submission, and for the class grades.csv and summary.png.

Much of what these outputs say comes from the submission: its error messages and prints,
the names of its files and folders, the submission's own name. All of it is hostile text.
``gradescope_results`` cleans every string once (lone surrogates, control characters such
as ANSI escapes, invisible format characters become visible escapes), and each format
then fences or escapes what it shows: Markdown code fences longer than any backtick run
inside, CSV cells that cannot start a spreadsheet formula, rich markup escaped on the
terminal (``cli``). Files are written owner-only (0600, folders 0700): the grader's
outputs are private to it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.course.contract import CONTRACT, MODULES

if TYPE_CHECKING:
    from autograder.grading.results import SubmissionResult
    from autograder.grading.staging import StagedSubmission
    from autograder.grading.summary_figure import SummaryFigure

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
# The class outputs in the output directory; no submission's folder may take these names.
GRADES_CSV = "grades.csv"
SUMMARY_PNG = "summary.png"
REPORT_DIR = "class-report"  # dltips report's default output folder
CLASS_FILES = (GRADES_CSV, SUMMARY_PNG, REPORT_DIR)


# ---------------------------------------------------------------------------------------
# Hostile text
# ---------------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """``text`` with nothing that can act on a reader: lone surrogates, control characters
    (ANSI escapes, carriage returns, NUL...) and invisible format characters (bidi
    overrides, zero-width joiners) become visible escapes such as ``\\x1b``; newlines and
    tabs stay. Everything else, Korean included, is kept as it is."""
    if not isinstance(text, str):
        text = str(text)
    return "".join(_clean_char(c) for c in text)


def _clean_char(char: str) -> str:
    if char in "\n\t":
        return char
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF or unicodedata.category(char) in ("Cc", "Cf", "Cs"):
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char


def clean_tree(value: Any) -> Any:
    """Every string in a JSON-like structure (keys too) through ``clean_text``."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_tree(v) for v in value]
    if isinstance(value, dict):
        return {clean_tree(k): clean_tree(v) for k, v in value.items()}
    return value


def markdown_code(text: str, info: str = "text") -> list[str]:
    """``text`` as a fenced code block whose fence no line of it can close (CommonMark:
    a fence is closed only by a run of backticks at least as long as the opening one)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, text, fence]


def csv_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a quote."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


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
    if raw.get("stopped"):
        output_lines.append(f"Note: {raw['stopped']}")
    if raw.get("grader_error"):
        output_lines.append(f"GRADER ERROR: {raw['grader_error']}")
    return clean_tree({
        "score": round(sum(t["score"] for t in tests), 4),
        "execution_time": round(elapsed, 3),
        "output": "\n".join(output_lines),
        "output_format": "text",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "modules_found": staged.modules,
            "source": str(Path(staged.source).absolute()),  # read by dltips report
            "isolation": raw.get("isolation"),
            "isolation_note": raw.get("isolation_note", ""),
            "isolation_program": raw.get("isolation_program", ""),
            "grader_error": raw.get("grader_error"),
            "stopped": raw.get("stopped"),
            "student_output_tail": raw.get("output_tail", "")[-2000:],
        },
    })


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
                       "duration": record["duration"], "mistake": record.get("mistake")},
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
    from autograder.course.solution_source import solution_hints

    return solution_hints(module).get(function)


# ---------------------------------------------------------------------------------------
# Per-submission files
# ---------------------------------------------------------------------------------------


def write_submission(directory: Path, results: dict) -> Path:
    """Write results.json and feedback.md into ``directory`` (0700, files 0600)."""
    results = clean_tree(results)
    private_dir(directory)
    write_private(directory / "results.json", json.dumps(results, indent=2))
    write_private(directory / "feedback.md", feedback_markdown(results))
    return directory


def private_dir(directory: Path) -> Path:
    """Create ``directory`` (and parents) if needed and make it owner-only."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = os.lstat(directory)
    if stat.S_ISLNK(info.st_mode):
        raise OSError(f"{directory} is a symbolic link; refusing to write results through it")
    os.chmod(directory, stat.S_IMODE(info.st_mode) & 0o700 | 0o700)
    return directory


def write_private(path: Path, data: str | bytes) -> None:
    """Write a file readable by its owner only, never through a link planted there."""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="backslashreplace")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC,
                 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(fd, 0o600)
        handle.write(data)


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
    results = clean_tree(results)
    tests = results["tests"]
    max_score = sum(t["max_score"] for t in tests)
    grader_error = (results.get("extra_data") or {}).get("grader_error")
    if tests:
        score_line = f"**Score: {_fmt(results['score'])} / {_fmt(max_score)}**"
    else:
        score_line = "**Score: none: this submission could not be graded**"
    # Everything below that is not a number or a test title comes from the submission or
    # its run, so it is shown inside code fences, never as Markdown.
    lines = ["# Grading feedback", "", score_line, "", *markdown_code(results["output"]), ""]
    lines += ["| module | score | max |", "|---|---:|---:|"]
    lines += [f"| {m} | {_fmt(s)} | {_fmt(mx)} |" for m, (s, mx) in module_scores(results).items()
              if mx > 0]
    failed = [t for t in tests if t["status"] != "passed"]
    if not tests:
        lines += ["", "No test could be run"
                  + (" because the grader failed; your instructor has been told."
                     if grader_error else ".")]
    elif not failed:
        lines += ["", "Every test passed. Well done!"]
    else:
        lines += ["", f"## What to fix ({len(failed)} failed tests)"]
    for test in failed:
        functions = ", ".join(f"`{tag}`" for tag in test["tags"][1:])
        lines += ["", f"### {_md_inline(test['name'])} "
                  f"({_fmt(test['score'])} / {_fmt(test['max_score'])})",
                  f"Functions: {functions}", "", *markdown_code(test["output"].strip())]
    return "\n".join(lines) + "\n"


def _md_inline(text: str) -> str:
    """Backslash-escape Markdown and HTML punctuation in a line of plain text."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>&~])", r"\\\1", text)


def _fmt(value: float) -> str:
    return f"{value:g}"


# ---------------------------------------------------------------------------------------
# Class outputs
# ---------------------------------------------------------------------------------------


def write_class_outputs(out_dir: Path, submissions: list[SubmissionResult],
                        figure: SummaryFigure | None = None) -> None:
    """grades.csv and summary.png in ``out_dir`` (owner-only, like every output);
    ``figure``: one prepared while the class was graded (``SummaryFigure.start``)."""
    private_dir(out_dir)
    write_grades_csv(out_dir / GRADES_CSV, submissions)
    write_summary_figure(out_dir / SUMMARY_PNG, submissions, figure)


def write_grades_csv(path: Path, submissions: list[SubmissionResult]) -> None:
    """A row per submission: its name, one column per module, the total and the maximum."""
    handle = io.StringIO()
    writer = csv.writer(handle)
    writer.writerow(["submission", *MODULES, "total", "max_score", "status"])
    for sub in submissions:
        scores = module_scores(sub.results)
        extra = sub.results["extra_data"]
        status = ("grader_error" if extra.get("grader_error")
                  else "stopped" if extra.get("stopped") else "graded")
        writer.writerow([csv_cell(clean_text(sub.name)), *(_fmt(scores[m][0]) for m in MODULES),
                         _fmt(sub.score), _fmt(sub.max_score), status])
    write_private(path, handle.getvalue())


def class_pass_rates(submissions: list[SubmissionResult]) -> dict[str, float]:
    """``module.function`` -> fraction of submissions where all its tests passed."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for sub in submissions:
        for tag, ok in function_status(sub.results).items():
            counts[tag][0] += ok
            counts[tag][1] += 1
    order = [f"{m}.{f}" for m, fs in CONTRACT.items() for f in fs]
    return {tag: counts[tag][0] / counts[tag][1] for tag in order if counts[tag][1]}


def write_summary_figure(path: Path, submissions: list[SubmissionResult],
                         figure: SummaryFigure | None = None) -> None:
    """Score distribution and per-function pass rates, one figure for the instructor
    (owner-only). ``figure``: one ``engine.grade_many`` prepared while it graded."""
    from autograder.grading.summary_figure import SummaryFigure

    rates = class_pass_rates(submissions)
    figure = figure or SummaryFigure(list(rates), len(submissions))
    percents = [100 * s.score / s.max_score if s.max_score else 0.0 for s in submissions]
    write_private(path, figure.png(rates, percents))


def summary_rows(submissions: list[SubmissionResult]) -> list[dict[str, Any]]:
    """Rows for the CLI's end-of-run table."""
    rows = []
    for sub in submissions:
        scores = module_scores(sub.results)
        rows.append({"name": sub.name, "modules": {m: scores[m] for m in MODULES},
                     "score": sub.score, "max": sub.max_score,
                     "error": sub.results["extra_data"].get("grader_error")})
    return rows
