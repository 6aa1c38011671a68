"""Figures for `dltips report`, printed (never asserted):

1. the similarity check on a class of N submissions (default 200; target: under 30 s on
   the 2-core machine), each its own synthetic variant of the reference or the independent
   implementation, with a few planted disguised copies that must be the only flags;
2. the report of a synthetic graded class of M students (default 500): build time, page
   size, and load and full-page screenshot time in headless Chromium (Playwright);
3. with --screenshot PATH: the top of a 60-student report as a PNG (the README's picture).

    python benchmarks/bench_report.py [--similarity 200] [--students 500] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from helpers_browser import browser_page, load  # noqa: E402
from helpers_report import synthetic_class  # noqa: E402
from helpers_similarity import independent_variant, write_disguised  # noqa: E402

from autograder.classreport import similarity  # noqa: E402
from autograder.classreport.build import ReportOptions, build_report  # noqa: E402

PLANTED = 5  # disguised copies in the similarity class


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the forked workers): a figure
    a loaded machine does not inflate as it does wall time."""
    own, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                      resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench_similarity(students: int, jobs: int, work: Path) -> None:
    sources = {f"s{i:03d}": independent_variant(i, work / f"s{i:03d}", bases=("solutions",))
               for i in range(students - PLANTED)}
    planted = set()
    for n in range(PLANTED):
        original = f"s{7 * n:03d}"
        copy = f"copy{n}_of_{original}"
        sources[copy] = write_disguised(sources[original], work / copy, seed=n)
        planted.add((copy, original))
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    boilerplate = similarity.boilerplate_hashes(similarity.boilerplate_sources(), 25)
    prepared = time.perf_counter() - started
    outcome = similarity.find_similar_submissions(sources, boilerplate, jobs=jobs)
    total = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    flagged = {(p.a, p.b) for p in outcome.pairs}
    n = len(outcome.compared)
    print(f"similarity, {students} submissions, jobs={jobs}: {total:.1f} s in all, "
          f"{cpu:.1f} s of CPU (this process and its workers: on {jobs} idle cores about "
          f"{cpu / jobs:.0f} s) "
          f"(boilerplate {prepared:.1f} s), {n * (n - 1) // 2} pairs, {outcome.candidate_pairs} "
          f"scored in full; flagged {len(flagged)}, of them planted "
          f"{len(flagged & planted)}/{len(planted)}; load average {loadavg()}")


def bench_page(students: int, work: Path) -> None:
    synthetic_class(work / "graded", students, seed=1, late=True)
    started = time.perf_counter()
    page_path = build_report(work / "graded", ReportOptions(similarity=False))
    built = time.perf_counter() - started
    size = page_path.stat().st_size
    csv_size = sum(p.stat().st_size for p in page_path.parent.glob("*.csv"))
    with browser_page() as page:
        load(page, page_path)  # warm the browser once
        loads = [load(page, page_path) for _ in range(3)]
        started = time.perf_counter()
        page.screenshot(path=str(work / "full.png"), full_page=True)
        shot = time.perf_counter() - started
        height = page.evaluate("document.documentElement.scrollHeight")
    errors = sum(len(r.console) + len(r.failed) for r in loads)
    best = min(loads, key=lambda r: r.seconds)
    print(f"report, {students} students: built in {built:.1f} s; report.html "
          f"{size / 1024:.0f} KiB (CSV files {csv_size / 1024:.0f} KiB); Chromium load "
          f"{best.seconds * 1000:.0f} ms (loadEventEnd {best.load_event_ms:.0f} ms, best of "
          f"3), full-page screenshot {shot:.1f} s, page height {height} px, console "
          f"messages {errors}; load average {loadavg()}")


def screenshot(path: Path, work: Path) -> None:
    from PIL import Image

    sources = {f"student{i:03d}": independent_variant(i, work / "subs" / f"student{i:03d}")
               for i in range(6)}
    sources["student006"] = write_disguised(sources["student003"], work / "subs" / "c", 2)
    synthetic_class(work / "graded", 60, seed=4, late=True, sources=sources)
    page_path = build_report(work / "graded", ReportOptions())
    with browser_page(width=1100, height=1500) as page:
        load(page, page_path)
        page.screenshot(path=str(work / "top.png"))
    image = Image.open(work / "top.png").convert("RGB")
    image = image.resize((image.width * 2 // 3, image.height * 2 // 3), Image.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    # An octree palette keeps the small red median line (an adaptive one loses it).
    image.quantize(128, method=Image.Quantize.FASTOCTREE).save(path, optimize=True)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--similarity", type=int, default=200, help="submissions (0: skip)")
    parser.add_argument("--students", type=int, default=500, help="graded students (0: skip)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--screenshot", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as work:
        work = Path(work)
        if args.screenshot:
            screenshot(args.screenshot, work / "shot")
        if args.similarity:
            bench_similarity(args.similarity, args.jobs, work / "sim")
        if args.students:
            bench_page(args.students, work / "page")


if __name__ == "__main__":
    main()
