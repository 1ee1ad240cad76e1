"""Workflow definition validation: each bad input gives the expected JSON path and message."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from governance_desktop.domain.errors import ValidationError
from governance_desktop.domain.workflow.definition import (
    MAX_DEPTH,
    parse_definition,
    parse_definition_json,
)

STATUSES = "draft, in_review, awaiting_approval, approved, published, retired"
ACTIONS = "set_status, notify, assign, create_task, approval"
TRIGGERS = "on_create, on_update, on_status_change, on_schedule, manual"
SHAPE = (
    'a condition must be {"all": [...]}, {"any": [...]}, {"not": {...}} or {"field", "op", "value"}'
)


def valid() -> dict[str, Any]:
    """A fresh copy of the DESIGN.md example."""
    return {
        "schema_version": 1,
        "name": "Announce published security policies",
        "trigger": {"type": "on_status_change", "to_status": "published"},
        "conditions": {"all": [{"field": "title", "op": "contains", "value": "Security"}]},
        "actions": [
            {"type": "assign", "user": "alice"},
            {"type": "create_task", "title": "Brief {policy.code}", "assignee": "alice"},
            {"type": "notify", "users": ["alice", "bob"], "title": "{policy.code} is out"},
            {"type": "approval", "approvers": ["bob", "carol"], "rule": "all"},
            {"type": "set_status", "status": "retired"},
        ],
    }


def error_for(mutate: Callable[[dict[str, Any]], object]) -> tuple[str, str]:
    """(path, message) of the error parse_definition raises after ``mutate``."""
    data = valid()
    mutate(data)
    with pytest.raises(ValidationError) as info:
        parse_definition(data)
    return info.value.path, info.value.message


def _deep(levels: int) -> object:
    value: object = 1
    for _ in range(levels):
        value = [value]
    return value


CASES: list[tuple[str, Callable[[dict[str, Any]], object], str, str]] = [
    (
        "unknown action type",
        lambda d: d["actions"][2].update(type="foo"),
        "actions[2].type",
        f"unknown action type 'foo' (expected one of: {ACTIONS})",
    ),
    (
        "missing action type",
        lambda d: d["actions"][2].pop("type"),
        "actions[2].type",
        "field required",
    ),
    (
        "action not an object",
        lambda d: d["actions"].__setitem__(1, "assign"),
        "actions[1]",
        "expected a JSON object, got a string",
    ),
    (
        "unknown trigger type",
        lambda d: d.update(trigger={"type": "x"}),
        "trigger.type",
        f"unknown trigger type 'x' (expected one of: {TRIGGERS})",
    ),
    (
        "bad status in trigger",
        lambda d: d["trigger"].update(to_status="nope"),
        "trigger.to_status",
        f"'nope' is not a status (expected one of: {STATUSES})",
    ),
    (
        "bad status in action",
        lambda d: d["actions"][4].update(status="Published"),
        "actions[4].status",
        f"'Published' is not a status (expected one of: {STATUSES})",
    ),
    (
        "bad cron",
        lambda d: d.update(trigger={"type": "on_schedule", "cron": "61 * * * *"}),
        "trigger.cron",
        "invalid cron expression: minute field: 61 is out of range 0-59",
    ),
    (
        "missing cron",
        lambda d: d.update(trigger={"type": "on_schedule"}),
        "trigger.cron",
        "field required",
    ),
    (
        "unknown on_update field",
        lambda d: d.update(trigger={"type": "on_update", "fields": ["title", "colour"]}),
        "trigger.fields[1]",
        "unknown field 'colour' (allowed: code, title, body, status, owner, assignee, "
        "review_interval_days, next_review_date, version, created_by, updated_by)",
    ),
    (
        "unknown condition field",
        lambda d: d["conditions"]["all"][0].update(field="foo"),
        "conditions.all[0].field",
        "unknown field 'foo' (allowed: code, title, body, status, old_status, owner, assignee, "
        "review_interval_days, next_review_date, version, created_by, updated_by)",
    ),
    (
        "unknown condition op",
        lambda d: d["conditions"]["all"][0].update(op="like"),
        "conditions.all[0].op",
        "unknown op 'like' (expected one of: eq, ne, in, not_in, contains, gt, gte, lt, lte, "
        "is_null, matches)",
    ),
    (
        "condition of no known shape",
        lambda d: d["conditions"]["all"].append({"colour": "red"}),
        "conditions.all[1]",
        SHAPE,
    ),
    (
        "condition that is not an object",
        lambda d: d.update(conditions=["title"]),
        "conditions",
        SHAPE,
    ),
    (
        "empty all group",
        lambda d: d.update(conditions={"all": []}),
        "conditions.all",
        "needs at least 1 item",
    ),
    (
        "bad status value in nested not",
        lambda d: d.update(conditions={"not": {"field": "old_status", "op": "eq", "value": "x"}}),
        "conditions.not.value",
        f"'x' is not a status (expected one of: {STATUSES})",
    ),
    (
        "bad status value inside an in list",
        lambda d: d.update(
            conditions={"any": [{"field": "status", "op": "in", "value": ["draft", "gone"]}]}
        ),
        "conditions.any[0].value",
        f"'gone' is not a status (expected one of: {STATUSES})",
    ),
    (
        "in needs a list",
        lambda d: d.update(conditions={"field": "owner", "op": "in", "value": "alice"}),
        "conditions.value",
        "in needs a list of strings, numbers or booleans, got a string",
    ),
    (
        "contains needs a string",
        lambda d: d.update(conditions={"field": "title", "op": "contains", "value": 3}),
        "conditions.value",
        "contains needs a string, got a number",
    ),
    (
        "gt needs a number or date",
        lambda d: d.update(conditions={"field": "version", "op": "gt", "value": "three"}),
        "conditions.value",
        "gt needs a number or an ISO date, got 'three'",
    ),
    (
        "is_null takes a boolean",
        lambda d: d.update(conditions={"field": "owner", "op": "is_null", "value": "yes"}),
        "conditions.value",
        "is_null takes true or false, got 'yes'",
    ),
    (
        "eq without value",
        lambda d: d.update(conditions={"field": "owner", "op": "eq"}),
        "conditions.value",
        "eq needs a value (use is_null to test for an empty field)",
    ),
    (
        "eq with an object",
        lambda d: d.update(conditions={"field": "owner", "op": "eq", "value": {"a": 1}}),
        "conditions.value",
        "eq needs a string, number or boolean, got an object",
    ),
    (
        "bad regex",
        lambda d: d.update(conditions={"field": "title", "op": "matches", "value": "(a"}),
        "conditions.value",
        "invalid pattern: missing ): (a",
    ),
    (
        "lookbehind is not linear-time",
        lambda d: d.update(conditions={"field": "title", "op": "matches", "value": "(?<=a)b"}),
        "conditions.value",
        "invalid pattern: invalid perl operator: (?<=",
    ),
    (
        "regex too long",
        lambda d: d.update(conditions={"field": "title", "op": "matches", "value": "a" * 501}),
        "conditions.value",
        "pattern is longer than 500 characters",
    ),
    ("missing name", lambda d: d.pop("name"), "name", "field required"),
    ("missing actions", lambda d: d.pop("actions"), "actions", "field required"),
    ("missing trigger", lambda d: d.pop("trigger"), "trigger", "field required"),
    ("blank name", lambda d: d.update(name="   "), "name", "must not be blank"),
    (
        "long name",
        lambda d: d.update(name="n" * 201),
        "name",
        "must be at most 200 characters, got 201",
    ),
    ("no actions", lambda d: d.update(actions=[]), "actions", "needs at least 1 item"),
    (
        "too many actions",
        lambda d: d.update(actions=[{"type": "assign", "user": "bob"}] * 51),
        "actions",
        "allows at most 50 items, got 51",
    ),
    (
        "bool given as int",
        lambda d: d.update(enabled=1),
        "enabled",
        "expected true or false, got a number",
    ),
    (
        "int given as string",
        lambda d: d["actions"][1].update(due_in_days="3"),
        "actions[1].due_in_days",
        "expected an integer, got a string",
    ),
    (
        "int given as bool",
        lambda d: d["actions"][1].update(due_in_days=True),
        "actions[1].due_in_days",
        "expected an integer, got a boolean",
    ),
    (
        "int given as float",
        lambda d: d["actions"][1].update(due_in_days=3.0),
        "actions[1].due_in_days",
        "expected an integer, got a number",
    ),
    (
        "due_in_days out of range",
        lambda d: d["actions"][1].update(due_in_days=3651),
        "actions[1].due_in_days",
        "must be at most 3650, got 3651",
    ),
    (
        "string given as number",
        lambda d: d["actions"][0].update(user=7),
        "actions[0].user",
        "expected a string, got a number",
    ),
    (
        "schema_version true",
        lambda d: d.update(schema_version=True),
        "schema_version",
        "unsupported schema_version True (expected 1)",
    ),
    (
        "schema_version 2",
        lambda d: d.update(schema_version=2),
        "schema_version",
        "unsupported schema_version 2 (expected 1)",
    ),
    ("extra top-level key", lambda d: d.update(colour="red"), "colour", "unknown field 'colour'"),
    (
        "extra action key",
        lambda d: d["actions"][3].update(colour="red"),
        "actions[3].colour",
        "unknown field 'colour'",
    ),
    (
        "extra key that is no identifier",
        lambda d: d["trigger"].update({"to status": "draft"}),
        "trigger['to status']",
        "unknown field 'to status'",
    ),
    (
        "bad placeholder",
        lambda d: d["actions"][1].update(title="Hi {policy.__class__}"),
        "actions[1].title",
        "unknown placeholder {policy.__class__} (allowed: {policy.code}, {policy.title}, "
        "{policy.status}, {policy.owner}, {policy.assignee}, {policy.next_review_date}, "
        "{policy.version}, {policy.review_interval_days})",
    ),
    (
        "unbalanced brace",
        lambda d: d["actions"][2].update(body="{ oops"),
        "actions[2].body",
        "unbalanced '{' at character 1 (write '{{' for a literal brace)",
    ),
    (
        "at_least more than approvers",
        lambda d: d["actions"][3].update(rule={"at_least": 3}),
        "actions[3].rule",
        "at_least 3 is more than the 2 approvers",
    ),
    (
        "at_least zero",
        lambda d: d["actions"][3].update(rule={"at_least": 0}),
        "actions[3].rule.at_least",
        "must be at least 1, got 0",
    ),
    (
        "unknown rule word",
        lambda d: d["actions"][3].update(rule="most"),
        "actions[3].rule",
        """unknown rule 'most' (rule must be "all", "any" or {"at_least": N})""",
    ),
    (
        "rule of wrong type",
        lambda d: d["actions"][3].update(rule=2),
        "actions[3].rule",
        """rule must be "all", "any" or {"at_least": N}""",
    ),
    (
        "bad username",
        lambda d: d["actions"][2].update(users=["alice", "bo b"]),
        "actions[2].users[1]",
        "'bo b' is not a valid username (1-64 letters, digits, '.', '_', '@' or '-')",
    ),
    (
        "duplicate approver",
        lambda d: d["actions"][3].update(approvers=["bob", "bob"]),
        "actions[3].approvers",
        "approver 'bob' is listed twice",
    ),
    (
        "unknown entity type",
        lambda d: d.update(entity_type="task"),
        "entity_type",
        "'task' is not an entity type (expected one of: policy)",
    ),
    (
        "too-deep nesting",
        lambda d: d["actions"][0].update(extra=_deep(40)),
        "actions[0].extra" + "[0]" * (MAX_DEPTH - 3),
        f"nested deeper than {MAX_DEPTH} levels",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "message"),
    [pytest.param(m, p, msg, id=name) for name, m, p, msg in CASES],
)
def test_bad_input_gives_path_and_message(
    mutate: Callable[[dict[str, Any]], object], path: str, message: str
) -> None:
    """The first problem is reported with a JSON path over the input and a short message."""
    assert error_for(mutate) == (path, message)


def test_root_must_be_an_object() -> None:
    """A JSON value that is not an object is a root-level problem."""
    with pytest.raises(ValidationError) as info:
        parse_definition([1, 2])
    assert (info.value.path, info.value.message) == ("(root)", "expected a JSON object, got a list")


def test_long_values_are_cut_and_kept_on_one_line() -> None:
    """Echoed values are truncated and newlines stay escaped, so messages are one line."""
    path, message = error_for(lambda d: d["actions"][4].update(status="bad\n" * 1000))
    assert path == "actions[4].status"
    assert "\n" not in message
    assert len(message) < 200


def test_deep_conditions_are_refused_before_validation() -> None:
    """Hostile deep nesting of groups is refused with a path, not a RecursionError."""
    cond: dict[str, Any] = {"field": "title", "op": "eq", "value": "x"}
    for _ in range(10_000):
        cond = {"not": cond}
    path, message = error_for(lambda d: d.update(conditions=cond))
    assert message == f"nested deeper than {MAX_DEPTH} levels"
    assert path.startswith("conditions.not.not.")


def test_error_str_is_path_colon_message() -> None:
    """str(ValidationError) is '<path>: <message>', ready for 'error: <file>: ...'."""
    with pytest.raises(ValidationError) as info:
        parse_definition({**valid(), "colour": 1})
    assert str(info.value) == "colour: unknown field 'colour'"


def test_malformed_json_reports_line_and_column() -> None:
    """Malformed JSON gives 'invalid JSON: <reason>' at 'line L column C'."""
    text = '{\n  "schema_version": 1,\n  "name": ,\n}'
    with pytest.raises(ValidationError) as info:
        parse_definition_json(text)
    assert info.value.path == "line 3 column 11"
    assert info.value.message == "invalid JSON: Expecting value"


def test_nan_is_not_json() -> None:
    """Python's NaN/Infinity extensions are refused as invalid JSON."""
    with pytest.raises(ValidationError, match="invalid JSON: NaN is not valid JSON"):
        parse_definition_json('{"schema_version": NaN}')


def test_duplicate_keys_are_refused() -> None:
    """A key given twice in one object is refused instead of silently keeping the last."""
    with pytest.raises(ValidationError, match="invalid JSON: duplicate key 'name'"):
        parse_definition_json('{"name": "a", "name": "b"}')


def test_bad_utf8_is_invalid_json() -> None:
    """Bytes that are not UTF-8 are refused as invalid JSON."""
    with pytest.raises(ValidationError, match="invalid JSON: not UTF-8"):
        parse_definition_json(b'{"name": "\xff"}')


def test_deep_json_text_is_refused() -> None:
    """Text nested far beyond the limit is refused without a crash."""
    with pytest.raises(ValidationError, match="nested deeper than"):
        parse_definition_json("[" * 200_000 + "]" * 200_000)


def test_large_file_is_refused() -> None:
    """A file over 1 MB is refused before parsing."""
    data = valid()
    data["description"] = "x" * 1_000_001
    with pytest.raises(ValidationError, match="larger than 1 MB") as info:
        parse_definition_json(json.dumps(data))
    assert info.value.path == "(root)"


def test_bytes_with_bom_are_accepted() -> None:
    """UTF-8 bytes with a byte-order mark parse like text."""
    text = json.dumps(valid())
    assert parse_definition_json(b"\xef\xbb\xbf" + text.encode()) == parse_definition_json(text)


def test_input_is_not_modified() -> None:
    """Validation does not change the caller's data."""
    data = valid()
    before = copy.deepcopy(data)
    parse_definition(data)
    assert data == before
