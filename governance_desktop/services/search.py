"""Text search in SQL: the one place that builds LIKE patterns (`%`, `_`, `\\` stay literal)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from governance_desktop.domain.errors import ValidationError
from governance_desktop.domain.text import SEARCH_MAX, check_text


def search_text(text: str, field: str = "search") -> str:
    """``text`` stripped, refused if longer than ``SEARCH_MAX`` or holding NUL (one line, not
    SQLite's "LIKE or GLOB pattern too complex" or a PostgreSQL error)."""
    text = text.strip()
    if len(text) > SEARCH_MAX:
        raise ValidationError(f"longer than {SEARCH_MAX} characters ({len(text):,})", field)
    return check_text(text, field, SEARCH_MAX)


def escape_like(text: str) -> str:
    """``text`` for a LIKE pattern with ``ESCAPE '\\'``: wildcards and backslash literal."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """Case-insensitive: ``column`` holds ``text`` literally."""
    return column.ilike(f"%{escape_like(text)}%", escape="\\")  # type: ignore[no-any-return]
