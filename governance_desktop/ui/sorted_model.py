"""A lazy table model sorted and filtered in SQL: any column sorts, any size shows every row.

The Qt half of `services/sorted_pages.py`. The model holds only the pages the view paints
(`PAGE_SIZE` rows each, a few cached), read off the GUI thread through
`ui/background.Background.read`; ``rowCount`` comes from one count query per snapshot.

A page provides the source (its page service) and subclasses with `columns` and `cell`::

    class PoliciesModel(SortedTableModel[PolicyInfo]):
        columns = (Column("Code", "code"), Column("Title", "title"), ...)

        def cell(self, row, column, role): ...
        def key(self, row): return row.code

    model = PoliciesModel(ui.background, ui.app.policy_pages, initial_filter)

The source is anything with (run off the GUI thread)::

    count(filter) -> int
    page(filter, sort: Sort, offset, limit, total) -> list[T]
    position(filter, sort: Sort, key) -> int | None

API (GUI thread):

* ``set_filter(filter)``: a new snapshot under `filter` (the filter object goes to the source
  as is; the model never filters in Python);
* ``sort(column, order)``: Qt's hook (the header's sort indicator calls it): a new snapshot
  ordered in SQL by that column's sort name, the id breaking ties;
* ``refresh()``: a new snapshot under the same filter and order; when the row count is
  unchanged the loaded pages are replaced in place (``dataChanged``, no reset), so the view
  keeps its current row, selection and scroll position;
* ``follow(key)``: the key of the row the page has selected; every snapshot also finds that
  row's position and emits ``located(row)`` (-1: not in the view; nothing when the page
  followed another key meanwhile), so the page can select it again after a sort, a filter
  or a reset;
* ``row_item(row)``: the row's dataclass, or None while its page loads (the page is asked
  for); ``find_loaded(key)``: a loaded row's number, or -1;
* signals: ``reloaded`` (a snapshot was applied), ``located(int)``, ``failed(str)``.

Every read carries the generation it was asked in; a result from an older generation (the
filter or order changed meanwhile) is dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
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

from governance_desktop.services.sorted_pages import Sort
from governance_desktop.ui.background import Background
from governance_desktop.ui.lazy_cells import DISPLAY_ROLE, header_text, lazy_data

PAGE_SIZE = 300
CACHE_PAGES = 8

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex


class PageSource(Protocol[T]):
    """What a page service offers the model (see the module docstring)."""

    def count(self, filter: Any) -> int: ...

    def page(self, filter: Any, sort: Sort, offset: int, limit: int, total: int) -> list[T]: ...

    def position(self, filter: Any, sort: Sort, key: Any) -> int | None: ...


@dataclass(frozen=True)
class Column:
    """A header and the sort name the source accepts for it (None: not sortable)."""

    header: str
    sort: str | None


@dataclass
class _Snapshot(Generic[T]):
    total: int
    pages: dict[int, list[T]]
    position: int | None
    key: Hashable | None


class SortedTableModel(QAbstractTableModel, Generic[T]):
    """Subclasses give `columns` and `cell` (and `key` when rows have no `id`)."""

    reloaded = Signal()
    located = Signal(int)
    failed = Signal(str)

    columns: tuple[Column, ...] = ()
    # The roles `cell` answers (UserRole is always answered: the row's dataclass); None: ask
    # `cell` for every role. A view asks each painted cell for ~8 roles.
    roles: frozenset[int] | None = None

    def __init__(
        self,
        background: Background,
        source: PageSource[T],
        filter: Any = None,
        parent: QObject | None = None,
        *,
        sort: Sort | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(parent)
        self._bg = background
        self._source = source
        self._filter = filter
        first = next((c.sort for c in self.columns if c.sort), "id")
        self._sort = sort or Sort(first)
        self._page_size = page_size
        self._generation = 0
        self._total = 0
        self._pages: OrderedDict[int, list[T]] = OrderedDict()
        self._pending: set[int] = set()
        self._follow: Hashable | None = None
        self.loading = False

    # --- hooks ------------------------------------------------------------------------------

    def cell(self, row: T, column: int, role: int) -> Any:
        raise NotImplementedError

    def key(self, row: T) -> Hashable:
        """What identifies a row across snapshots (`follow`, `find_loaded`)."""
        key: Hashable = getattr(row, "id")  # noqa: B009  (rows without `id` override this)
        return key

    # --- our API ----------------------------------------------------------------------------

    @property
    def filter(self) -> Any:
        return self._filter

    @property
    def order(self) -> Sort:
        return self._sort

    @property
    def generation(self) -> int:
        return self._generation

    def follow(self, key: Hashable | None) -> None:
        self._follow = key

    def set_filter(self, filter: Any) -> None:
        self._filter = filter
        self._snapshot(keep_rows=False)

    def refresh(self) -> None:
        self._snapshot(keep_rows=True)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns) or self.columns[column].sort is None:
            return
        name = self.columns[column].sort
        assert name is not None
        self._sort = Sort(name, order == Qt.SortOrder.DescendingOrder)
        self._snapshot(keep_rows=False)

    def row_item(self, row: int) -> T | None:
        """The row's item if loaded (None while its page loads; the page is asked for)."""
        if row < 0 or row >= self._total:
            return None
        page, i = divmod(row, self._page_size)
        rows = self._pages.get(page)
        if rows is None:
            self._request(page)
            return None
        self._pages.move_to_end(page)
        return rows[i] if i < len(rows) else None

    def find_loaded(self, key: Hashable) -> int:
        """The row number of a loaded row with `key`, or -1."""
        for page, rows in self._pages.items():
            for i, item in enumerate(rows):
                if self.key(item) == key:
                    return page * self._page_size + i
        return -1

    def loaded_rows(self) -> int:
        """How many rows are held in memory (for tests and diagnostics)."""
        return sum(len(rows) for rows in self._pages.values())

    # --- loading ----------------------------------------------------------------------------

    def _snapshot(self, *, keep_rows: bool) -> None:
        self._generation += 1
        generation = self._generation
        self.loading = True
        source, filter, sort, size = self._source, self._filter, self._sort, self._page_size
        keep = self._follow
        # On a refresh, read again the pages the view shows now (most recent first), so the
        # rows change in place instead of flashing "…".
        wanted = list(reversed(self._pages))[:3] if keep_rows else []

        def read() -> _Snapshot[T]:
            total = source.count(filter)
            position = source.position(filter, sort, keep) if keep is not None else None
            numbers = [0, *wanted]
            if position is not None:
                numbers.append(position // size)
            pages: dict[int, list[T]] = {}
            for number in dict.fromkeys(numbers):
                if number * size < total or number == 0:
                    pages[number] = source.page(filter, sort, number * size, size, total)
            return _Snapshot(total, pages, position, keep)

        self._bg.read(read, lambda snap: self._apply(generation, snap, keep_rows), self._fail)

    def _apply(self, generation: int, snap: _Snapshot[T], keep_rows: bool) -> None:
        if not isValid(self) or generation != self._generation:
            return
        self._pending.clear()
        if keep_rows and snap.total == self._total:
            self._pages = OrderedDict(snap.pages)
            if self._total:
                last = self.index(self._total - 1, len(self.columns) - 1)
                self.dataChanged.emit(self.index(0, 0), last)
        else:
            self.beginResetModel()
            self._total = snap.total
            self._pages = OrderedDict(snap.pages)
            self.endResetModel()
        self.loading = False
        self.reloaded.emit()
        if snap.key == self._follow:  # else the page followed another row meanwhile
            self.located.emit(-1 if snap.position is None else snap.position)

    def _fail(self, message: str) -> None:
        if isValid(self):
            self.loading = False
            self.failed.emit(message)

    def _request(self, page: int) -> None:
        if page in self._pending or page in self._pages:
            return
        self._pending.add(page)
        generation = self._generation
        source, filter, sort, size, total = (
            self._source,
            self._filter,
            self._sort,
            self._page_size,
            self._total,
        )
        self._bg.read(
            lambda: source.page(filter, sort, page * size, size, total),
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
        first = page * self._page_size
        last = min(first + self._page_size, self._total) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.columns) - 1))

    # --- Qt model ---------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = DISPLAY_ROLE) -> Any:
        return lazy_data(index, role, self.roles, self.row_item, self.cell)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return header_text([c.header for c in self.columns], section, orientation, role)
