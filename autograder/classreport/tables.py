"""A table, said once and written twice: as HTML in the page and as CSV beside it.

A cell is plain text or a number, or a ``Link`` (or a list of them). HTML escapes every
cell; CSV writes the text of each cell and quotes what a spreadsheet would read as a
formula (``report.csv_cell``). Cells come from submissions: never trusted as markup.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from autograder.grading.report import clean_text, csv_cell


@dataclass(frozen=True)
class Link:
    text: str
    href: str                  # a relative path, quoted here

    def html(self) -> str:
        return (f'<a href="{html.escape(quote(self.href), quote=True)}">'
                f"{html.escape(clean_text(self.text))}</a>")


@dataclass
class Table:
    name: str                  # the CSV file's stem
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    numeric: frozenset[str] = frozenset()  # columns aligned right
    max_html_rows: int | None = None       # the page shows the first rows; the CSV all
    csv_rows: list[list[Any]] | None = None  # when the CSV says more than the page

    @property
    def csv_name(self) -> str:
        return f"{self.name}.csv"

    def csv(self) -> str:
        handle = io.StringIO()
        writer = csv.writer(handle)
        writer.writerow(self.columns)
        for row in self.rows if self.csv_rows is None else self.csv_rows:
            writer.writerow([csv_cell(clean_text(_text(cell))) for cell in row])
        return handle.getvalue()

    def html(self) -> str:
        # Long module names break after their underscores rather than widen the table.
        head = "".join(f'<th{self._align(c)}>{html.escape(c).replace("_", "_<wbr>")}</th>'
                       for c in self.columns)
        shown = self.rows if self.max_html_rows is None else self.rows[: self.max_html_rows]
        body = "".join("<tr>" + "".join(f"<td{self._align(c)}>{_html(cell)}</td>"
                                        for c, cell in zip(self.columns, row, strict=True))
                       + "</tr>" for row in shown)
        more = ""
        if len(shown) < len(self.rows):
            more = (f'<p class="more">The first {len(shown)} of {len(self.rows)} rows; all of '
                    f'them in <a href="{quote(self.csv_name)}">{self.csv_name}</a>.</p>')
        return (f'<table id="table-{self.name}"><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>{more}")

    def _align(self, column: str) -> str:
        return ' class="num"' if column in self.numeric else ""


def _text(cell: Any) -> str:
    if isinstance(cell, Link):
        return cell.text
    if isinstance(cell, list):
        return "; ".join(_text(c) for c in cell)
    if cell is None:
        return ""
    if isinstance(cell, float):
        return f"{cell:.3g}" if abs(cell) < 1000 else f"{cell:.0f}"
    return str(cell)


def _html(cell: Any) -> str:
    if isinstance(cell, Link):
        return cell.html()
    if isinstance(cell, list):
        return ", ".join(_html(c) for c in cell)
    if cell is None:
        return "&mdash;"
    return html.escape(clean_text(_text(cell)))
