"""Reports cannot be forged (issue 7, item 9): everything that comes from a submission is
escaped or fenced in every output format: Markdown, CSV, JSON and the terminal."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from points import TOTAL_POINTS

from autograder.course.contract import REPO_ROOT
from autograder.grading import report

HOSTILE = Path(__file__).resolve().parent / "hostile"
NAME = "=HYPERLINK(0)[bold red]Mallory[blink]"


@pytest.fixture(scope="module")
def forged(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("forged")
    sub = shutil.copytree(HOSTILE / "forged_report", root / "subs" / NAME)
    zipped = root / "subs" / "zipped.zip"
    with zipfile.ZipFile(zipped, "w") as archive:  # folder names that are Markdown/HTML
        for folder in ("<b>bold</b>", "**Score: 80 / 80**"):
            archive.write(sub / "losses.py", f"{folder}/losses.py")
    out = root / "out"
    # --disclose values: the submission's own messages reach the reports, escaped
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(sub),
                           str(zipped), "--out", str(out), "--disclose", "values"],
                          cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300,
                          # wide enough that the class table does not wrap the name
                          env={**os.environ, "COLUMNS": "200"})
    return {"done": done, "out": out, "name": sub.name}


def outside_fences(markdown: str) -> str:
    """The Markdown a reader sees rendered: everything outside fenced code blocks."""
    kept, fence = [], None
    for line in markdown.splitlines():
        match = re.match(r"^(`{3,})", line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None and line.strip() == fence:
            fence = None
        elif fence is None:
            kept.append(line)
    return "\n".join(kept)


def test_the_forged_submission_is_graded_not_a_grader_error(forged):
    assert forged["done"].returncode == 0, forged["done"].stdout + forged["done"].stderr
    data = json.loads((forged["out"] / forged["name"] / "results.json").read_text())
    assert data["extra_data"]["grader_error"] is None and data["score"] == 0
    assert sum(t["max_score"] for t in data["tests"]) == TOTAL_POINTS


def test_feedback_markdown_shows_forgeries_only_as_code(forged):
    text = (forged["out"] / forged["name"] / "feedback.md").read_text()
    rendered = outside_fences(text)
    assert f"**Score: 0 / {TOTAL_POINTS:g}**" in rendered
    assert "80 / 80" not in rendered and "Every test passed" not in rendered
    assert "<img" not in rendered and "\x1b" not in text
    assert "\\x1b[2J" in text  # shown, visibly escaped, inside a fence
    zipped = outside_fences((forged["out"] / "zipped" / "feedback.md").read_text())
    assert "<b>" not in zipped and "**Score: 80" not in zipped


def test_lone_surrogates_and_bidi_overrides_become_visible_escapes(forged):
    raw = (forged["out"] / forged["name"] / "results.json").read_bytes()
    raw.decode("utf-8")  # valid UTF-8 throughout
    data = json.loads(raw)
    outputs = " ".join(t["output"] for t in data["tests"] if t["tags"][0] == "dropout")
    assert "\\udc80" in outputs and "\\u202e" in outputs
    assert not re.search("[\ud800-\udfff\u202a-\u202e]", json.dumps(data, ensure_ascii=False))


def test_csv_and_terminal_show_names_as_text(forged):
    with (forged["out"] / "grades.csv").open() as handle:
        names = [row["submission"] for row in csv.DictReader(handle)]
    assert "'" + forged["name"] in names  # not a formula
    stdout = forged["done"].stdout
    assert "[bold red]Mallory[blink]" in " ".join(stdout.split())  # markup shown, not applied
    assert "\x1b" not in stdout


def test_every_file_is_private_to_the_grader(forged):
    for path in [forged["out"], *forged["out"].rglob("*")]:
        mode = path.stat().st_mode & 0o777
        assert mode & 0o077 == 0, f"{path} has mode {oct(mode)}"


def test_a_grader_error_never_says_every_test_passed():
    results = {"score": 0, "output": "GRADER ERROR: boom", "tests": [],
               "extra_data": {"grader_error": "boom"}}
    text = report.feedback_markdown(results)
    assert "Every test passed" not in text and "could not be graded" in text
