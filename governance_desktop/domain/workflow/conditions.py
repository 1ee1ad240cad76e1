"""Evaluate conditions against a policy's facts: pure data interpretation, never ``eval``.

Every comparison is total: a value of the wrong type makes the test false, never an error.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

from governance_desktop.domain._common import short_repr
from governance_desktop.domain.regex import search
from governance_desktop.domain.workflow.condition_model import (
    AllGroup,
    AnyGroup,
    Condition,
    ConditionOp,
    Leaf,
    NotGroup,
    parse_iso,
)

_Op = ConditionOp


@dataclass(frozen=True, slots=True)
class ConditionTrace:
    """One step of an explanation: where in the condition, what it tests, and the outcome."""

    path: str
    description: str
    passed: bool


def _is_number(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


def _same(fact: object, value: object) -> bool:
    """Exact equality without Python's cross-type surprises (True == 1, date vs string)."""
    if isinstance(fact, bool) or isinstance(value, bool):
        return isinstance(fact, bool) and isinstance(value, bool) and fact is value
    if _is_number(fact) and _is_number(value):
        return fact == value
    if isinstance(fact, dt.date) and isinstance(value, str):
        return fact.isoformat() == value
    if isinstance(fact, str) and isinstance(value, str):
        return fact == value
    return False


def _as_datetime(value: dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _comparable(fact: object, value: object) -> tuple[object, object] | None:
    """Both sides as numbers or as dates/date-times, or None if they do not compare."""
    if _is_number(fact) and _is_number(value):
        return fact, value
    left = parse_iso(fact) if isinstance(fact, str) else fact
    right = parse_iso(value) if isinstance(value, str) else value
    if not isinstance(left, dt.date) or not isinstance(right, dt.date):
        return None
    if isinstance(left, dt.datetime) or isinstance(right, dt.datetime):
        if not (isinstance(left, dt.datetime) and isinstance(right, dt.datetime)):
            return (left.date() if isinstance(left, dt.datetime) else left), (
                right.date() if isinstance(right, dt.datetime) else right
            )
        return _as_datetime(left), _as_datetime(right)
    return left, right


def _order(op: ConditionOp, fact: object, value: object) -> bool:
    pair = _comparable(fact, value)
    if pair is None:
        return False
    left, right = pair
    try:
        if op is _Op.GT:
            return bool(left > right)  # type: ignore[operator]
        if op is _Op.GTE:
            return bool(left >= right)  # type: ignore[operator]
        if op is _Op.LT:
            return bool(left < right)  # type: ignore[operator]
        return bool(left <= right)  # type: ignore[operator]
    except TypeError:
        return False


def _contains(fact: object, value: object) -> bool:
    if isinstance(fact, str):
        return isinstance(value, str) and value.casefold() in fact.casefold()
    if isinstance(fact, list | tuple | set | frozenset):
        return any(_same(item, value) for item in fact)
    return False


def _is_null(fact: object, value: object) -> bool:
    empty = fact is None or fact == ""
    return empty if value is None or value is True else (not empty if value is False else False)


def leaf_passes(leaf: Leaf, facts: Mapping[str, object]) -> bool:
    """The outcome of one leaf test against ``facts`` (a missing fact is None)."""
    fact = facts.get(leaf.field)
    op, value = leaf.op, leaf.value
    if op is _Op.EQ:
        return _same(fact, value)
    if op is _Op.NE:
        return not _same(fact, value)
    if op in (_Op.IN, _Op.NOT_IN):
        if not isinstance(value, list):
            return False
        member = any(_same(fact, item) for item in value)
        return member if op is _Op.IN else not member
    if op is _Op.CONTAINS:
        return _contains(fact, value)
    if op is _Op.IS_NULL:
        return _is_null(fact, value)
    if op is _Op.MATCHES:
        return isinstance(fact, str) and isinstance(value, str) and search(value, fact)
    return _order(op, fact, value)


def evaluate(condition: Condition | None, facts: Mapping[str, object]) -> bool:
    """True if ``facts`` satisfy ``condition`` (no condition: always true)."""
    if condition is None:
        return True
    if isinstance(condition, AllGroup):
        return all(evaluate(child, facts) for child in condition.all)
    if isinstance(condition, AnyGroup):
        return any(evaluate(child, facts) for child in condition.any)
    if isinstance(condition, NotGroup):
        return not evaluate(condition.not_, facts)
    return leaf_passes(condition, facts)


def describe_leaf(leaf: Leaf) -> str:
    """A short human reading of a leaf, e.g. ``title contains 'Security'``."""
    if leaf.op is _Op.IS_NULL:
        return f"{leaf.field} is {'not ' if leaf.value is False else ''}empty"
    return f"{leaf.field} {leaf.op.value} {short_repr(leaf.value)}"


def explain(condition: Condition | None, facts: Mapping[str, object]) -> list[ConditionTrace]:
    """Every group and leaf with its outcome, outermost first (for a dry run)."""
    traces: list[ConditionTrace] = []
    if condition is not None:
        _explain(condition, facts, "conditions", traces)
    return traces


def _explain(
    condition: Condition, facts: Mapping[str, object], path: str, out: list[ConditionTrace]
) -> bool:
    at = len(out)
    if isinstance(condition, AllGroup | AnyGroup):
        key = "all" if isinstance(condition, AllGroup) else "any"
        children = condition.all if isinstance(condition, AllGroup) else condition.any
        out.append(ConditionTrace(path, "", False))
        results = [_explain(c, facts, f"{path}.{key}[{i}]", out) for i, c in enumerate(children)]
        passed = all(results) if key == "all" else any(results)
        description = f"{key} of {len(children)} condition{'s' if len(children) != 1 else ''}"
    elif isinstance(condition, NotGroup):
        out.append(ConditionTrace(path, "", False))
        passed = not _explain(condition.not_, facts, f"{path}.not", out)
        description = "not"
    else:
        passed = leaf_passes(condition, facts)
        out.append(ConditionTrace(path, describe_leaf(condition), passed))
        return passed
    out[at] = ConditionTrace(path, description, passed)
    return passed
