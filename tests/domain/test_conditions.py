"""The condition evaluator: semantics of each op, groups, explain, and robustness properties."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from governance_desktop.domain.enums import PolicyStatus
from governance_desktop.domain.workflow.conditions import ConditionTrace, evaluate, explain
from governance_desktop.domain.workflow.definition import (
    AllGroup,
    AnyGroup,
    Condition,
    ConditionOp,
    Leaf,
    NotGroup,
)

CONDITION = TypeAdapter(Condition)

FACTS: dict[str, object] = {
    "code": "POL-001",
    "title": "IT Security Policy",
    "status": PolicyStatus.PUBLISHED,
    "old_status": "approved",
    "owner": "alice",
    "assignee": None,
    "body": "",
    "version": 3,
    "review_interval_days": 365,
    "next_review_date": dt.date(2025, 6, 1),
    "created_by": "bob",
    "updated_by": "carol",
}


def cond(data: object) -> Condition:
    """A validated condition from JSON-like data."""
    return CONDITION.validate_python(data)


def leaf(field: str, op: str, value: Any = None) -> bool:
    """Evaluate one validated leaf against FACTS."""
    return evaluate(cond({"field": field, "op": op, "value": value}), FACTS)


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("code", "eq", "POL-001", True),
        ("code", "eq", "pol-001", False),
        ("status", "eq", "published", True),
        ("version", "eq", 3, True),
        ("version", "eq", "3", False),
        ("version", "eq", 3.0, True),
        ("next_review_date", "eq", "2025-06-01", True),
        ("code", "ne", "POL-002", True),
        ("assignee", "ne", "alice", True),
        ("status", "in", ["draft", "published"], True),
        ("status", "not_in", ["draft", "published"], False),
        ("owner", "in", ["bob"], False),
        ("title", "contains", "security", True),
        ("title", "contains", "SECURITY", True),
        ("title", "contains", "privacy", False),
        ("assignee", "contains", "a", False),
        ("version", "gt", 2, True),
        ("version", "gte", 3, True),
        ("version", "lt", 3, False),
        ("version", "lte", 3.5, True),
        ("next_review_date", "lt", "2025-07-01", True),
        ("next_review_date", "gt", "2025-07-01", False),
        ("next_review_date", "gte", "2025-06-01T00:00:00+00:00", True),
        ("next_review_date", "gt", 5, False),
        ("title", "gt", 5, False),
        ("assignee", "is_null", None, True),
        ("assignee", "is_null", True, True),
        ("body", "is_null", True, True),
        ("owner", "is_null", True, False),
        ("owner", "is_null", False, True),
        ("assignee", "is_null", False, False),
        ("title", "matches", r"^IT\s+Sec", True),
        ("title", "matches", r"^Sec", False),
        ("version", "matches", "3", False),
    ],
)
def test_leaf_semantics(field: str, op: str, value: Any, expected: bool) -> None:
    """Each op follows the documented semantics; mismatched types give False."""
    assert leaf(field, op, value) is expected


def test_missing_fact_is_none() -> None:
    """A fact absent from the mapping behaves as None."""
    assert evaluate(cond({"field": "assignee", "op": "is_null"}), {}) is True
    assert evaluate(cond({"field": "title", "op": "eq", "value": "x"}), {}) is False


def test_contains_on_list_fact_is_membership() -> None:
    """contains on a list fact tests membership of the value."""
    condition = cond({"field": "title", "op": "contains", "value": "b"})
    assert evaluate(condition, {"title": ["a", "b"]}) is True
    assert evaluate(condition, {"title": ["abc"]}) is False


def test_bool_is_not_a_number() -> None:
    """eq does not treat True as 1."""
    assert evaluate(cond({"field": "version", "op": "eq", "value": 1}), {"version": True}) is False
    assert evaluate(cond({"field": "version", "op": "eq", "value": True}), {"version": 1}) is False


def test_dates_compare_with_datetimes_and_strings() -> None:
    """Date facts compare with ISO date-times; ISO string facts compare like dates."""
    condition = cond({"field": "next_review_date", "op": "lt", "value": "2025-01-01"})
    assert evaluate(condition, {"next_review_date": "2024-12-31"}) is True
    assert evaluate(condition, {"next_review_date": dt.datetime(2024, 12, 31, 23, 0)}) is True
    assert evaluate(condition, {"next_review_date": "not a date"}) is False
    naive_vs_aware = cond({"field": "next_review_date", "op": "gt", "value": "2025-01-01T00:00Z"})
    assert evaluate(naive_vs_aware, {"next_review_date": dt.datetime(2025, 1, 2)}) is True


def test_groups() -> None:
    """all/any/not combine their children as their names say."""
    true = {"field": "owner", "op": "eq", "value": "alice"}
    false = {"field": "owner", "op": "eq", "value": "bob"}
    assert evaluate(cond({"all": [true, true]}), FACTS) is True
    assert evaluate(cond({"all": [true, false]}), FACTS) is False
    assert evaluate(cond({"any": [false, true]}), FACTS) is True
    assert evaluate(cond({"any": [false, false]}), FACTS) is False
    assert evaluate(cond({"not": false}), FACTS) is True
    assert evaluate(None, FACTS) is True


def test_hostile_regex_runs_in_linear_time() -> None:
    """A catastrophic-backtracking pattern is safe with RE2 on a long input."""
    condition = cond({"field": "body", "op": "matches", "value": "(a+)+$"})
    assert evaluate(condition, {"body": "a" * 100_000 + "!"}) is False
    assert evaluate(condition, {"body": "a" * 100_000}) is True


def test_regex_input_is_capped() -> None:
    """Only the first 1 MB of a fact is searched."""
    condition = cond({"field": "body", "op": "matches", "value": "needle"})
    assert evaluate(condition, {"body": "x" * 1_000_000 + "needle"}) is False
    assert evaluate(condition, {"body": "needle" + "x" * 1_000_000}) is True


def test_explain_reports_every_node() -> None:
    """explain lists groups and leaves with paths, readable descriptions and outcomes."""
    condition = cond(
        {
            "all": [
                {"field": "title", "op": "contains", "value": "Security"},
                {"not": {"field": "owner", "op": "is_null"}},
                {"any": [{"field": "version", "op": "gt", "value": 5}]},
            ]
        }
    )
    assert explain(condition, FACTS) == [
        ConditionTrace("conditions", "all of 3 conditions", False),
        ConditionTrace("conditions.all[0]", "title contains 'Security'", True),
        ConditionTrace("conditions.all[1]", "not", True),
        ConditionTrace("conditions.all[1].not", "owner is empty", False),
        ConditionTrace("conditions.all[2]", "any of 1 condition", False),
        ConditionTrace("conditions.all[2].any[0]", "version gt 5", False),
    ]
    assert explain(None, FACTS) == []


# --- properties -------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.dates().map(str),
    st.dates(),
    st.datetimes(timezones=st.one_of(st.none(), st.just(dt.UTC))),
)
ANY_VALUE = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = st.sampled_from(["code", "title", "status", "version", "next_review_date", "owner"])
ARBITRARY_FACTS = st.dictionaries(FIELDS, ANY_VALUE, max_size=6)

VALID_LEAVES = st.one_of(
    st.builds(
        lambda f, v: {"field": f, "op": "eq", "value": v},
        st.sampled_from(["code", "title", "owner"]),
        st.text(max_size=5),
    ),
    st.builds(
        lambda v: {"field": "status", "op": "eq", "value": v}, st.sampled_from(list(PolicyStatus))
    ),
    st.builds(lambda v: {"field": "version", "op": "gt", "value": v}, st.integers(-5, 5)),
    st.builds(lambda v: {"field": "title", "op": "contains", "value": v}, st.text(max_size=3)),
    st.builds(lambda f: {"field": f, "op": "is_null"}, FIELDS),
    st.builds(lambda v: {"field": "owner", "op": "in", "value": v}, st.lists(st.text(max_size=3))),
    st.builds(
        lambda v: {"field": "title", "op": "matches", "value": v},
        st.sampled_from(["a", "^$", "x+"]),
    ),
)
CONDITIONS = st.recursive(
    VALID_LEAVES,
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"all": xs})
        | st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"any": xs})
        | inner.map(lambda x: {"not": x})
    ),
    max_leaves=12,
)


@given(st.sampled_from(list(ConditionOp)), FIELDS, ANY_VALUE, ARBITRARY_FACTS)
def test_evaluator_never_raises(
    op: ConditionOp, field: str, value: object, facts: dict[str, object]
) -> None:
    """Any op with any value (even ones validation would refuse) on any facts gives a bool."""
    raw = Leaf.model_construct(field=field, op=op, value=value)  # type: ignore[arg-type]
    assert evaluate(raw, facts) in (True, False)
    assert isinstance(explain(raw, facts), list)


@given(CONDITIONS, ARBITRARY_FACTS)
def test_not_is_negation(data: dict[str, Any], facts: dict[str, object]) -> None:
    """evaluate(not x) == not evaluate(x)."""
    inner = cond(data)
    assert evaluate(NotGroup(not_=inner), facts) is (not evaluate(inner, facts))


@given(st.lists(VALID_LEAVES, min_size=1, max_size=6), ARBITRARY_FACTS)
def test_all_any_agree_with_python(leaves: list[dict[str, Any]], facts: dict[str, object]) -> None:
    """all/any groups agree with Python's all()/any() over their leaves' outcomes."""
    parsed = [cond(x) for x in leaves]
    outcomes = [evaluate(c, facts) for c in parsed]
    assert evaluate(AllGroup(all=parsed), facts) is all(outcomes)
    assert evaluate(AnyGroup(any=parsed), facts) is any(outcomes)


@given(CONDITIONS, ARBITRARY_FACTS)
def test_explain_agrees_with_evaluate(data: dict[str, Any], facts: dict[str, object]) -> None:
    """The first trace (the root) has the same outcome as evaluate."""
    condition = cond(data)
    traces = explain(condition, facts)
    assert traces[0].path == "conditions"
    assert traces[0].passed is evaluate(condition, facts)
