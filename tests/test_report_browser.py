"""The class report in a real browser: Debian's Chromium, driven by Playwright. The page
loads with no console message and no request beyond itself, and its screenshot shows the
histogram and the tables. Slow (a browser start, a class graded synthetically)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers_browser import CHROMIUM, browser_page, load
from helpers_report import synthetic_class
from helpers_similarity import independent_variant, write_disguised
from PIL import Image

from autograder.classreport.build import ReportOptions, build_report

pytestmark = pytest.mark.slow

HISTOGRAM_BLUE = (0x4C, 0x72, 0xB0)
TABLE_HEADER = (0xF0, 0xF3, 0xF8)


@pytest.fixture(scope="module")
def page_path(tmp_path_factory) -> Path:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium package")
    root = tmp_path_factory.mktemp("browser")
    sources = {f"student{i:03d}": independent_variant(i, root / "subs" / f"student{i:03d}")
               for i in range(4)}
    sources["student004"] = write_disguised(sources["student002"], root / "subs" / "c", 4)
    synthetic_class(root / "graded", 40, seed=8, late=True, sources=sources)
    return build_report(root / "graded", ReportOptions())


@pytest.fixture(scope="module")
def page():
    with browser_page() as page:
        yield page


def test_the_page_loads_with_no_console_message_and_fetches_nothing(page, page_path):
    result = load(page, page_path)
    assert result.console == []
    assert result.failed == []
    assert [u for u in result.requests if not u.startswith(("file:", "data:"))] == []
    assert page.title().startswith("Class report")
    assert page.locator("#table-students tbody tr").count() == 40
    assert page.locator("#table-similarity tbody tr").count() == 1


def test_the_console_check_sees_errors_and_failed_loads(page, tmp_path):
    """The other side: a script error, a console.error and a missing image are caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><img src="missing.png"><script>console.error("boom");'
                   "undefinedFunction();</script></body></html>")
    result = load(page, bad)
    kinds = [kind for kind, _ in result.console]
    assert "pageerror" in kinds and kinds.count("error") >= 2  # boom + the failed load
    assert any(url.endswith("missing.png") for url in result.failed)


def _share(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 6) -> float:
    pixels = np.asarray(image.convert("RGB"), dtype=int).reshape(-1, 3)
    hits = np.all(np.abs(pixels - np.array(colour)) <= tolerance, axis=1)
    return float(hits.mean()) if len(pixels) else 0.0


def test_screenshot_shows_the_histogram_and_the_tables(page, page_path, tmp_path):
    load(page, page_path)
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    image = Image.open(shot)
    assert image.width >= 1000 and image.height > 3000

    def region(selector: str) -> Image.Image:
        box = page.locator(selector).first.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100, selector
        return image.crop((int(box["x"]), int(box["y"]), int(box["x"] + box["width"]),
                           int(box["y"] + box["height"])))

    histogram = region('img[alt^="histogram"]')
    assert 0.03 < _share(histogram, HISTOGRAM_BLUE) < 0.6  # bars drawn, not a blank image
    students = region("#table-students")
    assert _share(students, TABLE_HEADER) > 0.005  # the header row is painted
    assert page.locator("#table-students tbody tr").first.is_visible()
    assert page.locator("#table-mistakes tbody tr").count() > 3
    assert page.locator("#table-late tbody tr").count() > 0
    # And the check bites: the blue is not everywhere, e.g. not in the student table.
    assert _share(students, HISTOGRAM_BLUE) < 0.01
