"""The table model of the Users page: one row per user, deactivated ones greyed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from governance_desktop.services.dto import UserInfo
from governance_desktop.ui.table_model import ColumnsModel

Index = QModelIndex | QPersistentModelIndex


def status(user: UserInfo) -> str:
    if user.active:
        return "active"
    when = user.deactivated_at
    return f"deactivated {when.astimezone().date().isoformat()}" if when else "deactivated"


class UsersModel(ColumnsModel[UserInfo]):
    """Name, username, role, status (active, or deactivated on which day), added: who a
    person is first, the login name after it."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [
                ("Name", lambda u: u.display_name),
                ("Username", lambda u: u.username),
                ("Role", lambda u: u.role),
                ("Status", status),
                ("Added", lambda u: u.created_at.astimezone().date().isoformat()),
            ],
            parent,
        )

    def set_rows(self, rows: Sequence[UserInfo]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> UserInfo | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, username: str) -> int:
        return next((i for i, u in enumerate(self._rows) if u.username == username), -1)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.row_at(index.row()) if index.isValid() else None
        if item is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return str(self._columns[index.column()][1](item))
        if role == Qt.ItemDataRole.ForegroundRole and not item.active:
            return QApplication.palette().color(
                QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
            )
        return None
