"""Turn pydantic's first error into a short message and a JSON path over the real input."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic_core import ErrorDetails

from governance_desktop.domain._common import CUSTOM_ERROR, MAX_ECHO, json_type_name, short_repr
from governance_desktop.domain.enums import ActionType, TriggerType
from governance_desktop.domain.workflow.actions import RULE_SHAPE

ROOT = "(root)"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TAGGED = {"trigger": ("trigger", TriggerType), "actions": ("action", ActionType)}


def _key(key: str) -> str:
    if len(key) <= MAX_ECHO and _IDENTIFIER.fullmatch(key):
        return "." + key
    return "[" + short_repr(key) + "]"


def format_path(segments: Sequence[str | int]) -> str:
    """``actions[2].type`` from ``["actions", 2, "type"]``; ``(root)`` when empty."""
    text = "".join(f"[{s}]" if isinstance(s, int) else _key(s) for s in segments)
    return text.removeprefix(".") or ROOT


def walk_loc(data: object, loc: Sequence[str | int], missing: bool) -> list[str | int]:
    """The segments of ``loc`` that index into ``data`` (plus a final missing key if asked).

    Pydantic adds union tags and validator names to ``loc``; they name no part of the input,
    so they are dropped by walking the input itself.
    """
    segments: list[str | int] = []
    current: Any = data
    for position, seg in enumerate(loc):
        in_dict = isinstance(current, dict) and seg in current
        in_list = (
            isinstance(current, list | tuple)
            and isinstance(seg, int)
            and not isinstance(seg, bool)
            and 0 <= seg < len(current)
        )
        if in_dict or in_list:
            segments.append(seg)
            current = current[seg]
        elif (
            missing
            and position == len(loc) - 1
            and isinstance(current, dict)
            and isinstance(seg, str)
            and seg.isidentifier()
        ):
            segments.append(seg)
    return segments


def _expected_type(err: ErrorDetails, wanted: str) -> str:
    return f"expected {wanted}, got {json_type_name(err.get('input'))}"


_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a JSON object",
    "model_type": "a JSON object",
    "model_attributes_type": "a JSON object",
}


def message_for(err: ErrorDetails, segments: Sequence[str | int]) -> str:
    """A short, one-line message for one pydantic error."""
    kind = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    value = err.get("input")
    if kind == CUSTOM_ERROR:
        return str(ctx["msg"])
    if kind == "missing" or kind == "union_tag_not_found":
        return "field required"
    if kind == "extra_forbidden":
        return f"unknown field {short_repr(segments[-1] if segments else value)}"
    if kind == "union_tag_invalid" and segments and segments[0] in _TAGGED:
        noun, enum_cls = _TAGGED[str(segments[0])]
        tag = value.get("type") if isinstance(value, dict) else ctx.get("tag")
        expected = ", ".join(enum_cls)
        return f"unknown {noun} type {short_repr(tag)} (expected one of: {expected})"
    if kind in _TYPE_WORDS:
        return _expected_type(err, _TYPE_WORDS[kind])
    if kind == "literal_error":
        if list(segments) == ["schema_version"]:
            return f"unsupported schema_version {short_repr(value)} (expected 1)"
        if segments and segments[-1] == "rule":
            return f"unknown rule {short_repr(value)} ({RULE_SHAPE})"
        return f"{short_repr(value)} is not allowed (expected {ctx.get('expected')})"
    if kind == "too_short":
        count = ctx.get("min_length")
        return f"needs at least {count} item{'' if count == 1 else 's'}"
    if kind == "too_long":
        return f"allows at most {ctx.get('max_length')} items, got {ctx.get('actual_length')}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters, got {len(str(value))}"
    if kind == "string_pattern_mismatch":
        return (
            f"{short_repr(value)} is not a valid username "
            "(1-64 letters, digits, '.', '_', '@' or '-')"
        )
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}, got {short_repr(value)}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}, got {short_repr(value)}"
    if kind == "invalid-json-value":
        return f"expected a JSON value, got {json_type_name(value)}"
    return err["msg"].splitlines()[0] if err["msg"] else kind


def _drop_union_tags(loc: Sequence[str | int]) -> list[str | int]:
    """Remove the member tag pydantic puts after ``trigger`` and after ``actions[i]``."""
    parts = list(loc)
    if parts[:1] == ["trigger"] and len(parts) > 1 and parts[1] in set(TriggerType):
        del parts[1]
    elif parts[:1] == ["actions"] and len(parts) > 2 and parts[2] in set(ActionType):
        del parts[2]
    return parts


def translate(data: object, err: ErrorDetails) -> tuple[str, str]:
    """``(message, path)`` for one pydantic error raised while validating ``data``."""
    kind = err["type"]
    loc = _drop_union_tags(err["loc"])
    # A missing field, or a default that failed a check (e.g. "eq" with no value): name it.
    segments = walk_loc(data, loc, missing=kind in ("missing", CUSTOM_ERROR))
    message = message_for(err, segments)
    if kind in ("union_tag_invalid", "union_tag_not_found") and segments:
        segments.append("type")
    return message, format_path(segments)
