"""Table models of the Workflows page: workflows, versions, and dry-run rows.

Workflow lists are short (one row per workflow or version), so each model holds its rows;
the page reloads them off the GUI thread and hands them over with ``set_rows``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from governance_desktop.services.dryrun import ActionPreview, ConditionCheck
from governance_desktop.services.dto import WorkflowInfo, WorkflowVersionInfo
from governance_desktop.ui.table_model import ColumnsModel

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex
Column = tuple[str, Callable[[Any], Any]]

TRIGGER_NAMES = {
    "on_create": "Policy created",
    "on_update": "Policy edited",
    "on_status_change": "Status changes",
    "on_schedule": "Schedule",
    "manual": "Manual",
}
PASS_COLOUR = QColor(46, 139, 87)
FAIL_COLOUR = QColor(200, 60, 50)
#: A workflow that lets people approve their own change is shown in this colour everywhere.
SELF_APPROVAL_COLOUR = QColor(192, 57, 43)
SELF_APPROVAL_NOTE = "Allows people to approve their own change (segregation of duties is off)"


class RowsModel(ColumnsModel[T]):
    """A read-only table over a list of dataclasses; columns are (header, getter)."""

    def __init__(self, columns: Sequence[Column]) -> None:
        super().__init__(columns)

    def set_rows(self, rows: Sequence[T]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> T | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = self._columns[index.column()][1](item)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(item, index.column())
        return None

    def foreground(self, item: T, column: int) -> Any:
        return None


class WorkflowListModel(RowsModel[WorkflowInfo]):
    """Name, trigger, enabled, version, description (what tells workflows apart first)."""

    def __init__(self) -> None:
        super().__init__(
            [
                ("Name", lambda w: w.name),
                ("Trigger", lambda w: TRIGGER_NAMES.get(w.trigger_type, w.trigger_type)),
                ("Enabled", lambda w: "yes" if w.enabled else "no"),
                ("Version", lambda w: w.version),
                ("Description", lambda w: w.description),
            ]
        )

    def row_of(self, name: str) -> int:
        return next((i for i, w in enumerate(self._rows) if w.name == name), -1)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.row_at(index.row()) if index.isValid() else None
        if role == Qt.ItemDataRole.ToolTipRole and item is not None and item.allow_self_approval:
            return f"{super().data(index, role)}\n{SELF_APPROVAL_NOTE}"
        return super().data(index, role)

    def foreground(self, item: WorkflowInfo, column: int) -> Any:
        if item.allow_self_approval:
            return SELF_APPROVAL_COLOUR
        if not item.enabled:
            return QApplication.palette().color(
                QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
            )
        return None


class WorkflowVersionsModel(RowsModel[WorkflowVersionInfo]):
    """The stored versions of one workflow, newest first."""

    def __init__(self) -> None:
        super().__init__(
            [
                ("Version", lambda v: v.version),
                ("Published by", lambda v: v.created_by),
                ("Published", lambda v: v.created_at.strftime("%Y-%m-%d %H:%M")),
            ]
        )


class ConditionChecksModel(RowsModel[ConditionCheck]):
    """Each condition group and leaf with pass / fail."""

    def __init__(self) -> None:
        super().__init__(
            [
                ("Condition", lambda c: "    " * c.depth + c.description),
                ("Result", lambda c: "✓ pass" if c.passed else "✗ fail"),
            ]
        )

    def foreground(self, item: ConditionCheck, column: int) -> Any:
        if column == 1:
            return PASS_COLOUR if item.passed else FAIL_COLOUR
        return None


class ActionPreviewsModel(RowsModel[ActionPreview]):
    """What each step would do, and whether it would fail."""

    def __init__(self) -> None:
        super().__init__(
            [
                ("Step", lambda a: a.step),
                ("Would do", lambda a: a.summary + (f"\n{a.detail}" if a.detail else "")),
                ("Check", _check_text),
            ]
        )

    def foreground(self, item: ActionPreview, column: int) -> Any:
        if not item.would_run:
            return QApplication.palette().color(
                QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
            )
        if column == 2:
            return PASS_COLOUR if item.ok else FAIL_COLOUR
        return None


def _check_text(action: ActionPreview) -> str:
    if not action.would_run:
        return "— would not run" + (f" (and ✗ {action.problem})" if not action.ok else "")
    if not action.ok:
        return f"✗ {action.problem}"
    return "✓ ok" if action.reached else "not reached"
