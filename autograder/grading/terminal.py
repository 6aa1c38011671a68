"""What the CLI prints: the class table of ``dltips grade`` and the report of ``dltips check``.

Both stay readable on an 80-column terminal: names may wrap or be shortened, but numbers
and the part of a message that says what failed are never cut (no ellipsis anywhere but
in a submission's name, which wraps instead).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from autograder.course.contract import MODULES
from autograder.grading.messages import DEFAULT_LANG, say

if TYPE_CHECKING:
    from autograder.grading.results import SubmissionResult

SHORT_NAMES = {"losses": "loss", "gradient_descent": "gd", "normalization": "norm",
               "regularization": "reg", "dropout": "drop", "optimizers": "optim",
               "batchnorm": "bn", "mnist_classifier": "mnist"}


# ---------------------------------------------------------------------------------------
# dltips check
# ---------------------------------------------------------------------------------------


def check_report(result: SubmissionResult) -> Group:
    """The check report: the total, then one line per module, and under a module that is
    started but not complete, its checks with what failed and the hint."""
    tests = result.results["tests"]
    lang = result.results["extra_data"].get("lang") or DEFAULT_LANG
    parts: list[RenderableType] = [
        Text(say("check.total", lang, score=f"{result.score:g}", max=f"{result.max_score:g}"),
             style="bold")]
    for module in [m for m in MODULES if any(t["tags"][0] == m for t in tests)]:
        mine = [t for t in tests if t["tags"][0] == module]
        parts.append(_module_line(module, mine, lang))
        if _status(mine) not in ("passed", "not_started"):
            parts.append(_check_lines(module, mine))
    error = result.results["extra_data"].get("grader_error")
    if error:
        parts.append(Text(say("check.grader_failed", lang, error=error), style="red",
                          overflow="fold"))
    return Group(*parts)


def _status(tests: list[dict]) -> str:
    if all(t["status"] == "passed" for t in tests):
        return "passed"
    if all(t["status"] != "passed" and t["extra_data"]["kind"] == "not_implemented"
           for t in tests):
        return "not_started"
    return "partial"


def _module_line(module: str, tests: list[dict], lang: str = DEFAULT_LANG) -> Table:
    score = sum(t["score"] for t in tests)
    maximum = sum(t["max_score"] for t in tests)
    failed = sum(t["status"] != "passed" for t in tests)
    status = _status(tests)
    text = {"passed": Text(say("check.all_passed", lang), style="green"),
            "not_started": Text(say("check.not_started", lang), style="yellow")}.get(
        status, Text(say("check.some_failed", lang, failed=failed, total=len(tests)),
                     style="red"))
    grid = Table.grid(padding=(0, 1))
    grid.add_column(min_width=16, no_wrap=True)
    grid.add_column(justify="right", min_width=7, no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(Text(module, style="bold"), f"{score:g}/{maximum:g}", text)
    return grid


def _check_lines(module: str, tests: list[dict]) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(min_width=3, justify="right", no_wrap=True)  # the mark, indented
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(overflow="fold")
    for test in tests:
        title = test["name"].removeprefix(f"{module}: ")
        points = f"{test['score']:g}/{test['max_score']:g}"
        if test["status"] == "passed":
            grid.add_row(Text("✓", style="green"), points, Text(title))
            continue
        body = Text(title + "\n")
        body.append(test["output"].strip(), style="red")
        grid.add_row(Text("✗", style="bold red"), points, body)
    return grid


# ---------------------------------------------------------------------------------------
# dltips grade / demo
# ---------------------------------------------------------------------------------------


def class_table(results: list[SubmissionResult]) -> Table:
    """One row per submission; module columns show points, their maxima in the header.

    The score columns never shrink (their widths are those of their longest cell); the
    submission name takes what is left and wraps.
    """
    from autograder.grading.report import module_scores

    scores = {r.name: module_scores(r.results) for r in results}
    maxima = {m: max(s[m][1] for s in scores.values()) for m in MODULES}
    table = Table(title="Scores", padding=(0, 1))
    table.add_column("submission", style="bold", overflow="fold", min_width=10)
    cells = {r.name: [_cell(*scores[r.name][m]) for m in MODULES] for r in results}
    for i, module in enumerate(MODULES):
        head = f"{SHORT_NAMES[module]}\n/{maxima[module]:g}"
        table.add_column(head, justify="right", no_wrap=True,
                         min_width=_width([head, *(cells[r.name][i] for r in results)]))
    total_max = max(r.max_score for r in results)
    totals = {r.name: f"{r.score:g}" for r in results}
    total_head = f"total\n/{total_max:g}"
    table.add_column(total_head, justify="right", style="bold", no_wrap=True,
                     min_width=_width([total_head, *totals.values()]))
    for result in sorted(results, key=lambda r: r.name):
        name = escape(result.name)
        if result.results["extra_data"].get("grader_error"):
            name += " [red](grader error)[/]"
        table.add_row(name, *cells[result.name], totals[result.name])
    return table


def columns_legend() -> str:
    return "Columns: " + ", ".join(f"{v} = {k}" for k, v in SHORT_NAMES.items())


def _cell(score: float, maximum: float) -> str:
    if maximum == 0:
        return "-"
    color = "green" if score == maximum else "red" if score == 0 else "yellow"
    return f"[{color}]{score:g}[/]"


def _width(cells: list[str]) -> int:
    """The printed width of the widest cell (markup removed, lines apart)."""
    return max(len(line) for cell in cells for line in Text.from_markup(cell).plain.split("\n"))
