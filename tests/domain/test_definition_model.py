"""Workflow definitions that are valid: defaults, export/import round trip, schema, users."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from governance_desktop.domain.enums import EntityType, PolicyStatus, TriggerType
from governance_desktop.domain.workflow.definition import (
    ApprovalAction,
    AtLeastRule,
    CreateTaskAction,
    Leaf,
    NotGroup,
    OnCreateTrigger,
    OnScheduleTrigger,
    SetStatusAction,
    WorkflowDefinition,
    definition_json_schema,
    definition_to_json,
    parse_definition,
    parse_definition_json,
    referenced_users,
    required_approvals,
)

MINIMAL = {
    "schema_version": 1,
    "name": "  Minimal  ",
    "trigger": {"type": "manual"},
    "actions": [{"type": "set_status", "status": "in_review"}],
}


def test_defaults() -> None:
    """Omitted fields take their documented defaults; segregation of duties is on."""
    defn = parse_definition(MINIMAL)
    assert defn.name == "Minimal"
    assert defn.description == ""
    assert defn.entity_type is EntityType.POLICY
    assert defn.enabled is True
    assert defn.conditions is None
    assert defn.allow_triggered_by_workflows is False
    assert defn.allow_self_approval is False
    assert defn.trigger.type == TriggerType.MANUAL


def test_status_values_become_enums() -> None:
    """Status names in JSON become PolicyStatus members."""
    defn = parse_definition(MINIMAL)
    action = defn.actions[0]
    assert isinstance(action, SetStatusAction)
    assert action.status is PolicyStatus.IN_REVIEW


def test_not_group_uses_alias() -> None:
    """The 'not' key maps to NotGroup.not_ and is exported as 'not'."""
    defn = parse_definition({**MINIMAL, "conditions": {"not": {"field": "owner", "op": "is_null"}}})
    assert isinstance(defn.conditions, NotGroup)
    assert isinstance(defn.conditions.not_, Leaf)
    assert '"not": {' in definition_to_json(defn)


def test_models_can_be_built_in_python() -> None:
    """Other layers can construct definitions directly with enum or string values."""
    defn = WorkflowDefinition(
        schema_version=1,
        name="Built",
        trigger=OnScheduleTrigger(cron="0 7 * * 1"),
        actions=[
            SetStatusAction(status=PolicyStatus.DRAFT),
            ApprovalAction(approvers=["bob", "carol"], rule=AtLeastRule(at_least=2)),
        ],
    )
    assert parse_definition_json(definition_to_json(defn)) == defn


def test_required_approvals() -> None:
    """all needs every approver, any needs one, at_least needs N."""
    assert required_approvals("all", 3) == 3
    assert required_approvals("any", 3) == 1
    assert required_approvals(AtLeastRule(at_least=2), 3) == 2
    approval = ApprovalAction(approvers=["a", "b"])
    assert approval.rule == "all"
    assert approval.required() == 2


def test_create_task_assignee_defaults_to_owner() -> None:
    """A task with no assignee has assignee None (meaning the policy's owner)."""
    action = CreateTaskAction(title="Review {policy.code}")
    assert action.assignee is None
    assert action.due_in_days is None


def test_referenced_users_paths() -> None:
    """referenced_users lists (json path, username) for every user in the actions."""
    defn = parse_definition(
        {
            **MINIMAL,
            "actions": [
                {"type": "assign", "user": "alice"},
                {"type": "notify", "users": ["bob", "carol", "dave"], "title": "t"},
                {"type": "set_status", "status": "draft"},
                {"type": "create_task", "title": "t", "assignee": "erin"},
                {"type": "approval", "approvers": ["frank"]},
                {"type": "create_task", "title": "owner's task"},
            ],
        }
    )
    assert referenced_users(defn) == [
        ("actions[0].user", "alice"),
        ("actions[1].users[0]", "bob"),
        ("actions[1].users[1]", "carol"),
        ("actions[1].users[2]", "dave"),
        ("actions[3].assignee", "erin"),
        ("actions[4].approvers[0]", "frank"),
    ]


def test_json_schema_is_json_and_names_types() -> None:
    """The JSON Schema serialises to JSON and lists every action and trigger type."""
    schema = definition_json_schema()
    text = json.dumps(schema)
    assert json.loads(text) == schema
    actions = schema["properties"]["actions"]["items"]["discriminator"]["mapping"]
    assert set(actions) == {"set_status", "notify", "assign", "create_task", "approval"}
    triggers = schema["properties"]["trigger"]["discriminator"]["mapping"]
    assert set(triggers) == {t.value for t in TriggerType}
    assert "not" in schema["$defs"]["NotGroup"]["properties"]
    assert schema["additionalProperties"] is False


def test_export_is_pretty_and_stable() -> None:
    """Export is indented JSON ending in a newline, and re-exporting gives the same text."""
    defn = WorkflowDefinition(
        schema_version=1,
        name="x",
        trigger=OnCreateTrigger(),
        actions=[SetStatusAction(status="draft")],
    )
    text = definition_to_json(defn)
    assert text.startswith("{\n  ")
    assert text.endswith("}\n")
    assert definition_to_json(parse_definition_json(text)) == text


# --- generated valid definitions ----------------------------------------------------------

USERS = st.from_regex(r"[A-Za-z0-9._@-]{1,10}", fullmatch=True)
STATUS = st.sampled_from([s.value for s in PolicyStatus])
TEXT = st.text(
    alphabet=st.characters(blacklist_characters="{}\x00", blacklist_categories=["Cs"]), max_size=30
) | st.sampled_from(["{policy.code}", "a {{b}} {policy.title}", ""])
DAYS = st.none() | st.integers(0, 3650)


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


LEAVES = st.one_of(
    st.builds(lambda s: {"field": "status", "op": "eq", "value": s}, STATUS),
    st.builds(lambda v: {"field": "old_status", "op": "in", "value": v}, st.lists(STATUS)),
    st.builds(lambda v: {"field": "title", "op": "contains", "value": v}, TEXT),
    st.builds(
        lambda v: {"field": "version", "op": "gte", "value": v},
        st.integers() | st.floats(allow_nan=False, allow_infinity=False),
    ),
    st.builds(lambda v: {"field": "next_review_date", "op": "lt", "value": v}, st.dates().map(str)),
    st.builds(lambda v: {"field": "owner", "op": "is_null", "value": v}, st.none() | st.booleans()),
    st.builds(
        lambda v: {"field": "code", "op": "matches", "value": v}, st.sampled_from(["^POL-", "x|y"])
    ),
)
CONDITIONS = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"all": xs})
        | st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"any": xs})
        | inner.map(lambda x: {"not": x})
    ),
    max_leaves=8,
)
TRIGGERS = st.one_of(
    st.just({"type": "on_create"}),
    st.builds(
        lambda f: _drop_none({"type": "on_update", "fields": f}),
        st.none() | st.lists(st.sampled_from(["title", "body", "owner"]), min_size=1),
    ),
    st.builds(
        lambda a, b: _drop_none({"type": "on_status_change", "from_status": a, "to_status": b}),
        st.none() | STATUS,
        st.none() | STATUS,
    ),
    st.builds(
        lambda c: {"type": "on_schedule", "cron": c},
        st.sampled_from(["0 7 * * 1", "*/5 * * * *", "0 0 1 1-12/3 *"]),
    ),
    st.just({"type": "manual"}),
)


@st.composite
def approvals(draw: st.DrawFn) -> dict[str, Any]:
    """A valid approval action."""
    approvers = draw(st.lists(USERS, min_size=1, max_size=5, unique=True))
    rule = draw(
        st.sampled_from(["all", "any"])
        | st.builds(lambda n: {"at_least": n}, st.integers(1, len(approvers)))
    )
    return _drop_none(
        {
            "type": "approval",
            "approvers": approvers,
            "rule": rule,
            "due_in_days": draw(DAYS),
            "title": draw(TEXT),
        }
    )


ACTIONS = st.one_of(
    st.builds(lambda s: {"type": "set_status", "status": s}, STATUS),
    st.builds(
        lambda u, t, b: {"type": "notify", "users": u, "title": t, "body": b},
        st.lists(USERS, min_size=1, max_size=4),
        TEXT,
        TEXT,
    ),
    st.builds(lambda u: {"type": "assign", "user": u}, USERS),
    st.builds(
        lambda t, a, d: _drop_none(
            {"type": "create_task", "title": t, "assignee": a, "due_in_days": d}
        ),
        TEXT,
        st.none() | USERS,
        DAYS,
    ),
    approvals(),
)
DEFINITIONS = st.builds(
    lambda name, desc, enabled, trigger, conditions, actions, flags: _drop_none(
        {
            "schema_version": 1,
            "name": name,
            "description": desc,
            "enabled": enabled,
            "trigger": trigger,
            "conditions": conditions,
            "actions": actions,
            "allow_triggered_by_workflows": flags[0],
            "allow_self_approval": flags[1],
        }
    ),
    # a name is printable, without invisible or bidi characters (domain.text.check_name)
    st.text(min_size=1, max_size=20).filter(lambda s: s.strip() == s and s and s.isprintable()),
    TEXT,
    st.booleans(),
    TRIGGERS,
    st.none() | CONDITIONS,
    st.lists(ACTIONS, min_size=1, max_size=6),
    st.tuples(st.booleans(), st.booleans()),
)


@settings(max_examples=150)
@given(DEFINITIONS)
def test_generated_definitions_round_trip(data: dict[str, Any]) -> None:
    """Any valid definition parses, and parse(export(x)) == x."""
    defn = parse_definition(data)
    assert parse_definition_json(definition_to_json(defn)) == defn
    assert parse_definition_json(json.dumps(data)) == defn
