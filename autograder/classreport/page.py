"""The report as one self-contained HTML page: inline CSS, figures as PNG data URIs, no
script, nothing fetched. Every string that can come from a submission (names, hints,
code) is escaped here or in ``tables``; the page's own words are English, for the
instructor.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from urllib.parse import quote

from autograder.classreport.similarity import Outcome
from autograder.classreport.tables import Table
from autograder.grading.report import clean_text

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
 margin:0;color:#1d1d1f;background:#fafafa}
main{max-width:1040px;margin:0 auto;padding:12px 20px 60px;background:#fff}
h1{font-size:26px;margin:10px 0 4px}h2{font-size:20px;margin:34px 0 8px;
 border-bottom:2px solid #4C72B0;padding-bottom:3px}
.lead{color:#555;margin:0 0 10px}
nav a{margin-right:14px}
.cards{display:flex;gap:10px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:6px 14px;min-width:90px}
.card b{display:block;font-size:22px}
img{max-width:100%;height:auto;display:block;margin:8px 0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:14px}
th,td{border-bottom:1px solid #e4e4e4;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f3f8;position:sticky;top:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:nth-child(even){background:#fbfbfd}
.csv{font-size:13px}.more,.note{color:#555;font-size:13px}
details{border:1px solid #ddd;border-radius:6px;margin:8px 0;padding:4px 10px}
summary{cursor:pointer;font-weight:600}
.side{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:10px}
.side pre{margin:0;overflow:auto;max-height:460px;background:#f6f8fa;padding:8px;
 font-size:12px;line-height:1.35;border-radius:4px}
mark{background:#ffe08a}
#table-mistakes td:last-child{min-width:250px}
#table-mistakes td:first-child{min-width:200px;max-width:230px;overflow-wrap:anywhere}
.warn{color:#8a1c1c}
"""


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    body: str                   # HTML, already escaped


def data_uri(png: bytes, alt: str) -> str:
    encoded = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt, quote=True)}" src="data:image/png;base64,{encoded}">'


def table_block(table: Table, caption: str = "", folded: str = "") -> str:
    """The table with its caption and CSV link; ``folded``: the summary line of a
    <details> the table sits in (for tables that repeat a figure's numbers)."""
    text = f"<p>{caption}</p>" if caption else ""
    block = (f'<div class="scroll">{table.html()}</div><p class="csv">CSV: '
             f'<a href="{quote(table.csv_name)}">{html.escape(table.csv_name)}</a></p>')
    if folded:
        block = f"<details><summary>{html.escape(folded)}</summary>{block}</details>"
    return text + block


def similarity_block(outcome: Outcome | None, why_not: str, table: Table | None) -> str:
    if outcome is None:
        return f"<p>Not run: {html.escape(why_not)}</p>"
    s = outcome.settings
    parts = [f"<p>{len(outcome.compared)} submissions compared pairwise "
             f"({len(outcome.compared) * (len(outcome.compared) - 1) // 2} pairs, "
             f"{outcome.candidate_pairs} scored in full after screening). A pair is flagged "
             f"when at least {s.threshold:.0%} of one submission's own code is found in the "
             f"other and they share at least {s.min_overlap} tokens. Excluded before "
             "comparing: docstrings, comments, the stubs and the reference solutions (code "
             "every correct answer shares). Identifiers are ignored, so renaming variables "
             "or reordering functions does not hide a copy. This never changes a grade: it "
             "tells you where to look.</p>"]
    if outcome.too_small:
        parts.append(f'<p class="note">Not compared (almost no code beyond the stubs and '
                     f"the reference): {html.escape(clean_text(', '.join(outcome.too_small)))}"
                     "</p>")
    if outcome.unreadable:
        parts.append('<p class="note warn">Could not be read: '
                     f"{html.escape(clean_text('; '.join(outcome.unreadable)))}</p>")
    if not outcome.pairs:
        parts.append("<p><b>No pair flagged.</b></p>")
        return "".join(parts)
    if table is not None:
        parts.append(table_block(table))
    for pair in outcome.pairs[:MAX_SIDE_BY_SIDE]:
        a, b = html.escape(clean_text(pair.a)), html.escape(clean_text(pair.b))
        parts.append(
            f"<details><summary>{a} &harr; {b}: {pair.score:.0%} "
            f"({pair.similarity_a:.0%} of {a}, {pair.similarity_b:.0%} of {b})</summary>"
            f'<p class="note">Shared code highlighted; code shown as compared (docstrings '
            f"and comments removed, layout normalized), unshared stretches shortened.</p>"
            f'<div class="side"><div><b>{a}</b><pre>{pair.html_a}</pre></div>'
            f"<div><b>{b}</b><pre>{pair.html_b}</pre></div></div></details>")
    if len(outcome.pairs) > MAX_SIDE_BY_SIDE:
        parts.append(f'<p class="more">Side by side for the first {MAX_SIDE_BY_SIDE} '
                     f"pairs; every pair is in the CSV.</p>")
    return "".join(parts)


MAX_SIDE_BY_SIDE = 25


def render(title: str, lead: str, cards: list[tuple[str, str]],
           sections: list[Section]) -> str:
    nav = "".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in sections)
    card_html = "".join(f'<div class="card">{html.escape(label)}<b>{html.escape(value)}</b>'
                        "</div>" for label, value in cards)
    body = "".join(f'<section id="{s.anchor}"><h2>{html.escape(s.title)}</h2>{s.body}'
                   "</section>" for s in sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body><main>"
            f"<h1>{html.escape(title)}</h1><p class=\"lead\">{lead}</p><nav>{nav}</nav>"
            f'<div class="cards">{card_html}</div>{body}</main></body></html>\n')
