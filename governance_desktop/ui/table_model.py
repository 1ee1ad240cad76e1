"""The part every list-backed table model shares: rows of dataclasses, (header, getter) columns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex
Column = tuple[str, Callable[[Any], Any]]


class ColumnsModel(QAbstractTableModel, Generic[T]):
    """Row and column counts and headers; subclasses provide `data` and how rows are set."""

    # Class-level empties: when the collector clears a dead page's cycle it empties the
    # instance dict before Qt destroys the model, and a view still painting then asks for
    # headers and counts; it gets an empty model instead of an AttributeError.
    _columns: list[Column] = []  # noqa: RUF012
    _rows: list[T] = []  # noqa: RUF012

    def __init__(self, columns: Sequence[Column], parent: Any = None) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._rows: list[T] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self._columns)
        ):
            return self._columns[section][0]
        return None

    def rows(self) -> list[T]:
        return list(self._rows)
