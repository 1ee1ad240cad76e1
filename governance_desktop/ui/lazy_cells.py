"""What both lazy table models (`paged_model`, `sorted_model`) answer the same way: a cell
whose page is still loading, the roles they skip at once, and their header text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

LOADING = "…"
DISPLAY_ROLE = int(Qt.ItemDataRole.DisplayRole)
USER_ROLE = int(Qt.ItemDataRole.UserRole)

Index = QModelIndex | QPersistentModelIndex


def lazy_data(
    index: Index,
    role: int,
    roles: frozenset[int] | None,
    row_item: Callable[[int], Any],
    cell: Callable[[Any, int, int], Any],
) -> Any:
    """A view asks each painted cell for ~8 roles: roles outside `roles` are answered None
    first; a row whose page loads shows `LOADING` in its first column; UserRole is the row."""
    if roles is not None and role not in roles and role != USER_ROLE:
        return None
    if not index.isValid():
        return None
    item = row_item(index.row())
    if item is None:
        if role == DISPLAY_ROLE and index.column() == 0:
            return LOADING
        return None
    if role == USER_ROLE:
        return item
    return cell(item, index.column(), role)


def header_text(
    headers: Sequence[str], section: int, orientation: Qt.Orientation, role: int
) -> Any:
    """The horizontal header's text; nothing else."""
    if (
        role == Qt.ItemDataRole.DisplayRole
        and orientation == Qt.Orientation.Horizontal
        and 0 <= section < len(headers)
    ):
        return headers[section]
    return None
