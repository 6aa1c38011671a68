"""What a call that returned brings back: its value and the facts the worker observed
around it (arguments changed in place, warnings raised), decoded from the reply as plain
data and validated, since nothing the worker says is trusted (``ProtocolError`` if a fact
is not the shape it must be). ``autograder.sandbox.session`` hands these to its callers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autograder.sandbox.worker.protocol import ProtocolError

TEXT_LIMIT = 300  # characters of one fact's text (a name, a path, a warning's message)
FACT_LIMIT = 64   # facts of one kind per call


@dataclass(frozen=True)
class ModifiedInput:
    """The worker saw a call change one of its arguments in place.

    ``argument`` is the argument as the grader sent it (its position, or its keyword);
    ``name`` is what the student's function calls that parameter (for messages only);
    ``path`` is where inside it the first change is (``"[1]"``, ``"['m']"``; ``""`` when
    the argument itself, e.g. an array, changed).
    """

    argument: int | str
    name: str
    path: str


@dataclass(frozen=True)
class RaisedWarning:
    """A warning a call raised (category name, message, ``"losses.py line 12"`` or "")."""

    category: str
    message: str
    where: str


@dataclass(frozen=True)
class CallOutcome:
    """A call that returned: its value, and the facts the worker observed around it."""

    value: Any
    modified: tuple[ModifiedInput, ...] = ()
    warnings: tuple[RaisedWarning, ...] = ()



def decode_outcome(value: Any, facts: Any) -> CallOutcome:
    """The reply's value with its facts, validated as plain data (ProtocolError if not)."""
    if facts is None:
        return CallOutcome(value)
    if type(facts) is not dict:
        raise ProtocolError("bad call facts")
    modified = tuple(ModifiedInput(_fact_key(item.get("argument")), _fact_text(item, "name"),
                                   _fact_text(item, "path"))
                     for item in _fact_items(facts, "modified"))
    raised = tuple(RaisedWarning(*(_fact_text(item, key)
                                   for key in ("category", "message", "where")))
                   for item in _fact_items(facts, "warnings"))
    return CallOutcome(value, modified, raised)


def _fact_items(facts: dict, key: str) -> list[dict]:
    items = facts.get(key, [])
    if (type(items) is not list or len(items) > FACT_LIMIT
            or any(type(i) is not dict for i in items)):
        raise ProtocolError(f"bad call facts ({key})")
    return items


def _fact_key(value: Any) -> int | str:
    if type(value) is int:
        return value
    if type(value) is str:
        return value[:100]
    raise ProtocolError("bad call facts (argument)")


def _fact_text(item: dict, key: str) -> str:
    value = item.get(key)
    if type(value) is not str:
        raise ProtocolError(f"bad call facts ({key})")
    return value if len(value) <= TEXT_LIMIT else value[:TEXT_LIMIT] + "..."
