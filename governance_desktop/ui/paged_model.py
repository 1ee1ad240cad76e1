"""A lazy table model over keyset pages, newest first, loaded off the GUI thread.

Used by the job monitor and the audit page. Rows are addressed inside a snapshot (rows with
``id <= top_id``), so rows that arrive later are kept in a small sorted "head" above the
pages and never shift a page the view has already shown. Only the pages the view paints are
fetched; a few are cached.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from shiboken6 import isValid

from governance_desktop.ui.background import Background
from governance_desktop.ui.lazy_cells import DISPLAY_ROLE, header_text, lazy_data

PAGE_SIZE = 500
CACHE_PAGES = 8
MAX_HEAD = 5000  # more new rows than this since the snapshot: reload instead

Index = QModelIndex | QPersistentModelIndex


class HasId(Protocol):
    @property
    def id(self) -> int: ...


T = TypeVar("T", bound=HasId)


MAX_RUNS = 32  # more changed rows than this: one dataChanged over their whole range


class PagedTableModel(QAbstractTableModel, Generic[T]):
    """Subclasses give `headers`, `snapshot_fn`, `page_fn`, `accepts` and `cell`."""

    failed = Signal(str)
    reloaded = Signal()

    headers: tuple[str, ...] = ()
    # The roles `cell` answers (UserRole is always answered); None: ask `cell` for every
    # role. A view asks each painted cell for ~8 roles: the others are answered None at once.
    roles: frozenset[int] | None = None

    def __init__(self, background: Background, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bg = background
        self._generation = 0
        self._total = 0
        self._top_id = 0
        self._head: list[T] = []  # rows newer than the snapshot, newest first
        self._pages: OrderedDict[int, list[T]] = OrderedDict()
        self._pending: set[int] = set()
        self.loading = False
        self.snapshot_extra: Any = None

    # --- hooks ------------------------------------------------------------------------------

    def snapshot_fn(self) -> Callable[[], tuple[int, int, list[T], Any]]:
        """A function (run off the GUI thread) returning (total, top_id, first page, extra);
        `extra` is kept as `snapshot_extra` (e.g. the change watermark)."""
        raise NotImplementedError

    def page_fn(self, top_id: int, offset: int, after_id: int | None) -> Callable[[], list[T]]:
        raise NotImplementedError

    def accepts(self, row: T) -> bool:
        """Does a row that arrived live belong under the current filter?"""
        return True

    def cell(self, row: T, column: int, role: int) -> Any:
        raise NotImplementedError

    # --- loading ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Take a new snapshot (filter changed, or too much changed to patch in place)."""
        self._generation += 1
        generation = self._generation
        self.loading = True
        self._bg.read(
            self.snapshot_fn(),
            lambda result: self._apply_snapshot(generation, result),
            self._fail,
        )

    def _apply_snapshot(self, generation: int, result: tuple[int, int, list[T], Any]) -> None:
        if not isValid(self) or generation != self._generation:
            return
        total, top_id, first, self.snapshot_extra = result
        self.beginResetModel()
        self._total, self._top_id = total, top_id
        self._head = []
        self._pages.clear()
        self._pending.clear()
        if first:
            self._pages[0] = list(first)
        self.endResetModel()
        self.loading = False
        self.reloaded.emit()

    def _fail(self, message: str) -> None:
        if isValid(self):
            self.loading = False
            self.failed.emit(message)

    def _request(self, page: int) -> None:
        if page in self._pending or page in self._pages:
            return
        self._pending.add(page)
        previous = self._pages.get(page - 1)
        after = previous[-1].id if previous and len(previous) == PAGE_SIZE else None
        generation = self._generation
        self._bg.read(
            self.page_fn(self._top_id, page * PAGE_SIZE, after),
            lambda rows: self._apply_page(generation, page, rows),
            self._fail,
        )

    def _apply_page(self, generation: int, page: int, rows: list[T]) -> None:
        if not isValid(self) or generation != self._generation:
            return
        self._pending.discard(page)
        self._pages[page] = list(rows)
        self._pages.move_to_end(page)
        while len(self._pages) > CACHE_PAGES:
            self._pages.popitem(last=False)
        first = len(self._head) + page * PAGE_SIZE
        last = min(first + PAGE_SIZE, self.rowCount()) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, self.columnCount() - 1))

    def loaded_rows(self) -> int:
        """How many rows are held in memory (for tests and diagnostics)."""
        return len(self._head) + sum(len(rows) for rows in self._pages.values())

    # --- live updates -----------------------------------------------------------------------

    def apply_rows(self, rows: Sequence[T]) -> None:
        """Update loaded rows in place (dataChanged) and insert new matching rows at the top.

        One poll can bring a thousand rows: head rows are found through one id → position
        map per call, page rows by bisection; changed rows are reported per run of adjacent
        rows, and new rows above the head go in as one block.
        """
        if self.loading:
            return  # the snapshot being taken already includes them
        changed: list[int] = []
        fresh: dict[int, T] = {}
        head_at: dict[int, int] | None = None
        for row in rows:
            if row.id > self._top_id:
                if head_at is None:
                    head_at = {item.id: i for i, item in enumerate(self._head)}
                pos = head_at.get(row.id)
                if pos is None:
                    fresh[row.id] = row  # the last version of a row wins
                elif self._head[pos] != row:
                    self._head[pos] = row
                    changed.append(pos)
                continue
            where = self._locate(row.id)
            if where is not None:
                page, i = where
                if self._pages[page][i] != row:
                    self._pages[page][i] = row
                    changed.append(len(self._head) + page * PAGE_SIZE + i)
        self._emit_changed(changed)
        self._insert_new([row for row in fresh.values() if self.accepts(row)])
        if len(self._head) > MAX_HEAD:
            self.reload()

    def _emit_changed(self, rows: list[int]) -> None:
        """One dataChanged per run of adjacent changed rows, so the view repaints those rows
        rather than everything between the first and the last; many runs: one range."""
        if not rows:
            return
        last = self.columnCount() - 1
        rows.sort()
        if len(rows) > MAX_RUNS:
            self.dataChanged.emit(self.index(rows[0], 0), self.index(rows[-1], last))
            return
        start = prev = rows[0]
        for row in rows[1:]:
            if row > prev + 1:
                self.dataChanged.emit(self.index(start, 0), self.index(prev, last))
                start = row
            prev = row
        self.dataChanged.emit(self.index(start, 0), self.index(prev, last))

    def _insert_new(self, rows: list[T]) -> None:
        if not rows:
            return
        rows.sort(key=lambda item: item.id, reverse=True)
        if not self._head or rows[-1].id > self._head[0].id:
            # The usual case: everything is newer than the head, one block on top.
            self.beginInsertRows(QModelIndex(), 0, len(rows) - 1)
            self._head[:0] = rows
            self.endInsertRows()
            return
        for row in rows:  # a late commit below rows already shown: one at a time
            pos = bisect.bisect_left(self._head, -row.id, key=lambda item: -item.id)
            self.beginInsertRows(QModelIndex(), pos, pos)
            self._head.insert(pos, row)
            self.endInsertRows()

    @staticmethod
    def _find(rows: list[T], row_id: int) -> int | None:
        """Where `row_id` is in `rows` (newest first), by bisection."""
        i = bisect.bisect_left(rows, -row_id, key=lambda item: -item.id)
        return i if i < len(rows) and rows[i].id == row_id else None

    def _locate(self, row_id: int) -> tuple[int, int] | None:
        for page, rows in self._pages.items():
            if rows and rows[0].id >= row_id >= rows[-1].id:
                i = self._find(rows, row_id)
                if i is not None:
                    return page, i
        return None

    @property
    def generation(self) -> int:
        return self._generation

    def newest_id(self) -> int:
        return max(self._top_id, self._head[0].id if self._head else 0)

    def row_item(self, row: int) -> T | None:
        """The row's item if loaded (None while its page loads; the page is requested)."""
        if row < 0 or row >= self.rowCount():
            return None
        if row < len(self._head):
            return self._head[row]
        offset = row - len(self._head)
        page, i = divmod(offset, PAGE_SIZE)
        rows = self._pages.get(page)
        if rows is None:
            self._request(page)
            return None
        self._pages.move_to_end(page)
        return rows[i] if i < len(rows) else None

    # --- Qt model ---------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._head) + self._total

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: Index, role: int = DISPLAY_ROLE) -> Any:
        return lazy_data(index, role, self.roles, self.row_item, self.cell)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return header_text(self.headers, section, orientation, role)
