"""What a teaching notebook's text claims, found mechanically (tests/test_notebook_claims.py
and tests/test_notebook_execution.py check it).

Numbers: every number in a markdown cell's prose or formulas (code blocks and inline code
are code, checked for mistakes instead) is either
- a parameter the notebook's own code uses (a literal of one of its code cells: "100
  epoch" where the code says ``EPOCHS = 100``),
- a small count (an integer 0..10 not followed by a unit: section numbers, "2~4문장"), or
- a claim listed in ``CLAIMS``, which says how it is checked: ``Printed`` (the reference
  run of the notebook prints it: tests/test_notebook_execution.py), ``Value`` (computed
  here), ``Given`` (a fact from outside the course, with its source).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

_FENCE = re.compile(r"```.*?```", re.S)
_INLINE = re.compile(r"`[^`\n]*`")
_POWER = re.compile(r"(?:(\d+(?:\.\d+)?)\s*[·×]\s*)?10\^\{?([-−]?\d+)\}?")
_NUMBER = re.compile(r"(?<![\w.^{])[-−]?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.]\d)")
_UNIT = re.compile(r"\s*(번|배|스텝|step|epoch|에포크|batch|초|%|장|개)")
_LITERAL = re.compile(r"(?<![\w.])\d[\d_]*(?:\.\d+)?(?:e[-+]?\d+)?")


@dataclass(frozen=True)
class Printed:
    """The reference run of the notebook prints this number (to the text's precision)."""


@dataclass(frozen=True)
class Value:
    """Computed here; the text's number is this value rounded to the text's precision."""

    compute: Callable[[], float]


@dataclass(frozen=True)
class Given:
    """A fact from outside the course (a paper's year, a library default): its source."""

    source: str


def _solutions_default(module: str, function: str, parameter: str) -> float:
    import importlib
    import inspect

    target = getattr(importlib.import_module(f"solutions.{module}"), function)
    return float(inspect.signature(target).parameters[parameter].default)


def _digits_steps_per_epoch() -> float:
    from sklearn.datasets import load_digits

    train = len(load_digits().target) - math.ceil(0.25 * len(load_digits().target))
    fit = train - int(train * 0.1)  # Keras keeps the last 10 % for validation_split=0.1
    return math.ceil(fit / 128)


def _data(name: str) -> list[str]:
    path = Path(__file__).resolve().parents[1] / "source_data" / name
    return path.read_text(encoding="utf-8").splitlines()[1:]


def _csv_rows(name: str) -> int:
    return len(_data(name))


def _lecture_table() -> list[float]:
    return [float(v) for line in _data("lecture_table.csv") for v in line.split(",")[:2]]


# (notebook, cell id, number as written) -> how it is checked
CLAIMS: dict[tuple[str, str, str], Printed | Value | Given] = {
    ("00_recap", "recap-md-05", "0.25"): Value(lambda: (1.5 - 1.0) ** 2),
    ("00_recap", "recap-md-05", "0.4375"): Printed(),
    ("00_recap", "recap-md-05", "1.75"): Value(lambda: 0.25 * 3 + 1.0),
    ("00_recap", "recap-md-05", "0.65"): Printed(),
    ("00_recap", "recap-md-11", "0.66"): Value(
        lambda: math.exp(2) / (math.exp(2) + math.exp(1) + math.exp(0.1))),
    ("00_recap", "recap-md-11", "0.24"): Value(
        lambda: math.exp(1) / (math.exp(2) + math.exp(1) + math.exp(0.1))),
    ("00_recap", "recap-md-15", "0.75"): Printed(),
    ("01_learning_rate", "lr-md-13", "99"): Value(lambda: 100 * (1 - _solutions_default(
        "gradient_descent", "diagnose_learning_rate", "rtol"))),
    ("01_learning_rate", "lr-answer-alpha10", "2.0"): Printed(),
    ("01_learning_rate", "lr-answer-alpha10", "19"): Printed(),
    ("02_normalization", "norm-md-01", "9000"): Value(lambda: max(_lecture_table())),
    ("02_normalization", "norm-md-01", "-5000"): Value(lambda: min(_lecture_table())),
    ("02_normalization", "norm-md-01", "8000"): Value(lambda: _lecture_table()[7]),
    ("02_normalization", "norm-md-11", "1e-9"): Printed(),
    ("02_normalization", "norm-md-11", "1e-8"): Printed(),
    ("02_normalization", "norm-md-11", "0.1"): Printed(),
    ("02_normalization", "norm-md-14", "1e-8"): Printed(),
    ("02_normalization", "norm-answer-normalization", "1e8"): Printed(),
    ("02_normalization", "norm-answer-normalization", "1e-8"): Printed(),
    ("02_normalization", "norm-answer-normalization", "1.75e8"): Printed(),
    ("02_normalization", "norm-answer-normalization", "2.44"): Printed(),
    ("02_normalization", "norm-answer-normalization", "19.3"): Printed(),
    ("03_overfitting", "overfit-md-07", "85"): Value(lambda: _csv_rows("linear_regression_3f.csv")
                                                     - 15),
    ("03_overfitting", "overfit-md-07", "12"): Value(lambda: 3 + 9),
    ("04_optimizers", "optim-md-05", "20"): Value(lambda: 4.0 / 0.2),
    ("04_optimizers", "optim-md-15", "100"): Value(lambda: 1 / 1e-6 / 10_000),  # 100만 = 1e6
    ("04_optimizers", "optim-md-02", "1e-7"): Value(
        lambda: _solutions_default("optimizers", "adam_update", "epsilon")),
    ("04_optimizers", "optim-md-02", "0.95"): Value(
        lambda: _solutions_default("optimizers", "adadelta_update", "rho")),
    ("04_optimizers", "optim-md-02", "0.999"): Value(
        lambda: _solutions_default("optimizers", "adam_update", "beta_2")),
    ("04_optimizers", "optim-md-10", "12.01"): Value(lambda: math.hypot(0.5, 12.0)),
    ("04_optimizers", "optim-md-12", "0.46"): Value(
        lambda: 6.0 / math.sqrt(3**2 + 4**2 + 0.5**2 + 12**2)),
    ("05_batch_normalization", "bn-md-01", "2015"): Given(
        "Ioffe & Szegedy, Batch Normalization, ICML 2015"),
    ("05_batch_normalization", "bn-md-02", "0.1"): Given(
        "torch.nn.BatchNorm1d(momentum=0.1) is PyTorch's default"),
    ("05_batch_normalization", "bn-md-11", "0.78"): Value(lambda: 1 - 0.99**150),
    ("05_batch_normalization", "bn-md-16", "1e-3"): Value(
        lambda: _solutions_default("batchnorm", "batchnorm_forward", "epsilon")),
    ("06_mnist", "mnist-22", "0.001"): Value(
        lambda: _solutions_default("mnist_classifier", "build_model", "learning_rate")),
    ("06_mnist", "mnist-25", "10"): Value(_digits_steps_per_epoch),
    ("06_mnist", "mnist-25", "422"): Value(lambda: math.ceil((60000 - 6000) / 128)),
    ("06_mnist", "mnist-00", "1797"): Given("sklearn.datasets.load_digits: 1797 images"),
}


def _float(token: str) -> float:
    return float(token.replace("−", "-"))


def code_literals(notebook: nbformat.NotebookNode) -> set[float]:
    values = set()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            for token in _LITERAL.findall(cell.source):
                values.add(float(token.replace("_", "")))
    return values


def prose(source: str) -> str:
    """A markdown cell without its code (fenced blocks and inline code)."""
    return _INLINE.sub(" ", _FENCE.sub(" ", source))


def numbers(source: str) -> list[tuple[str, bool]]:
    """(number as written, followed by a unit) in a markdown cell's prose and formulas;
    ``10^{-8}`` is read as ``1e-8``, ``1.75·10^8`` as ``1.75e8``."""
    text = prose(source)
    found = [(f"{m.group(1) or 1}e{m.group(2).replace('−', '-')}", False)
             for m in _POWER.finditer(text)]
    text = _POWER.sub(" ", text)
    for match in _NUMBER.finditer(text):
        found.append((match.group(), bool(_UNIT.match(text, match.end()))))
    return found


def unchecked_claims(name: str, notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(cell id, number) of numbers in the text that are neither parameters of the code, nor
    small counts, nor listed in CLAIMS."""
    literals = code_literals(notebook)
    missing = []
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for token, has_unit in numbers(cell.source):
            value = _float(token)
            small_count = value == int(value) and 0 <= value <= 10 and "." not in token
            if (small_count and not has_unit) or abs(value) in literals:
                continue
            if (name, cell.id, token) not in CLAIMS:
                missing.append((cell.id, token))
    return missing


def matches(token: str, value: float) -> bool:
    """``value`` written to the precision of ``token`` (significant digits of its mantissa)
    gives ``token``."""
    mantissa = re.split(r"e", token.replace("−", "-"))[0].lstrip("-")
    digits = len(mantissa.replace(".", "").lstrip("0")) or 1
    return math.isclose(_float(token), float(f"{value:.{digits}g}"), rel_tol=1e-9)


def printed_numbers(text: str) -> list[float]:
    return [float(t) for t in re.findall(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)]
