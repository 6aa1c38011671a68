"""The MNIST walkthrough notebook (solutions/06_mnist.ipynb).

Executed headless with nbclient on the reference module (small settings via
DLTIPS_NOTEBOOK_QUICK=1): no error, nothing on stderr (nbgrader scores a cell with stderr
0), every figure drawn. Under nbgrader's autograde it runs no student code and no
TensorFlow. Its metadata is nbgrader schema 3 with every cell locked.
"""

from __future__ import annotations

import re
import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.course.contract import REPO_ROOT

# Slow end to end: deselected by the README's test command, run by .ci/run.
pytestmark = pytest.mark.slow

NOTEBOOK = REPO_ROOT / "solutions" / "06_mnist.ipynb"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _execute(nb: nbformat.NotebookNode, cwd, monkeypatch, **env: str) -> nbformat.NotebookNode:
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend draws PNGs
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))  # this checkout's autograder helpers
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def _outputs(nb: nbformat.NotebookNode) -> list:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


def test_metadata_is_nbgrader_schema_3_with_every_cell_locked():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    ids = []
    for cell in nb.cells:
        meta = cell.metadata["nbgrader"]
        assert meta["schema_version"] == 3 and meta["locked"] is True
        assert meta["solution"] is False  # students write code only in the .py module
        if meta["grade"]:  # the grade cells: visible checks, then the hidden suite's points
            assert cell.cell_type == "code" and meta["points"] > 0
            assert "### BEGIN HIDDEN TESTS" in cell.source
        assert re.fullmatch(r"[a-zA-Z0-9_\-]+", meta["grade_id"])
        ids.append(meta["grade_id"])
        assert not cell.get("outputs"), "commit the notebook without outputs"
    assert len(ids) == len(set(ids))
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert len(HANGUL.findall(markdown)) > 500  # Korean explanations...
    for term in ("confusion matrix", "dropout", "batch normalization", "learning rate",
                 "class balance", "pixel statistics", "misclassified"):
        assert term in " ".join(markdown.lower().split()), term  # ...with English terms


def test_walkthrough_runs_on_the_reference_without_errors_or_stderr(monkeypatch):
    nb = _execute(nbformat.read(NOTEBOOK, as_version=4), REPO_ROOT / "solutions",
                  monkeypatch, DLTIPS_NOTEBOOK_QUICK="1")
    outputs = _outputs(nb)
    assert [o for o in outputs if o.output_type == "error"] == []
    assert [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"] == []
    text = "".join(o.text for o in outputs if o.output_type == "stream")
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    # class balance, samples, mean images, curves, single images, misclassified,
    # confusion matrix, tips figure
    assert len(figures) == 8
    assert "x_train  shape (1347, 8, 8)" in text
    accuracy = float(re.search(r"테스트 정확도 \(predict_digits\): ([\d.]+)%", text).group(1))
    assert accuracy > 80.0
    rows = re.findall(r"^(baseline|input scaling|dropout|L2|batch norm|SGD 0\.01|Adam 0\.01|"
                      r"Adam 0\.0001)\s+([\d.]+)%\s+([\d.]+) s$", text, re.M)
    assert [r[0] for r in rows] == ["baseline", "input scaling", "dropout", "L2", "batch norm",
                                    "SGD 0.01", "Adam 0.01", "Adam 0.0001"]
    assert all(0 <= float(r[1]) <= 100 and float(r[2]) > 0 for r in rows)


def test_autograde_runs_no_student_code_and_no_tensorflow(tmp_path, monkeypatch):
    """Under nbgrader autograde the kernel has the instructor's permissions: the student's
    module is never imported in it (only in the sandboxed worker, where the grader's
    folders do not exist), TensorFlow is never loaded; one line says so."""
    shutil.copy(NOTEBOOK, tmp_path / "06_mnist.ipynb")
    marker = tmp_path / "student-code-ran"
    (tmp_path / "mnist_classifier.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    nb = nbformat.read(tmp_path / "06_mnist.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import sys\nprint('LOADED', sorted(m for m in ('keras', 'tensorflow', "
        "'mnist_classifier') if m in sys.modules))"))
    nb = _execute(nb, tmp_path, monkeypatch, NBGRADER_EXECUTION="autograde")
    outputs = _outputs(nb)
    assert [o for o in outputs if o.output_type in ("error", "display_data")] == []
    text = [o.text for o in outputs if o.output_type == "stream"]
    assert [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"] == []
    assert any("skipped during nbgrader autograde" in t for t in text)
    assert text[-1].strip() == "LOADED []"
    assert not marker.exists()


def test_the_setup_cell_reads_the_flag_nbgrader_sets_and_quiets_tensorflow_first():
    source = nbformat.read(NOTEBOOK, as_version=4).cells[1].source
    assert 'os.environ.get("NBGRADER_EXECUTION") != "autograde"' in source
    assert source.index('"TF_CPP_MIN_LOG_LEVEL"') < source.index("import_keras")
