"""``dltips report``: a graded folder in, ``report.html`` and one CSV per table out.

The output folder defaults to ``<graded>/class-report/`` (a name ``dltips grade`` never
gives a submission's folder); links to each student's ``feedback.md`` are relative, so
the graded folder can be moved or zipped whole. Files are owner-only, as every grading
output.
"""

from __future__ import annotations

import html
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from autograder.classreport import figures, statistics
from autograder.classreport.graded import GradedClass, Student, load_class
from autograder.classreport.page import Section, data_uri, render, similarity_block, table_block
from autograder.classreport.similarity import (
    Outcome,
    Settings,
    boilerplate_hashes,
    boilerplate_sources,
    find_similar_submissions,
)
from autograder.classreport.tables import Link, Table
from autograder.course.contract import MODULES
from autograder.grading.report import REPORT_DIR, private_dir, write_private

REPORT_HTML = "report.html"
MAX_LINKS = 8           # feedback links per mistake on the page (all of them in the CSV)


@dataclass(frozen=True)
class ReportOptions:
    out_dir: Path | None = None          # default: <graded>/class-report
    submissions: Path | None = None      # where <name> or <name>.zip are; default: recorded
    similarity: bool = True
    settings: Settings = Settings()
    jobs: int = 1


def build_report(graded_dir: Path, options: ReportOptions = ReportOptions()) -> Path:
    """Write report.html and its CSV files; return the page's path."""
    graded = load_class(Path(graded_dir))
    out_dir = private_dir(Path(options.out_dir or Path(graded_dir) / REPORT_DIR))
    outcome, why_not = _similarity(graded, options)
    tables = _tables(graded, out_dir, outcome)
    for table in tables.values():
        write_private(out_dir / table.csv_name, table.csv())
    page = render("Class report: Keras Application & Tips (1)", _lead(graded),
                  _cards(graded, outcome), _sections(graded, tables, outcome, why_not))
    path = out_dir / REPORT_HTML
    write_private(path, page)
    return path


# ---------------------------------------------------------------------------------------
# Similarity input
# ---------------------------------------------------------------------------------------


def _similarity(graded: GradedClass, options: ReportOptions) -> tuple[Outcome | None, str]:
    if not options.similarity:
        return None, "turned off (--no-similarity)."
    if importlib.util.find_spec("copydetect") is None:
        return None, ("copydetect is not installed: pip install 'dltips[report]' "
                      "(or run with --no-similarity).")
    sources, missing = {}, []
    for student in graded.students:
        source = _source_of(student, options.submissions)
        if source is None:
            missing.append(student.name)
        else:
            sources[student.name] = source
    if not sources:
        recorded = [s.source for s in graded.students if s.source]
        if options.submissions is None and recorded:
            return None, (f"the submissions are no longer where grading read them (e.g. "
                          f"{recorded[0]}); give their folder with --submissions DIR.")
        return None, ("no submission found: give their folder with --submissions DIR "
                      "(each as <name> or <name>.zip).")
    try:
        boilerplate = boilerplate_hashes(boilerplate_sources(), options.settings.k)
    except FileNotFoundError as error:
        return None, str(error)
    missing_notes = ([f"not found ({len(missing)}): {', '.join(missing)}"] if missing else [])
    return find_similar_submissions(sources, boilerplate, options.settings, options.jobs,
                                    missing_notes), ""


def _source_of(student: Student, submissions: Path | None) -> Path | None:
    if submissions is not None:
        for candidate in (submissions / student.name, submissions / f"{student.name}.zip"):
            if candidate.exists() or candidate.is_symlink():
                return candidate
        return None
    if student.source and Path(student.source).exists():
        return Path(student.source)
    return None


# ---------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------


def _feedback_link(student: Student, out_dir: Path) -> Link:
    target = os.path.relpath(student.folder / "feedback.md", out_dir)
    return Link(student.name, Path(target).as_posix())


def _tables(graded: GradedClass, out_dir: Path, outcome: Outcome | None) -> dict[str, Table]:
    students = graded.students
    links = {s.name: _feedback_link(s, out_dir) for s in students}
    tables = {
        "students": _students_table(students, links),
        "functions": Table("functions", ["function", "passed", "students", "pass rate"],
                           [[r.function, r.passed, r.students, f"{r.passed / r.students:.0%}"]
                            for r in statistics.function_rates(students)],
                           frozenset({"passed", "students", "pass rate"})),
        "mistakes": _mistakes_table(students, links),
        "failure_kinds": Table("failure_kinds", ["kind", "students", "tests"],
                               [list(row) for row in statistics.failure_kinds(students)],
                               frozenset({"students", "tests"})),
        "tests": Table("tests", ["test", "module", "points", "difficulty",
                                 "discrimination", "students"],
                       [[i.title, i.module, i.max_score, round(i.difficulty, 3),
                         None if i.discrimination is None else round(i.discrimination, 3),
                         i.students] for i in statistics.item_analysis(students)],
                       frozenset({"points", "difficulty", "discrimination", "students"})),
        "late": Table("late", ["student", "timestamp", "late (s)", "penalty"],
                      [[links[s.name], s.late.get("timestamp", ""), s.late.get("late_seconds"),
                        s.late.get("late_penalty")] for s in students if _is_late(s)],
                      frozenset({"late (s)", "penalty"})),
    }
    if outcome is not None:
        tables["similarity"] = Table(
            "similarity", ["submission A", "submission B", "score", "share of A",
                           "share of B", "shared tokens"],
            [[links.get(p.a, p.a), links.get(p.b, p.b), f"{p.score:.0%}",
              f"{p.similarity_a:.0%}", f"{p.similarity_b:.0%}", p.overlap]
             for p in outcome.pairs],
            frozenset({"score", "share of A", "share of B", "shared tokens"}))
    return tables


def _students_table(students: list[Student], links: dict[str, Link]) -> Table:
    modules = [m for m in MODULES if any(t.module == m for s in students for t in s.tests)]
    rows = []
    for s in sorted(students, key=lambda s: (-s.percent, s.name)):
        per_module = {m: sum(t.score for t in s.tests if t.module == m) for m in modules}
        rows.append([links[s.name], round(s.score, 2), round(s.max_score, 2),
                     f"{s.percent:.0f} %", *(round(per_module[m], 2) for m in modules),
                     s.status, s.late.get("late_seconds", "")])
    return Table("students", ["student", "score", "max", "%", *modules, "status", "late (s)"],
                 rows, frozenset({"score", "max", "%", *modules, "late (s)"}))


def _mistakes_table(students: list[Student], links: dict[str, Link]) -> Table:
    rows = []
    for m in statistics.mistakes(students):
        shown = [links[n] for n in m.students[:MAX_LINKS]]
        rest = len(m.students) - len(shown)
        rows.append([m.function, m.description, len(m.students), m.hint,
                     shown + ([Link(f"+{rest} more: see mistakes.csv", "mistakes.csv")]
                              if rest else [])])
    table = Table("mistakes", ["function", "diagnosed mistake", "students", "hint they saw",
                               "their feedback"], rows, frozenset({"students"}))
    # The CSV names every student (the page links the first MAX_LINKS).
    table.csv_rows = [[m.function, m.description, len(m.students), m.hint,
                       "; ".join(m.students)] for m in statistics.mistakes(students)]
    return table


def _is_late(student: Student) -> bool:
    try:
        return float(student.late.get("late_seconds") or 0) > 0
    except ValueError:
        return bool(student.late.get("late_seconds"))


# ---------------------------------------------------------------------------------------
# Page
# ---------------------------------------------------------------------------------------


def _lead(graded: GradedClass) -> str:
    text = (f"Graded folder: <code>{html.escape(str(graded.directory))}</code>. "
            "Students' names link to the feedback each of them received.")
    if graded.notes:
        text += ('<br><span class="warn">Left out: '
                 f"{html.escape('; '.join(graded.notes))}</span>")
    return text


def _cards(graded: GradedClass, outcome: Outcome | None) -> list[tuple[str, str]]:
    summary = statistics.score_summary(graded.students)
    cards = [("students", str(summary["students"]))]
    if summary["students"]:
        cards += [("mean", f"{summary['mean']:.0f} %"), ("median", f"{summary['median']:.0f} %"),
                  ("lowest", f"{summary['min']:.0f} %"), ("highest", f"{summary['max']:.0f} %")]
    errors = sum(s.status != "graded" for s in graded.students)
    if errors:
        cards.append(("grader errors / stopped", str(errors)))
    if outcome is not None:
        cards.append(("similar pairs", str(len(outcome.pairs))))
    return cards


def _sections(graded: GradedClass, tables: dict[str, Table], outcome: Outcome | None,
              why_not: str) -> list[Section]:
    students = graded.students
    rates = statistics.function_rates(students)
    items = statistics.item_analysis(students)
    sections = [
        Section("scores", "Score distribution",
                data_uri(figures.score_histogram([s.percent for s in students]),
                         "histogram of the students' scores")
                + table_block(_limited(tables["students"], 60), "Every student, best first.")),
        Section("functions", "Pass rate per function",
                (data_uri(figures.pass_rate_bars(rates), "pass rate per function")
                 if rates else "")
                + table_block(tables["functions"], "In lecture order (the contract's). A "
                              "function passes for a student when every hidden test of it "
                              "passed.", folded=f"The {len(rates)} functions as a table")),
        Section("mistakes", "Commonest diagnosed mistakes",
                table_block(_limited(tables["mistakes"], 30),
                            "A wrong answer that matches a modelled mistake (the same "
                            "numbers as a typical wrong implementation) is diagnosed; each "
                            "student counts once per mistake.")
                + table_block(tables["failure_kinds"], "Every failed test by kind.")),
        Section("items", "Item analysis of the hidden tests",
                (data_uri(figures.item_map(items), "difficulty against discrimination")
                 if items else "")
                + table_block(tables["tests"], _ITEM_TEXT,
                              folded=f"The {len(items)} hidden tests as a table")),
        Section("late", "Late submissions", _late_body(graded, tables["late"])),
        Section("similarity", "Similar submissions",
                similarity_block(outcome, why_not, tables.get("similarity"))),
    ]
    return sections


_ITEM_TEXT = ("<b>Difficulty</b> p is the mean fraction of the test's points the class "
              "earned (1: everyone passed). <b>Discrimination</b> is the corrected "
              "item-total correlation: Pearson's r between the test's score and each "
              "student's total <i>without</i> that test (for a pass/fail test, the "
              "point-biserial correlation). Near 0 or negative: the test does not separate "
              "strong from weak submissions; &mdash;: everyone scored the same on it. "
              "Students the grader failed on are left out.")


def _late_body(graded: GradedClass, table: Table) -> str:
    if not graded.has_late_columns:
        return "<p>None recorded: grades.csv has no submission times (the nbgrader path " \
               "adds <code>timestamp</code>, <code>late_seconds</code>, " \
               "<code>late_penalty</code>).</p>" + table_block(table)
    if not table.rows:
        return "<p>No late submission.</p>" + table_block(table)
    return table_block(table, f"{len(table.rows)} late submissions.")


def _limited(table: Table, rows: int) -> Table:
    table.max_html_rows = rows
    return table
