"""The student release carries the student notebooks and the data they read, and they run
there with nothing but the release (its own ``autograder``, no ``source_data/``)."""

from __future__ import annotations

import nbformat
import pytest
from helpers_notebooks import execute, hidden_scores, outputs

from autograder.delivery import release, student_notebooks
from autograder.grading.policy import Settings


@pytest.fixture(scope="module")
def student_tree(tmp_path_factory):
    # Built in Korean: the notebooks' lines below say so (the release carries the setting).
    return release.build_student_release(tmp_path_factory.mktemp("release") / "student",
                                         settings=Settings(lang="ko"))


def test_release_carries_the_student_notebooks_and_their_data(student_tree):
    folder = student_tree / "assignments"
    for source in student_notebooks.source_notebooks():
        text = (folder / source.name).read_text(encoding="utf-8")
        assert text == student_notebooks.student_notebook_text(source)
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    names = student_notebooks.data_files()
    assert sorted(p.name for p in (folder / "data").iterdir()) == names
    for name in names:
        assert (folder / "data" / name).read_bytes() == (
            student_notebooks.data_source(name).read_bytes())
    assert not (student_tree / "solutions").exists()
    assert "jupyter lab assignments/" in (student_tree / "README.md").read_text()


@pytest.mark.slow
def test_a_notebook_runs_inside_the_release_on_its_own_files(student_tree, tmp_path):
    """02_normalization reads the lecture table: found in assignments/data/ of the release."""
    folder = student_tree / "assignments"
    probe = nbformat.read(folder / "02_normalization.ipynb", as_version=4)
    probe.cells.append(nbformat.v4.new_code_cell(
        "import autograder.delivery.notebook as runtime\nprint('runtime:', runtime.__file__)"))
    nbformat.write(probe, tmp_path / "probe.ipynb")
    notebook = execute(tmp_path / "probe.ipynb", folder, autograde=False,
                       import_root=student_tree)
    assert outputs(notebook, "stream", "stderr") == []
    # Run All reaches the end: grade cells never raise, the stubs' checks score 0.0 instead.
    assert outputs(notebook, "error") == []
    scores = hidden_scores(notebook)
    assert scores and set(scores.values()) == {0.0}
    printed = "".join(out.text for _, out in outputs(notebook, "stream", "stdout"))
    assert "standardize_fit를 먼저 구현하세요" in printed
    assert f"runtime: {student_tree / 'autograder'}" in printed
