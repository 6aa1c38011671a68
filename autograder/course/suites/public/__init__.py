"""Public suites: what ``dltips check`` runs on a student's own ``assignments/``.

They ship with the student release, so they use only what students may see: inputs and
expected outputs from ``expected.npz`` (made by ``generate.py`` from the reference
solutions) and properties any correct answer has (softmax rows sum to 1, ...). Every
failure message ends with a hint written for the student.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

EXPECTED_PATH = Path(__file__).resolve().with_name("expected.npz")


@cache
def _expected() -> dict[str, np.ndarray]:
    with np.load(EXPECTED_PATH, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def case(name: str) -> dict[str, Any]:
    """The fields of one public case; 0-d arrays come back as Python numbers/bools."""
    prefix = f"{name}/"
    fields = {k[len(prefix):]: v.copy() for k, v in _expected().items() if k.startswith(prefix)}
    if not fields:
        raise KeyError(f"no public case {name!r} in {EXPECTED_PATH.name}")
    return {k: (v.item() if v.ndim == 0 else v) for k, v in fields.items()}


@contextmanager
def hint(text: str) -> Iterator[None]:
    """Append ``Hint: text`` to any failed check inside the block."""
    try:
        yield
    except AssertionError as error:
        raise AssertionError(f"{error}\nHint: {text}") from None
