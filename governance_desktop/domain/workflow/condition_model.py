"""Condition models: nested ``all`` / ``any`` / ``not`` groups over ``{field, op, value}``."""

from __future__ import annotations

import datetime as dt
import math
from enum import StrEnum
from typing import Annotated, Any, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    StrictStr,
    Tag,
    ValidationInfo,
    WrapValidator,
    field_validator,
)

from governance_desktop.domain._common import (
    bad_status_message,
    enum_validator,
    fail,
    json_type_name,
    one_of,
    short_repr,
)
from governance_desktop.domain.enums import PolicyStatus
from governance_desktop.domain.fields import CONDITION_FIELDS, STATUS_FIELDS
from governance_desktop.domain.regex import MAX_PATTERN_LENGTH, compile_pattern

CONDITION_SHAPE = (
    'a condition must be {"all": [...]}, {"any": [...]}, {"not": {...}} or {"field", "op", "value"}'
)


class ConditionOp(StrEnum):
    """Comparison operators of a condition leaf."""

    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    IS_NULL = "is_null"
    MATCHES = "matches"


ORDERING_OPS = frozenset({ConditionOp.GT, ConditionOp.GTE, ConditionOp.LT, ConditionOp.LTE})

_OpType = Annotated[
    ConditionOp,
    WrapValidator(
        enum_validator(
            lambda v: f"unknown op {short_repr(v)} (expected one of: {one_of(ConditionOp)})",
        )
    ),
]


def is_scalar(value: object) -> bool:
    """True for a JSON string, boolean or finite number (not null, list or object)."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | int)


def parse_iso(text: str) -> dt.date | dt.datetime | None:
    """``text`` as an ISO date or date-time, or None if it is neither."""
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _check_status(field: str, value: object) -> None:
    if field in STATUS_FIELDS and value not in set(PolicyStatus):
        raise fail(bad_status_message(value))


def _check_value(field: str, op: ConditionOp, value: JsonValue) -> None:
    """Raise a clear error unless ``value`` suits ``op`` (and ``field``)."""
    if op in (ConditionOp.IN, ConditionOp.NOT_IN):
        if not isinstance(value, list) or not all(is_scalar(v) for v in value):
            raise fail(
                f"{op} needs a list of strings, numbers or booleans, got {json_type_name(value)}"
            )
        for item in value:
            _check_status(field, item)
    elif op is ConditionOp.CONTAINS:
        if not isinstance(value, str):
            raise fail(f"contains needs a string, got {json_type_name(value)}")
    elif op in ORDERING_OPS:
        number = isinstance(value, int | float) and not isinstance(value, bool) and is_scalar(value)
        if not number and not (isinstance(value, str) and parse_iso(value) is not None):
            raise fail(f"{op} needs a number or an ISO date, got {short_repr(value)}")
    elif op is ConditionOp.IS_NULL:
        if value is not None and not isinstance(value, bool):
            raise fail(f"is_null takes true or false, got {short_repr(value)}")
    elif op is ConditionOp.MATCHES:
        if not isinstance(value, str):
            raise fail(f"matches needs a pattern string, got {json_type_name(value)}")
        if len(value) > MAX_PATTERN_LENGTH:
            raise fail(f"pattern is longer than {MAX_PATTERN_LENGTH} characters")
        try:
            compile_pattern(value)
        except ValueError as exc:
            raise fail(str(exc)) from None
    else:
        if value is None:
            raise fail(f"{op} needs a value (use is_null to test for an empty field)")
        if not is_scalar(value):
            raise fail(f"{op} needs a string, number or boolean, got {json_type_name(value)}")
        _check_status(field, value)


class Leaf(BaseModel):
    """One test: ``field`` ``op`` ``value`` (e.g. title contains "Security")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: StrictStr
    op: _OpType
    value: JsonValue = Field(default=None, validate_default=True)

    @field_validator("field")
    @classmethod
    def _known_field(cls, field: str) -> str:
        if field not in CONDITION_FIELDS:
            allowed = one_of(CONDITION_FIELDS)
            raise fail(f"unknown field {short_repr(field)} (allowed: {allowed})")
        return field

    @field_validator("value")
    @classmethod
    def _value_suits_op(cls, value: JsonValue, info: ValidationInfo) -> JsonValue:
        field, op = info.data.get("field"), info.data.get("op")
        if isinstance(field, str) and isinstance(op, ConditionOp):
            _check_value(field, op, value)
        return value


class AllGroup(BaseModel):
    """True when every condition in ``all`` is true."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    all: list[Condition] = Field(min_length=1)


class AnyGroup(BaseModel):
    """True when at least one condition in ``any`` is true."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    any: list[Condition] = Field(min_length=1)


class NotGroup(BaseModel):
    """True when the condition under ``not`` is false."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True
    )

    not_: Condition = Field(alias="not")


_TAGS = {"all": "all-group", "any": "any-group", "not": "not-group"}
_MODEL_TAGS: dict[type[BaseModel], str] = {
    AllGroup: "all-group",
    AnyGroup: "any-group",
    NotGroup: "not-group",
    Leaf: "leaf",
}


def _condition_tag(value: Any) -> str | None:
    """Which kind of condition ``value`` is meant to be, or None if it is none of them."""
    if isinstance(value, dict):
        for key, tag in _TAGS.items():
            if key in value:
                return tag
        return "leaf" if "field" in value or "op" in value else None
    return _MODEL_TAGS.get(type(value))


Condition: TypeAlias = Annotated[
    Annotated[AllGroup, Tag("all-group")]
    | Annotated[AnyGroup, Tag("any-group")]
    | Annotated[NotGroup, Tag("not-group")]
    | Annotated[Leaf, Tag("leaf")],
    Discriminator(
        _condition_tag,
        custom_error_type="condition_shape",
        custom_error_message=CONDITION_SHAPE,
    ),
]

AllGroup.model_rebuild()
AnyGroup.model_rebuild()
NotGroup.model_rebuild()
