"""The similarity check, both sides: disguised copies are flagged; independent correct
implementations of the same functions, the stubs and the reference are not. It never
changes a grade."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest
from helpers_report import synthetic_class
from helpers_similarity import disguise, independent_variant, write_disguised

from autograder.classreport import similarity
from autograder.classreport.build import ReportOptions, build_report
from autograder.course.contract import REPO_ROOT

SOLUTIONS, INDEPENDENT = REPO_ROOT / "solutions", REPO_ROOT / "tests" / "independent"
STUBS = REPO_ROOT / "assignments"


@pytest.fixture(scope="module")
def default_boilerplate():
    return similarity.boilerplate_hashes(similarity.boilerplate_sources(), similarity.Settings().k)


def _documents(folders: dict[str, Path]) -> dict[str, str]:
    return {name: similarity.document(similarity.read_modules(folder))
            for name, folder in folders.items()}


def test_the_disguise_really_changes_the_text(tmp_path):
    copy = write_disguised(INDEPENDENT, tmp_path / "copy", seed=7)
    original = (INDEPENDENT / "optimizers.py").read_text()
    disguised = (copy / "optimizers.py").read_text()
    assert disguised != original
    names = [line.split("(")[0] for line in disguised.splitlines() if line.startswith("def ")]
    assert names != [line.split("(")[0] for line in original.splitlines()
                     if line.startswith("def ")]  # the functions are in another order
    assert len(set(disguised.split()) - set(original.split())) > 50  # renamed locals


def test_copies_with_renamed_variables_and_reordered_functions_are_flagged(
        tmp_path, default_boilerplate):
    documents = _documents({"original": INDEPENDENT,
                            "copy": write_disguised(INDEPENDENT, tmp_path / "c", seed=1),
                            "reference": SOLUTIONS})
    outcome = similarity.find_similar(documents, default_boilerplate)
    assert [(p.a, p.b) for p in outcome.pairs] == [("copy", "original")]
    pair = outcome.pairs[0]
    assert pair.similarity_a > 0.85 and pair.similarity_b > 0.85
    assert "<mark>" in pair.html_a and "<mark>" in pair.html_b


def test_one_copied_module_is_flagged(tmp_path, default_boilerplate):
    """A student who handed in only a disguised copy of another's optimizers."""
    mine = independent_variant(11, tmp_path / "mine")
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "optimizers.py").write_text(disguise((mine / "optimizers.py").read_text(), 3))
    folders = {"mine": mine, "partial": partial,
               "other": independent_variant(13, tmp_path / "other")}
    outcome = similarity.find_similar(_documents(folders), default_boilerplate)
    assert [(p.a, p.b) for p in outcome.pairs] == [("mine", "partial")]
    assert outcome.pairs[0].similarity_b > 0.85  # nearly all of partial's code is mine's
    assert outcome.pairs[0].similarity_a < 0.5   # a small part of mine's


def test_independent_implementations_are_not_flagged():
    """The reference and tests/independent (written apart from the contract) are scored
    with only the stubs as boilerplate: with the reference as boilerplate too, the
    reference itself would have nothing left to compare and the test would prove nothing."""
    stubs_only = similarity.boilerplate_hashes(similarity.read_modules(STUBS).values(), 25)
    outcome = similarity.find_similar(_documents({"reference": SOLUTIONS,
                                                  "independent": INDEPENDENT}), stubs_only)
    assert outcome.compared == ["independent", "reference"]
    assert outcome.pairs == []
    prints = similarity.fingerprints(_documents({"reference": SOLUTIONS,
                                                 "independent": INDEPENDENT}),
                                     stubs_only, similarity.Settings())
    from copydetect import compare_files

    _, (share_a, share_b), _ = compare_files(prints["reference"], prints["independent"])
    assert max(share_a, share_b) < similarity.Settings().threshold / 1.5


def test_independent_variants_of_a_class_are_not_flagged(tmp_path, default_boilerplate):
    folders = {f"s{i}": independent_variant(i, tmp_path / f"s{i}") for i in range(6)}
    outcome = similarity.find_similar(_documents(folders), default_boilerplate)
    assert len(outcome.compared) == 6 and outcome.pairs == []


def test_the_reference_and_the_stubs_are_boilerplate(default_boilerplate):
    outcome = similarity.find_similar(_documents({"reference": SOLUTIONS, "stubs": STUBS,
                                                  "independent": INDEPENDENT}),
                                      default_boilerplate)
    assert outcome.too_small == ["reference", "stubs"]
    assert outcome.pairs == []


def test_docstrings_are_not_compared():
    code = 'def f(x):\n    """A long docstring every stub has."""\n    # a comment\n    return x\n'
    assert similarity.without_docstrings(code) == "def f(x):\n    return x"
    assert similarity.without_docstrings("def broken(:\n") == "def broken(:\n"


def test_forked_fingerprinting_gives_the_same_pairs(tmp_path, default_boilerplate):
    folders = {f"s{i}": independent_variant(i, tmp_path / f"s{i}") for i in range(3)}
    folders["copy"] = write_disguised(folders["s0"], tmp_path / "copy", seed=5)
    documents = _documents(folders)
    one = similarity.find_similar(documents, default_boilerplate, jobs=1)
    two = similarity.find_similar(documents, default_boilerplate, jobs=2)
    assert [(p.a, p.b, p.overlap) for p in one.pairs] == [(p.a, p.b, p.overlap)
                                                          for p in two.pairs] != []


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_report_shows_pairs_side_by_side_and_never_changes_a_grade(tmp_path):
    subs = tmp_path / "submissions"
    sources = {f"student{i:03d}": independent_variant(i, subs / f"student{i:03d}")
               for i in range(5)}
    write_disguised(sources["student001"], subs / "student004", seed=9)  # 4 copied 1
    graded = tmp_path / "graded"
    synthetic_class(graded, 5, seed=0, sources=sources)
    before = _digest(graded)
    page = build_report(graded, ReportOptions())
    after = _digest(graded)
    assert {k: v for k, v in after.items() if not k.startswith("class-report")} == before
    with (page.parent / "similarity.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["submission A"], r["submission B"]) for r in rows] == [("student001",
                                                                       "student004")]
    html = page.read_text()
    assert '<div class="side">' in html and html.count("<mark>") > 5
    # --submissions finds them by name when results.json does not say where they were
    moved = tmp_path / "moved"
    shutil.move(str(subs), moved)
    page = build_report(graded, ReportOptions(out_dir=tmp_path / "r2", submissions=moved))
    assert "student001" in (page.parent / "similarity.csv").read_text()
    page = build_report(graded, ReportOptions(out_dir=tmp_path / "r3"))
    assert "no longer where grading read them" in page.read_text()
    (moved / "student002").rename(moved / "gone")
    page = build_report(graded, ReportOptions(out_dir=tmp_path / "r4", submissions=moved))
    assert "not found (1): student002" in page.read_text()
