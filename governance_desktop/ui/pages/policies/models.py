"""Table models over service dataclasses (policies, and the record tables of the inbox pages).

`RecordTableModel` holds a list of frozen dataclasses and shows one column per getter. On a
refresh with the same keys in the same order it only emits ``dataChanged``, so the selection and
scroll position survive the periodic reloads the job events cause.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPainter, QPalette, QPen, QPixmap

from governance_desktop.domain.enums import PolicyStatus
from governance_desktop.services.dto import PolicyInfo
from governance_desktop.ui.sorted_model import Column as SortColumn
from governance_desktop.ui.sorted_model import SortedTableModel
from governance_desktop.ui.table_model import ColumnsModel

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex
Column = tuple[str, Callable[[Any], object]]
KEY_ROLE = Qt.ItemDataRole.UserRole + 1

#: Small accents only (a dot beside the status); text keeps the palette's colours.
STATUS_COLOURS: dict[str, QColor] = {
    PolicyStatus.DRAFT: QColor("#8a8a8a"),
    PolicyStatus.IN_REVIEW: QColor("#3b82f6"),
    PolicyStatus.AWAITING_APPROVAL: QColor("#f59e0b"),
    PolicyStatus.APPROVED: QColor("#14b8a6"),
    PolicyStatus.PUBLISHED: QColor("#22c55e"),
    PolicyStatus.RETIRED: QColor("#78716c"),
    # executions, approvals and tasks (same hues: green = finished well, red = refused)
    "completed": QColor("#22c55e"),
    "done": QColor("#22c55e"),
    "failed": QColor("#ef4444"),
    "rejected": QColor("#ef4444"),
    "expired": QColor("#8a8a8a"),
}


_DOTS: dict[tuple[str, int], QIcon] = {}


def status_dot(status: str, base: QColor | None = None) -> QIcon | None:
    """A small filled circle in the status colour with a ring that stands out from `base`
    (default: the palette's base colour): lighter on a dark base, darker on a light one, so
    every dot is visible on both (cached per status and base)."""
    colour = STATUS_COLOURS.get(status)
    if colour is None:
        return None
    if base is None:
        base = QGuiApplication.palette().color(QPalette.ColorRole.Base)
    key = (status, base.rgba())
    if key not in _DOTS:
        dark = base.lightnessF() < 0.5
        ring = colour.lighter(175) if dark else colour.darker(160)
        pixmap = QPixmap(10, 10)
        pixmap.fill(QColor(0, 0, 0, 0))
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(ring, 1.5))
        painter.setBrush(colour)
        painter.drawEllipse(1, 1, 8, 8)
        painter.end()
        _DOTS[key] = QIcon(pixmap)
    return _DOTS[key]


def status_label(status: str) -> str:
    """``awaiting_approval`` → ``Awaiting approval``."""
    return status.replace("_", " ").capitalize()


def show(value: object) -> str:
    """How a value reads in a cell: local time to the minute, ISO dates, blanks for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class RecordTableModel(ColumnsModel[T]):
    """Rows of dataclasses; `columns` are (header, getter); `key` identifies a row."""

    def __init__(
        self,
        columns: Sequence[Column],
        key: Callable[[T], Hashable],
        parent: Any = None,
        *,
        bold: Callable[[T], bool] | None = None,
        status_column: int | None = None,
    ) -> None:
        super().__init__(columns, parent)
        self._key = key
        self._bold = bold
        self._status_column = status_column

    # --- Qt model API ---------------------------------------------------------------------

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if not 0 <= column < len(self._columns):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = self._columns[column][1](row)
            if column == self._status_column and isinstance(value, str):
                return status_label(value)
            return show(value)
        if role == KEY_ROLE:
            return self._key(row)
        if role == Qt.ItemDataRole.FontRole and self._bold is not None and self._bold(row):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.DecorationRole and column == self._status_column:
            return status_dot(str(self._columns[column][1](row)))
        return None

    # --- our API --------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[T]) -> bool:
        """Replace the rows; returns True if the model was reset (the keys changed)."""
        rows = list(rows)
        same = len(rows) == len(self._rows) and all(
            self._key(a) == self._key(b) for a, b in zip(rows, self._rows, strict=True)
        )
        if same:
            if rows != self._rows:
                self._rows = rows
                last = self.index(len(rows) - 1, len(self._columns) - 1)
                self.dataChanged.emit(self.index(0, 0), last)
            return False
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()
        return True

    def row(self, number: int) -> T:
        return self._rows[number]

    def find(self, key: Hashable) -> int:
        """The row number of `key`, or -1."""
        for number, row in enumerate(self._rows):
            if self._key(row) == key:
                return number
        return -1


class PoliciesModel(SortedTableModel[PolicyInfo]):
    """The register, lazily: code, title, status, owner, assignee, next review, updated; every
    column sorted in SQL, filtered in SQL by a `PolicyFilter` (services/policy_pages.py)."""

    columns = (
        SortColumn("Code", "code"),
        SortColumn("Title", "title"),
        SortColumn("Status", "status"),
        SortColumn("Owner", "owner"),
        SortColumn("Assignee", "assignee"),
        SortColumn("Next review", "next_review"),
        SortColumn("Updated", "updated"),
    )
    roles = frozenset(
        {
            int(Qt.ItemDataRole.DisplayRole),
            int(Qt.ItemDataRole.ToolTipRole),
            int(Qt.ItemDataRole.DecorationRole),
            int(KEY_ROLE),
        }
    )

    def cell(self, row: PolicyInfo, column: int, role: int) -> Any:
        if role == KEY_ROLE:
            return row.code
        if role == Qt.ItemDataRole.DecorationRole:
            return status_dot(row.status) if column == 2 else None
        if column == 2:
            return status_label(row.status)
        if column == 6:
            return show(row.updated_at.astimezone().date())
        value = (row.code, row.title, None, row.owner, row.assignee, row.next_review_date)[column]
        return show(value)

    def key(self, row: PolicyInfo) -> Hashable:
        return row.code
