"""The workflow file format: one JSON object, validated by Pydantic, with a JSON Schema.

``parse_definition`` reports the first problem as a ``ValidationError`` whose ``path`` is a
JSON path into the input (``actions[2].type``) and whose message is one short line.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    StringConstraints,
    WrapValidator,
)
from pydantic import ValidationError as PydanticValidationError

from governance_desktop.domain._common import (
    enum_validator,
    fail,
    json_type_name,
    one_of,
    short_repr,
)
from governance_desktop.domain.enums import EntityType
from governance_desktop.domain.errors import ValidationError
from governance_desktop.domain.fields import CONDITION_FIELDS, POLICY_FIELDS
from governance_desktop.domain.text import check_name
from governance_desktop.domain.workflow.actions import (
    Action,
    ApprovalAction,
    AssignAction,
    AtLeastRule,
    CreateTaskAction,
    NotifyAction,
    Rule,
    SetStatusAction,
    required_approvals,
)
from governance_desktop.domain.workflow.condition_model import (
    AllGroup,
    AnyGroup,
    Condition,
    ConditionOp,
    Leaf,
    NotGroup,
)
from governance_desktop.domain.workflow.translate import ROOT, format_path, translate
from governance_desktop.domain.workflow.triggers import (
    ManualTrigger,
    OnCreateTrigger,
    OnScheduleTrigger,
    OnStatusChangeTrigger,
    OnUpdateTrigger,
    StatusValue,
    Trigger,
)

__all__ = [
    "CONDITION_FIELDS",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "POLICY_FIELDS",
    "Action",
    "AllGroup",
    "AnyGroup",
    "ApprovalAction",
    "AssignAction",
    "AtLeastRule",
    "Condition",
    "ConditionOp",
    "CreateTaskAction",
    "Leaf",
    "ManualTrigger",
    "NotGroup",
    "NotifyAction",
    "OnCreateTrigger",
    "OnScheduleTrigger",
    "OnStatusChangeTrigger",
    "OnUpdateTrigger",
    "Rule",
    "SetStatusAction",
    "Trigger",
    "WorkflowDefinition",
    "definition_json_schema",
    "definition_to_json",
    "parse_definition",
    "parse_definition_json",
    "referenced_users",
    "required_approvals",
]

MAX_DEPTH = 32
MAX_FILE_BYTES = 1_000_000
_MAX_DIGITS = 4300  # what Python itself will convert


def _schema_version(value: object) -> object:
    if type(value) is not int or value != 1:
        raise fail(f"unsupported schema_version {short_repr(value)} (expected 1)")
    return value


def _workflow_name(name: str) -> str:
    """Blank, invisible or unprintable names are refused; the name is kept in NFC."""
    if not name:
        raise fail("must not be blank")
    try:
        return check_name(name, "name", 200)
    except ValidationError as exc:
        raise fail(exc.message) from None


_EntityTypeValue = Annotated[
    EntityType,
    WrapValidator(
        enum_validator(
            lambda v: (
                f"{short_repr(v)} is not an entity type (expected one of: {one_of(EntityType)})"
            ),
        )
    ),
]


class WorkflowDefinition(BaseModel):
    """A workflow: when it runs (trigger), for which policies (conditions), what it does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Annotated[Literal[1], BeforeValidator(_schema_version)]
    name: Annotated[
        StrictStr,
        StringConstraints(strip_whitespace=True, max_length=200),
        AfterValidator(_workflow_name),
    ]
    description: Annotated[StrictStr, Field(max_length=5000)] = ""
    entity_type: _EntityTypeValue = EntityType.POLICY
    enabled: StrictBool = True
    trigger: Trigger
    conditions: Condition | None = None
    actions: list[Action] = Field(min_length=1, max_length=50)
    allow_triggered_by_workflows: StrictBool = False
    allow_self_approval: StrictBool = False
    # Where a rejection sends the policy (the lifecycle still applies); None: back to draft.
    on_reject: StatusValue | None = None


def _check_depth(data: object) -> None:
    """Refuse containers nested deeper than ``MAX_DEPTH``, without recursion."""
    stack: list[tuple[object, int, tuple[str | int, ...]]] = [(data, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        if not isinstance(node, dict | list | tuple):
            continue
        if depth > MAX_DEPTH:
            raise ValidationError(f"nested deeper than {MAX_DEPTH} levels", format_path(path))
        items = node.items() if isinstance(node, dict) else enumerate(node)
        children = [(v, depth + 1, (*path, k)) for k, v in items if isinstance(v, dict | list)]
        stack.extend(reversed(children))


def _lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text`` (which no UTF-8 file can hold), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return text[exc.start]
    return None


def _check_text(data: object) -> None:
    """Refuse strings and keys holding lone surrogates (``"\\ud800"``): they are not text.
    They would pass validation, then break the export and every UTF-8 consumer later.

    NUL is refused too: PostgreSQL (team mode) cannot store it, so SQLite must not accept it.
    """
    stack: list[tuple[object, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            bad = _lone_surrogate(node)
            if bad is not None:
                message = f"contains {short_repr(bad)}, a lone surrogate that is not valid text"
                raise ValidationError(message, format_path(path))
            if "\x00" in node:
                raise ValidationError(
                    "contains a NUL character (\\x00), which cannot be stored", format_path(path)
                )
            continue
        if isinstance(node, dict):
            children: list[tuple[object, tuple[str | int, ...]]] = []
            for key, value in node.items():
                children.extend([(key, (*path, key)), (value, (*path, key))])
            stack.extend(reversed(children))
        elif isinstance(node, list | tuple):
            stack.extend(reversed([(v, (*path, i)) for i, v in enumerate(node)]))


def parse_definition(data: object) -> WorkflowDefinition:
    """Validate decoded JSON ``data``; raise ``ValidationError`` for the first problem."""
    if not isinstance(data, dict):
        raise ValidationError(f"expected a JSON object, got {json_type_name(data)}", ROOT)
    _check_depth(data)
    _check_text(data)
    try:
        return WorkflowDefinition.model_validate(data)
    except PydanticValidationError as exc:
        message, path = translate(data, exc.errors(include_url=False)[0])
        raise ValidationError(message, path) from None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_DIGITS:  # int() would fail, naming Python internals
        raise ValueError(f"number {short_repr(text)} has more than {_MAX_DIGITS} digits")
    return int(text)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {short_repr(key)}")
        result[key] = value
    return result


def parse_definition_json(text: str | bytes) -> WorkflowDefinition:
    """Parse and validate a workflow file's text (at most 1 MB)."""
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > MAX_FILE_BYTES:
        raise ValidationError(f"file is larger than 1 MB ({size} bytes)", ROOT)
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        data = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_int=_integer,
            object_pairs_hook=_no_duplicate_keys,
        )
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"invalid JSON: {exc.msg}", f"line {exc.lineno} column {exc.colno}"
        ) from None
    except UnicodeDecodeError as exc:
        raise ValidationError(f"invalid JSON: not UTF-8 text ({exc.reason})", ROOT) from None
    except ValueError as exc:
        raise ValidationError(f"invalid JSON: {exc}", ROOT) from None
    except RecursionError:
        raise ValidationError(f"nested deeper than {MAX_DEPTH} levels", ROOT) from None
    return parse_definition(data)


def definition_to_json(defn: WorkflowDefinition) -> str:
    """Pretty JSON for ``defn`` that ``parse_definition_json`` reads back to an equal value."""
    data = defn.model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def definition_json_schema() -> dict[str, Any]:
    """The JSON Schema of the workflow file format."""
    return WorkflowDefinition.model_json_schema(by_alias=True)


def referenced_users(defn: WorkflowDefinition) -> list[tuple[str, str]]:
    """``(json path, username)`` for every user the actions name, in file order."""
    found: list[tuple[str, str]] = []
    for i, action in enumerate(defn.actions):
        at = f"actions[{i}]"
        if isinstance(action, AssignAction):
            found.append((f"{at}.user", action.user))
        elif isinstance(action, NotifyAction):
            found.extend((f"{at}.users[{j}]", user) for j, user in enumerate(action.users))
        elif isinstance(action, CreateTaskAction) and action.assignee is not None:
            found.append((f"{at}.assignee", action.assignee))
        elif isinstance(action, ApprovalAction):
            found.extend((f"{at}.approvers[{j}]", user) for j, user in enumerate(action.approvers))
    return found
