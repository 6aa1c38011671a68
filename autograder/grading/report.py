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
from autograder.grading.messages import (
    DEFAULT_LANG,
    catalogue,
    mistake_hint,
    say,
    title_for,
)
from autograder.grading.policy import DEFAULT_DISCLOSURE, discloses

if TYPE_CHECKING:
    from autograder.grading.results import SubmissionResult
    from autograder.grading.staging import StagedSubmission
    from autograder.grading.summary_figure import SummaryFigure

# Failures that say nothing about a test's inputs: the same for every test of the module or
# function, so they are said in full at every disclosure level that lists tests.
INPUT_FREE_KINDS = frozenset({"not_implemented", "missing_module", "missing_function",
                              "syntax_error", "import_error"})
# Diagnoses the grader words itself from the call's facts (which argument was changed in
# place), nothing the submission wrote: said in full from ``hints`` up.
GRADER_WORDED_KINDS = frozenset({"modified_input"})


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
                       visibility: str = "visible", disclose: str = DEFAULT_DISCLOSURE,
                       lang: str = DEFAULT_LANG) -> dict:
    """Gradescope's results.json content for one submission.

    ``visibility`` applies to the overall result and to every test the disclosure level
    ``disclose`` lists (Gradescope's values: visible, after_published, after_due_date,
    hidden); ``disclose`` and ``lang`` decide what each test's ``output`` says
    (``autograder.grading.policy``). Tests come in lecture order (the contract's module
    order). What only the instructor needs (the isolation level and its sandbox, the
    grader's own errors) goes into ``extra_data``, never into the student's text.
    """
    records = sorted(raw.get("tests", []), key=lambda r: _module_rank(r.get("module", "")))
    tests = [_gradescope_test(i, record, visibility, disclose, lang)
             for i, record in enumerate(records, 1)]
    output_lines = [say("output.submission", lang, name=staged.name)]
    output_lines += [say("output.note", lang, note=note) for note in staged.notes]
    missing = [m for m in MODULES if m not in staged.modules]
    if missing and staged.modules:
        output_lines.append(say("output.not_submitted", lang,
                                files=", ".join(f"{m}.py" for m in missing)))
    elif not staged.modules and not raw.get("grader_error"):
        output_lines.append(say("output.no_modules", lang))
    if raw.get("stopped"):
        output_lines.append(say("output.note", lang, note=raw["stopped"]))
    output_lines += [say("output.note", lang, note=note_text(note, lang))
                     for record in raw.get("tests", []) for note in record.get("notes", ())]
    if raw.get("grader_error"):
        output_lines.append(say("output.grader_error", lang))
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
            "disclose": disclose,
            "lang": lang,
        },
    })


def note_text(note: Any, lang: str = DEFAULT_LANG) -> str:
    """A test record's note in ``lang``: a call retried after an outside signal (data:
    ``{"key": "retried", "label", "signal", "status"}``, see ``plugin._new_retry_notes``),
    or a text as it came."""
    if not isinstance(note, dict) or note.get("key") != "retried":
        return str(note)
    signal, status = note.get("signal", ""), note.get("status")
    how = (say("output.killed_status", lang, status=status, signal=signal)
           if status else say("output.killed_by", lang, signal=signal))
    return say("output.retried", lang, label=note.get("label", ""), how=how)


def _module_rank(module: str) -> int:
    return MODULES.index(module) if module in MODULES else len(MODULES)


def _gradescope_test(number: int, record: dict, visibility: str, disclose: str,
                     lang: str) -> dict:
    module = record["module"]
    functions = [f"{module}.{name}" for name in record["functions"]]
    title = title_for(record, lang)
    passed = record["passed"]
    listed = discloses(disclose, "names")
    return {
        "name": f"{module}: {title}",
        "number": str(number),
        "score": record["points"] if passed else 0.0,
        "max_score": record["points"],
        "status": "passed" if passed else "failed",
        "output": "\n".join([*([] if passed or not listed
                                 else [test_output(record, disclose, lang)]),
                              *(note_text(note, lang) for note in record.get("notes", ()))]),
        "output_format": "text",
        "visibility": visibility if listed else "hidden",
        "tags": [module, *functions],
        # For the instructor's tools (class report): which mistake was diagnosed, whatever
        # the students are shown.
        "extra_data": {"kind": record["kind"], "nodeid": record["nodeid"],
                       "duration": record["duration"], "module": module,
                       "functions": list(record["functions"]),
                       "mistake": record.get("mistake")},
    }


def test_output(record: dict, disclose: str, lang: str = DEFAULT_LANG) -> str:
    """What a failed test says to the student at disclosure level ``disclose``."""
    kind = record["kind"]
    full = (kind in INPUT_FREE_KINDS or discloses(disclose, "values")
            or (kind in GRADER_WORDED_KINDS and discloses(disclose, "hints")))
    lines = [record["message"].strip()] if full else []
    if not (full and kind == "wrong_answer"):  # the message says it already
        key = f"kind.{kind}"
        lines.append(say(key, lang) if key in catalogue(lang) else kind.replace("_", " "))
    hinted = full and "Hint:" in record["message"]  # a suite's own hint, shown above
    if kind == "wrong_answer" and discloses(disclose, "hints") and not hinted:
        lines += _hints(record, lang)[:1]
    if kind == "wrong_answer" and not full:
        lines.append(say("test.values_hidden", lang))
    return "\n".join(line for line in lines if line)


def _hints(record: dict, lang: str) -> list[str]:
    """The diagnosed mistake's hint, else the function's own hint."""
    if record.get("mistake"):
        return [say("test.mistake", lang, mistake=mistake_hint(record["mistake"], lang))]
    return [say("test.function_hint", lang, hint=hint) for f in record["functions"]
            if (hint := function_hint(record["module"], f))]


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
    """A student-readable report, in the language and at the disclosure level the results
    were made with: scores per module, the modules not handed in (one line each), then
    each failed test, in lecture order, with what its results.json ``output`` says."""
    results = clean_tree(results)
    extra = results.get("extra_data") or {}
    lang = extra.get("lang") or DEFAULT_LANG
    tests = results["tests"]
    max_score = sum(t["max_score"] for t in tests)
    if tests:
        score_line = say("feedback.score", lang, score=_fmt(results["score"]),
                         max=_fmt(max_score))
    else:
        score_line = say("feedback.score_none", lang)
    # Everything below that is not a number or a test title comes from the submission or
    # its run, so it is shown inside code fences, never as Markdown.
    lines = [f"# {say('feedback.title', lang)}", "", f"**{score_line}**", "",
             *markdown_code(results["output"]), ""]
    lines += [say("feedback.table_header", lang), "|---|---:|---:|"]
    scores = module_scores(results)
    lines += [f"| {m} | {_fmt(s)} | {_fmt(mx)} |" for m, (s, mx) in scores.items() if mx > 0]
    missing = _missing_modules(tests)
    failed = sorted((t for t in tests if t["status"] != "passed"
                     and t["tags"][0] not in missing), key=lambda t: _module_rank(t["tags"][0]))
    lines += [""] + [say("feedback.not_submitted", lang, module=m, points=_fmt(scores[m][1]))
                     for m in missing] if missing else []
    if not tests:
        lines += ["", say("feedback.no_test_grader" if extra.get("grader_error")
                          else "feedback.no_test", lang)]
    elif not failed and not missing:
        lines += ["", say("feedback.all_passed", lang)]
    elif not discloses(extra.get("disclose") or DEFAULT_DISCLOSURE, "names"):
        lines += ["", say("feedback.scores_only", lang)]
    elif failed:
        lines += ["", f"## {say('feedback.to_fix', lang, count=len(failed))}"]
        for test in failed:
            functions = ", ".join(f"`{tag}`" for tag in test["tags"][1:])
            lines += ["", f"### {_md_inline(test['name'])} "
                      f"({_fmt(test['score'])} / {_fmt(test['max_score'])})",
                      say("feedback.functions", lang, functions=functions), "",
                      *markdown_code(test["output"].strip())]
    return "\n".join(lines) + "\n"


def _missing_modules(tests: list[dict]) -> list[str]:
    """Modules every test of which failed because the file was not handed in."""
    by_module: dict[str, list[dict]] = defaultdict(list)
    for test in tests:
        by_module[test["tags"][0]].append(test)
    return [m for m in sorted(by_module, key=_module_rank)
            if all((t.get("extra_data") or {}).get("kind") == "missing_module"
                   for t in by_module[m])]


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
    """A row per submission: its name, one column per module, the total and the maximum,
    its status, and, when the run knows it, when it came in and what that cost
    (``LATE_COLUMNS``)."""
    handle = io.StringIO()
    writer = csv.writer(handle)
    # Only a run that knows when submissions came in (the nbgrader path) has the columns.
    late_known = any("late" in sub.results["extra_data"] for sub in submissions)
    late_columns = LATE_COLUMNS if late_known else ()
    writer.writerow(["submission", *MODULES, "total", "max_score", "status", *late_columns])
    for sub in submissions:
        scores = module_scores(sub.results)
        extra = sub.results["extra_data"]
        status = ("grader_error" if extra.get("grader_error")
                  else "stopped" if extra.get("stopped") else "graded")
        writer.writerow([csv_cell(clean_text(sub.name)), *(_fmt(scores[m][0]) for m in MODULES),
                         _fmt(sub.score), _fmt(sub.max_score), status,
                         *(_late_cells(extra) if late_known else ())])
    write_private(path, handle.getvalue())


# When a submission came in and what that cost (nbgrader's timestamp.txt against the due
# date, extra_data["late"]): ISO 8601 UTC or empty; seconds past the due date, 0 when on
# time; points the course's late-submission policy deducts from ``total``.
LATE_COLUMNS = ("timestamp", "late_seconds", "late_penalty")


def _late_cells(extra: dict) -> list[str]:
    late = extra.get("late") if isinstance(extra.get("late"), dict) else {}
    return [csv_cell(str(late.get("timestamp") or "")),
            _exact(late.get("late_seconds") or 0), _exact(late.get("late_penalty") or 0)]


def _exact(value: float) -> str:
    """A number in full (``:g`` would write 1.23457e+06 seconds)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


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
