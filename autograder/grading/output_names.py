"""The names of the per-submission folders in a grading output directory.

A submission's folder sits beside the class outputs (``grades.csv``, ``summary.png``, the
class report...), and its name comes from hostile text: a folder or zip name, or an
nbgrader student id. The rule: a folder name is

- safe: no path separators, control or invisible characters, no leading dot, no leading
  or trailing spaces, never empty, at most 120 characters;
- unique, compared case-insensitively (a second ``alice`` or ``Alice`` becomes
  ``alice-2``), so that two submissions never share a folder, even on a case-insensitive
  file system;
- never a class output's: a name is reserved when the part before its first dot is one of
  ``RESERVED_STEMS`` (``grades.csv``, ``summary.png``, ``report``, ``report.html`` and
  any future ``grades.*``...) or when it starts with one of ``RESERVED_PREFIXES``
  (``class-*``: ``class-report``, ``dltips report``'s folder; ``similarity*``),
  case-insensitively; such a submission's folder gets a leading underscore
  (``_grades.csv``, ``_report``). Class outputs keep to these names and never start with
  an underscore (a test checks ``report.CLASS_FILES``).
"""

from __future__ import annotations

from collections.abc import Iterable

RESERVED_STEMS = ("grades", "summary", "report")
RESERVED_PREFIXES = ("class-", "similarity")
MAX_LENGTH = 120


def safe_name(raw: str) -> str:
    """A folder name that stays inside the output directory: no separators, no control or
    invisible characters, no leading dot ('..', '.git'), no outer spaces, never empty."""
    cleaned = "".join(c if c.isprintable() and c not in '/\\:' and not c.isspace() or c == " "
                      else "_" for c in raw).strip()
    cleaned = cleaned.lstrip(".").strip() or "submission"
    return cleaned[:MAX_LENGTH].strip()


def is_reserved(name: str) -> bool:
    """Whether ``name`` is, or could be, the name of a class output."""
    folded = name.casefold()
    return (folded.split(".", 1)[0] in RESERVED_STEMS
            or folded.startswith(RESERVED_PREFIXES))


def folder_names(labels: Iterable[str]) -> list[str]:
    """One folder name per label, in order: safe, never reserved (a leading underscore
    added), unique case-insensitively (``-2``, ``-3``... added)."""
    taken: set[str] = set()
    names = []
    for label in labels:
        base = safe_name(label)
        base = f"_{base}"[:MAX_LENGTH] if is_reserved(base) else base
        name, number = base, 1
        while name.casefold() in taken:
            number += 1
            name = f"{base}-{number}"
        taken.add(name.casefold())
        names.append(name)
    return names
