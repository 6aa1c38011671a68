"""Pairs of submissions whose code is unusually similar, found with ``copydetect``.

copydetect tokenizes each submission with Pygments, replaces every identifier by one
letter (so renaming variables changes nothing), fingerprints it by winnowing k-grams
(Schleimer, Wilkerson and Aiken, SIGMOD 2003: the order of functions does not matter), and
drops every fingerprint of the *boilerplate* it is given. Here the boilerplate is the
stubs handed out (``assignments/``) and the reference solutions (``solutions/``): code
every submission starts from, and code every correct answer is bound to share with the
reference. Docstrings and comments are removed before fingerprinting (``ast``), and each
pair's score is the share of a submission's remaining fingerprinted code found in the
other (copydetect's similarity), the larger of the two.

Fingerprinting, Pygments' lexing, is the cost; it runs in ``jobs`` forked processes.
Forked, not spawned: copydetect hashes k-grams with Python's ``hash``, whose seed a forked
child shares with its parent, so every fingerprint is comparable. Pairs are first screened
by the count of shared fingerprints (a set intersection), and only candidates are scored
in full.

The result is shown to the instructor; it never changes a grade.
"""

from __future__ import annotations

import ast
import io
import multiprocessing
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.course.contract import MODULES, REPO_ROOT
from autograder.grading.report import clean_text
from autograder.grading.staging import StagingError, stage

MAX_MODULE_CHARS = 200_000   # more is not hand-written: compared up to here
MIN_CODE_TOKENS = 150        # fingerprinted tokens a submission needs to be compared at all


@dataclass(frozen=True)
class Settings:
    threshold: float = 0.6   # flag a pair when one side has this share of its code in the other
    min_overlap: int = 150   # ... and at least this many shared tokens (after filtering)
    k: int = 25              # copydetect's noise threshold (its default)
    window: int = 1          # winnowing window (copydetect's default: every k-gram)


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    similarity_a: float      # share of a's fingerprinted code found in b
    similarity_b: float
    overlap: int             # shared tokens (after filtering)
    html_a: str              # a's code, escaped, the shared parts in <mark>
    html_b: str

    @property
    def score(self) -> float:
        return max(self.similarity_a, self.similarity_b)


@dataclass(frozen=True)
class Outcome:
    pairs: list[Pair]        # flagged, highest score first
    compared: list[str]      # submissions with enough code of their own to compare
    too_small: list[str]     # submissions left out: (almost) nothing beyond the boilerplate
    unreadable: list[str]    # "name: why"
    candidate_pairs: int     # pairs scored in full after the screening
    settings: Settings


# ---------------------------------------------------------------------------------------
# Code
# ---------------------------------------------------------------------------------------


def without_docstrings(text: str) -> str:
    """The code with docstrings and comments removed and its layout normalized (``ast``);
    code that does not parse is returned as it is (Pygments still tokenizes it)."""
    try:
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef)) and _starts_with_docstring(node.body):
                node.body = node.body[1:] or [ast.Pass()]
        return ast.unparse(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text


def _starts_with_docstring(body: list[ast.stmt]) -> bool:
    first = body[0] if body else None
    return (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str))


def document(modules: dict[str, str]) -> str:
    """One submission's modules, in lecture order, as the comparison sees them."""
    parts = []
    for module in MODULES:
        if module in modules:
            code = clean_text(without_docstrings(modules[module][:MAX_MODULE_CHARS]))
            parts.append(f"# ==== {module}.py ====\n{code}\n")
    return "\n".join(parts)


def read_modules(directory: Path) -> dict[str, str]:
    """module -> source text of the module files directly in ``directory``."""
    found = {}
    for module in MODULES:
        path = Path(directory) / f"{module}.py"
        if path.is_file() and not path.is_symlink():
            found[module] = path.read_text(encoding="utf-8", errors="replace")
    return found


def submission_modules(source: Path) -> dict[str, str]:
    """The module files of a submission (a folder or a .zip), read the way grading stages
    them: links never followed, sizes bounded. Raises StagingError, OSError."""
    with tempfile.TemporaryDirectory(prefix="dltips-similarity-") as scratch:
        staged = stage(Path(source), Path(scratch) / "s")
        return read_modules(staged.directory)


def boilerplate_sources(root: Path = REPO_ROOT) -> list[str]:
    """The stubs handed out and the reference solutions, one text per module file."""
    texts = []
    for folder in ("assignments", "solutions"):
        modules = read_modules(root / folder)
        # Each file alone, and all of them as one document: the fingerprints that span two
        # modules of a complete submission are boilerplate too.
        texts += [*modules.values(), document(modules)] if modules else []
    if not texts:
        raise FileNotFoundError(f"no stubs or solutions under {root}: the similarity check "
                                "needs the instructor's copy of the repository")
    return texts


# ---------------------------------------------------------------------------------------
# Fingerprints and pairs
# ---------------------------------------------------------------------------------------


def boilerplate_hashes(texts: Iterable[str], k: int) -> np.ndarray:
    """Every k-gram fingerprint of the boilerplate (no winnowing: all of them go)."""
    from copydetect.utils import filter_code, get_document_fingerprints

    hashes: set[int] = set()
    for text in texts:
        filtered, _ = filter_code(without_docstrings(text), "boilerplate.py", "python")
        hashes |= get_document_fingerprints(filtered, k, 1)[0]
    return np.array(sorted(hashes), dtype=np.int64)


_BOILERPLATE: np.ndarray | None = None
_SETTINGS: Settings | None = None


def _fingerprint(text: str):
    from copydetect import CodeFingerprint

    return CodeFingerprint("submission.py", _SETTINGS.k, _SETTINGS.window,
                           boilerplate=_BOILERPLATE, language="python", fp=io.StringIO(text))


def _fingerprint_source(item: tuple[str, Path]) -> tuple[str, object | None, str]:
    """(name, fingerprint or None, why not): one submission read and fingerprinted."""
    name, source = item
    try:
        return name, _fingerprint(document(submission_modules(source))), ""
    except (StagingError, OSError) as error:
        return name, None, f"{name}: {str(error)[:160]}"


def _map(function, items: list, jobs: int) -> list:
    """``function`` over ``items`` in ``jobs`` forked processes (they share the parent's
    hash seed, so their fingerprints are comparable), or here when one job is asked."""
    if jobs > 1 and len(items) > 1 and "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            return pool.map(function, items, chunksize=max(1, len(items) // (8 * jobs)))
    return [function(item) for item in items]


def fingerprints(documents: dict[str, str], boilerplate: np.ndarray, settings: Settings,
                 jobs: int = 1) -> dict[str, object]:
    """name -> copydetect CodeFingerprint of each document (name -> code)."""
    global _BOILERPLATE, _SETTINGS
    _BOILERPLATE, _SETTINGS = boilerplate, settings
    names = list(documents)
    prints = _map(_fingerprint, [documents[n] for n in names], jobs)
    return dict(zip(names, prints, strict=True))


def find_similar(documents: dict[str, str], boilerplate: np.ndarray,
                 settings: Settings = Settings(), jobs: int = 1,
                 unreadable: list[str] | None = None) -> Outcome:
    """Every pair of ``documents`` (name -> code) scored; the flagged ones returned."""
    prints = fingerprints(documents, boilerplate, settings, jobs)
    return _compare(prints, settings, list(unreadable or []))


def find_similar_submissions(sources: dict[str, Path], boilerplate: np.ndarray,
                             settings: Settings = Settings(), jobs: int = 1,
                             unreadable: list[str] | None = None) -> Outcome:
    """As ``find_similar``, for submissions (name -> folder or .zip); reading them is
    spread over the ``jobs`` processes too."""
    global _BOILERPLATE, _SETTINGS
    _BOILERPLATE, _SETTINGS = boilerplate, settings
    prints, problems = {}, list(unreadable or [])
    for name, fingerprint, problem in _map(_fingerprint_source, list(sources.items()), jobs):
        if fingerprint is None:
            problems.append(problem)
        else:
            prints[name] = fingerprint
    return _compare(prints, settings, problems)


def _compare(prints: dict[str, object], settings: Settings, unreadable: list[str]) -> Outcome:
    from copydetect import compare_files

    compared = sorted(n for n, p in prints.items() if p.token_coverage >= MIN_CODE_TOKENS)
    too_small = sorted(set(prints) - set(compared))
    pairs, candidates = [], 0
    # Screening: a pair whose shared fingerprints cannot reach the threshold on either side
    # is not scored in full. Plain ints hash faster than copydetect's numpy integers.
    hashes = {n: frozenset(int(h) for h in prints[n].hashes) for n in compared}
    for i, a in enumerate(compared):
        hashes_a = hashes[a]
        for b in compared[i + 1:]:
            shared = len(hashes_a & hashes[b])
            smaller = min(len(hashes_a), len(hashes[b]))
            if shared < settings.threshold * smaller / 2 or shared * settings.k < \
                    settings.min_overlap:
                continue
            candidates += 1
            pair = _scored_pair(a, b, prints[a], prints[b], compare_files)
            if pair.score >= settings.threshold and pair.overlap >= settings.min_overlap:
                pairs.append(pair)
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return Outcome(pairs, compared, too_small, unreadable, candidates, settings)


def _scored_pair(a: str, b: str, print_a, print_b, compare_files) -> Pair:
    from copydetect.utils import highlight_overlap

    overlap, (sim_a, sim_b), (slices_a, slices_b) = compare_files(print_a, print_b)
    html = [highlight_overlap(p.raw_code, s, "<mark>", "</mark>", truncate=4,
                              escape_html=True)[0] if overlap else ""
            for p, s in ((print_a, slices_a), (print_b, slices_b))]
    return Pair(a, b, float(sim_a), float(sim_b), int(overlap), html[0], html[1])
