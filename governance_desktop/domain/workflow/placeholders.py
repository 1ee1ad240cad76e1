"""``{policy.field}`` placeholders in action text: an allow-list, never attribute access.

``{{`` and ``}}`` stand for literal braces. User text is never passed to ``str.format``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

PLACEHOLDER_FIELDS: tuple[str, ...] = (
    "code",
    "title",
    "status",
    "owner",
    "assignee",
    "next_review_date",
    "version",
    "review_interval_days",
)

_PREFIX = "policy."
_ECHO = 40


@dataclass(frozen=True, slots=True)
class _Field:
    name: str


def _allowed() -> str:
    return ", ".join("{" + _PREFIX + name + "}" for name in PLACEHOLDER_FIELDS)


def _echo(text: str) -> str:
    return text if len(text) <= _ECHO else text[: _ECHO - 1] + "…"


def _tokens(text: str) -> list[str | _Field]:
    """Split ``text`` into literal pieces and fields; raise ``ValueError`` on a bad template."""
    tokens: list[str | _Field] = []
    literal: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "}":
            if text.startswith("}}", i):
                literal.append("}")
                i += 2
                continue
            raise ValueError(
                f"unbalanced '}}' at character {i + 1} (write '}}}}' for a literal brace)"
            )
        if char != "{":
            literal.append(char)
            i += 1
            continue
        if text.startswith("{{", i):
            literal.append("{")
            i += 2
            continue
        end = text.find("}", i + 1)
        inner_open = text.find("{", i + 1)
        if end == -1 or (inner_open != -1 and inner_open < end):
            raise ValueError(
                f"unbalanced '{{' at character {i + 1} (write '{{{{' for a literal brace)"
            )
        name = text[i + 1 : end]
        field = name[len(_PREFIX) :] if name.startswith(_PREFIX) else None
        if field not in PLACEHOLDER_FIELDS:
            shown = _echo(repr(name)[1:-1])
            raise ValueError(f"unknown placeholder {{{shown}}} (allowed: {_allowed()})")
        if literal:
            tokens.append("".join(literal))
            literal = []
        tokens.append(_Field(field))
        i = end + 1
    if literal:
        tokens.append("".join(literal))
    return tokens


def check_template(text: str) -> None:
    """Raise ``ValueError`` naming the first unknown placeholder or unbalanced brace."""
    _tokens(text)


def placeholders_in(text: str) -> list[str]:
    """The field names ``text`` refers to, in order (the template must be valid)."""
    return [t.name for t in _tokens(text) if isinstance(t, _Field)]


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def render(text: str, values: Mapping[str, object]) -> str:
    """Fill ``text``'s placeholders from ``values`` (keyed by bare field name; None → "")."""
    parts = [
        _as_text(values.get(token.name)) if isinstance(token, _Field) else token
        for token in _tokens(text)
    ]
    return "".join(parts)
