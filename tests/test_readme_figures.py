"""The README states the figures that can be derived from the code as the code has them:
the notebooks, the points, the nbgrader cell timeout and the runner timeout it covers.
(Measured figures are the lead's: they are re-measured, not derived.)"""

from __future__ import annotations

import re

import nbformat
from points import NUMPY_POINTS, TOTAL_POINTS

from autograder.course.contract import MODULES, REPO_ROOT
from autograder.course.suites.hidden import MODULE_POINTS
from autograder.delivery import student_notebooks
from autograder.delivery.nbgrader_course import CELL_TIMEOUT
from autograder.grading.engine import GradeOptions

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
NOTEBOOKS = student_notebooks.source_notebooks()
FLAT = " ".join(README.split())  # one space between words, lines joined
COUNTS = {6: "six", 7: "seven", 8: "eight", 9: "nine"}


def _written_points() -> float:
    return sum(cell.metadata["nbgrader"]["points"] for source in NOTEBOOKS
               for cell in nbformat.read(source, as_version=4).cells
               if cell.cell_type == "markdown"
               and cell.metadata.get("nbgrader", {}).get("solution"))


def test_the_notebooks_are_counted_and_named():
    count = COUNTS[len(NOTEBOOKS)]
    assert f"{count.capitalize()} Korean notebooks follow the lecture" in README
    assert (f"(the {count} source notebooks with their hidden cells, the "
            f"{COUNTS[len(MODULES)]} stub modules") in FLAT
    paragraph = README.split("Korean notebooks follow the lecture")[1].split("Each explains")[0]
    assert [name for name in re.findall(r"`(\d\d_\w+)`", paragraph)] == [
        source.stem for source in NOTEBOOKS]
    for wrong in COUNTS.values():
        if wrong != count:
            assert f"the {wrong} source notebooks" not in README
            assert f"{wrong.capitalize()} Korean notebooks" not in README


def test_the_points_are_the_suites():
    flat = FLAT
    assert TOTAL_POINTS == sum(MODULE_POINTS.values())
    assert f"so they total {TOTAL_POINTS:g} as `dltips grade` does" in flat
    assert (f"total out of the same {TOTAL_POINTS:g} points (plus {_written_points():g} for "
            "the written answers)") in flat
    assert f"({MODULE_POINTS['mnist_classifier']:g} of the {TOTAL_POINTS:g} hidden points)" in flat
    assert f"the 7 numpy modules only ({NUMPY_POINTS:g} points)" in flat
    stated = {int(n) for n in re.findall(r"total (\d+) as `dltips grade`", flat)}
    assert stated == {TOTAL_POINTS}


def test_the_cell_timeout_is_the_configured_one_everywhere():
    runner = int(GradeOptions().runner_timeout)
    assert CELL_TIMEOUT > runner
    flat = FLAT
    stated = re.findall(r"[Cc]ell timeout \(?(\d+) s", flat)
    assert stated and set(stated) == {str(CELL_TIMEOUT)}, stated
    assert f"nbgrader cell timeout ({CELL_TIMEOUT} s) must exceed the runner timeout" in flat
    assert f"({runner} s: the default and keras profiles' wall caps" in flat
    assert f"at most {runner} s)" in flat
