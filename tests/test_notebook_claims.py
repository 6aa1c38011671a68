"""The teaching text never contradicts the grader.

- No notebook cell, text or code, states a formula or a line of code that the mistake
  catalogue (``autograder.course.mistakes``) marks as wrong, except where the notebook
  quotes the lecture's code in order to correct it (``QUOTED``, each with its reason).
- Every number the text claims is a parameter of the notebook's code, a small count, or
  checked (``tests/notebook_claims.py``: computed here, or printed by the notebook's
  reference run, which tests/test_notebook_execution.py checks).
- One Korean term per concept across the seven notebooks (``GLOSSARY``).
- The outline, the "next notebook" links and the points the text states agree with the
  notebooks and the grader.
"""

from __future__ import annotations

import re

import nbformat
import notebook_claims
import pytest

from autograder.course import mistakes, points
from autograder.delivery import student_notebooks

SOURCES = student_notebooks.source_notebooks()
NOTEBOOKS = {source.stem: nbformat.read(source, as_version=4) for source in SOURCES}

# (notebook, cell id, contract function, mistake id) -> why the
# notebook may show it: the lecture's own (Keras 2) code, corrected in the same cell.
QUOTED = {
    ("00_recap", "recap-md-02", "build_model", "build_model_loss_softmax"):
        "the lecture's Keras 2 code, corrected right below it",
    ("06_mnist", "mnist-10", "build_model", "build_model_loss_softmax"):
        "the errata box: loss='softmax' is not a loss",
    ("06_mnist", "mnist-md-keras", "build_model", "build_model_loss_softmax"):
        "the lecture's Keras 2 code beside its Keras 3 form",
}

# English term -> the one Korean term the notebooks use for it (the common Korean ML
# convention); a Korean term is never paired with another concept's English term.
GLOSSARY = {"normalization": "정규화", "regularization": "규제", "standardization": "표준화"}


def _cells():
    for name, notebook in NOTEBOOKS.items():
        for cell in notebook.cells:
            yield name, cell


def _stated_mistakes(source: str) -> set[tuple[str, str]]:
    found = set()
    for (function, mistake), wording in mistakes.wording().items():
        if any(re.search(pattern, source, re.M) for pattern in wording.patterns):
            found.add((function, mistake))
    return found


def _quoted(name: str, cell_id: str, function: str, mistake: str) -> bool:
    return (name, cell_id, function, mistake) in QUOTED


# ---------------------------------------------------------------------------------------
# Formulas: never a catalogued mistake
# ---------------------------------------------------------------------------------------


def test_every_declared_wording_catches_its_example():
    wordings = mistakes.wording()
    assert len(wordings) >= 15
    for key, wording in wordings.items():
        assert any(re.search(p, wording.example, re.M) for p in wording.patterns), key


def test_the_mnist_mistakes_are_catalogued():
    for function in ("preprocess", "build_model"):
        assert len(mistakes.for_function(function)) >= 2, function


def test_no_cell_states_a_catalogued_mistake():
    stated = []
    used = set()
    for name, cell in _cells():
        for function, mistake in _stated_mistakes(cell.source):
            if _quoted(name, cell.id, function, mistake):
                used.add((name, cell.id, function))
            else:
                stated.append((name, cell.id, function, mistake))
    assert stated == []
    assert used == {key[:3] for key in QUOTED}, "a QUOTED entry no longer quotes anything"


def test_the_check_would_have_caught_the_old_min_max_text():
    """What 02_normalization used to say about min_max_scale (a -2 point mistake)."""
    old = ("- 강의 코드는 분모에 `1e-7`을 **더하지만**, `min_max_scale`은 scikit-learn처럼 "
           "`maximum(max - min, epsilon)`\n  으로 나눕니다.")
    assert [d for f, d in _stated_mistakes(old) if f == "min_max_scale"] == [
        "min_max_scale_epsilon_floor"]


# ---------------------------------------------------------------------------------------
# Numbers: computed or checked
# ---------------------------------------------------------------------------------------


def test_every_number_the_text_claims_is_a_parameter_or_checked():
    unchecked = {name: notebook_claims.unchecked_claims(name, notebook)
                 for name, notebook in NOTEBOOKS.items()}
    assert {name: found for name, found in unchecked.items() if found} == {}


def test_every_listed_claim_is_in_its_cell():
    for (name, cell_id, token) in notebook_claims.CLAIMS:
        (cell,) = [c for c in NOTEBOOKS[name].cells if c.id == cell_id]
        assert token in [t for t, _ in notebook_claims.numbers(cell.source)], (name, cell_id)


@pytest.mark.parametrize("key", [k for k, v in notebook_claims.CLAIMS.items()
                                 if isinstance(v, notebook_claims.Value)],
                         ids=lambda k: f"{k[0]}:{k[2]}")
def test_computed_claims_hold(key):
    value = notebook_claims.CLAIMS[key].compute()
    assert notebook_claims.matches(key[2], value), (key, value)


def test_the_number_check_would_have_caught_the_old_alpha_10_text():
    old = ("$\\alpha = 10$ 의 loss는 epoch마다 수백 배씩 커져 몇십 epoch 만에 `inf`가 됩니다. "
           "condition number ≈ 2·10^8")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(old)])
    notebook.cells[0].id = "old"
    assert notebook_claims.unchecked_claims("01_learning_rate", notebook) == [("old", "2e8")]


# ---------------------------------------------------------------------------------------
# Terms, outline, points
# ---------------------------------------------------------------------------------------


def test_one_korean_term_per_concept():
    for name, cell in _cells():
        text = cell.source
        for english in GLOSSARY:
            for other_english, other in GLOSSARY.items():
                if other_english != english:
                    pairing = rf"(?<!배치 ){other}\s*\(\s*{english}"
                    assert not re.search(pairing, text, re.I), (name, cell.id, other, english)
        assert "정규화(regulariz" not in text and "정규화 (regulariz" not in text
    for english, korean in GLOSSARY.items():
        prose = "\n".join(notebook_claims.prose(c.source) for _, c in _cells()
                          if c.cell_type == "markdown")
        if re.search(english, prose, re.I):
            assert f"{korean}({english}" in prose, f"{english} is never introduced as {korean}"


def test_the_recap_outline_names_every_notebook():
    outline = NOTEBOOKS["00_recap"].cells[0].source
    for source in SOURCES:
        assert f"`{source.name}`" in outline, source.name


def test_each_notebook_leads_to_the_next_and_only_the_last_ends_the_unit():
    names = list(NOTEBOOKS)
    for name, following in zip(names, names[1:], strict=False):
        last_cell = NOTEBOOKS[name].cells[-1].source
        assert f"`{following}.ipynb`" in last_cell, name
        assert "마칩니다" not in last_cell, f"{name} says the unit ends; {following} follows"
    assert "마칩니다" in NOTEBOOKS[names[-1]].cells[-1].source


def test_points_the_text_states_are_the_graders():
    for name, notebook in NOTEBOOKS.items():
        for index, cell in enumerate(notebook.cells):
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade"):
                label = re.match(r"# 채점 셀 \(grade cell\), ([\d.]+)점: (\w+) (.+)", cell.source)
                module, functions = label.group(2), label.group(3).split(", ")
                assert float(label.group(1)) == meta["points"] == points.function_points(
                    *(f"{module}.{f}" for f in functions)), (name, cell.id)
            for stated in re.findall(r"서술형 질문 \d+ \(([\d.]+)점\)", cell.source):
                answer = notebook.cells[index + 1].metadata["nbgrader"]
                assert answer["solution"] and float(stated) == answer["points"], (name, cell.id)
