"""Count and pages of one query, sorted in SQL on any whitelisted column, for lazy GUI tables.

The service half of `ui/sorted_model.SortedTableModel`. A page service builds one `SortedPages`
over a Select of the columns a row needs (no ORM objects: `make_row` turns each result row
into a plain dataclass) and answers three reads with it, each for a list of SQL conditions
(the filter) and a `Sort`:

* ``count(where)``: the rows matching (one query per snapshot);
* ``page(where, sort, offset, limit)``: rows ``offset .. offset+limit`` in that order;
* ``position(where, sort, key)``: where the row whose key column equals `key` is (or None),
  so a table can keep or restore its selection by key after a sort, filter or refresh.

Order: ``ORDER BY <sort column> <dir>, id <dir>``: the id breaks ties, so every row has one
place and pages never overlap. Pages are read by LIMIT/OFFSET; a page past the middle is read
in the reverse order from the end (OFFSET counted from the last row) and reversed, so the last
page costs what the first does. Reversing every direction is the exact reverse order on
SQLite and PostgreSQL alike (each puts NULLs at opposite ends for ASC and DESC).

Sort names listed in `nulls_last` put rows without a value last in both directions (an
``IS NULL`` key first; reading from the end reverses it too).

A column that is not in the whitelist is refused (`ValidationError`), never interpolated.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from governance_desktop.domain.errors import ValidationError
from governance_desktop.store.db import Database

T = TypeVar("T")
PAGE_SIZE = 300


@dataclass(frozen=True)
class Sort:
    """Sort by `column` (a name the page service whitelists), descending or not."""

    column: str
    descending: bool = False


class SortedPages(Generic[T]):
    """Sorted, filtered pages of `query` (a Select of the row's columns, joins included).

    `sortable` maps the sort names a ui may ask for to SQL expressions; `id_column` is the
    tiebreaker; `key_column` is what `position` looks a row up by (e.g. a policy's code)."""

    def __init__(
        self,
        db: Database,
        query: Select[Any] | Any,
        *,
        id_column: Any,
        key_column: Any,
        sortable: Mapping[str, Any],
        make_row: Callable[[Any], T],
        nulls_last: Collection[str] = (),
    ) -> None:
        self._db = db
        self._query = query
        self._id = id_column
        self._key = key_column
        self._sortable = dict(sortable)
        self._make_row = make_row
        self._nulls_last = frozenset(nulls_last)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self._sortable)

    def _order(self, sort: Sort, reverse: bool = False) -> list[Any]:
        column = self._sortable.get(sort.column)
        if column is None:
            raise ValidationError(
                f"cannot sort by {sort.column[:40]!r} (one of: {', '.join(self._sortable)})",
                "sort",
            )
        descending = sort.descending != reverse
        first: list[Any] = []
        if sort.column in self._nulls_last:
            missing = column.is_(None)
            first = [missing.desc() if reverse else missing.asc()]
        if descending:
            return [*first, column.desc(), self._id.desc()]
        return [*first, column.asc(), self._id.asc()]

    def count(self, where: Sequence[ColumnElement[bool]]) -> int:
        query = select(func.count()).select_from(
            self._query.with_only_columns(self._id).where(*where).order_by(None).subquery()
        )
        with self._db.reading() as session:
            return int(session.scalar(query) or 0)

    def page(
        self,
        where: Sequence[ColumnElement[bool]],
        sort: Sort,
        offset: int,
        limit: int = PAGE_SIZE,
        total: int | None = None,
    ) -> list[T]:
        """Rows ``offset .. offset+limit`` in `sort` order; `total` (the snapshot's count)
        lets a page past the middle be read from the end."""
        offset = max(0, offset)
        with self._db.reading() as session:
            return self._page(session, where, sort, offset, limit, total)

    def page_in(
        self,
        session: Session,
        where: Sequence[ColumnElement[bool]],
        sort: Sort,
        offset: int,
        limit: int = PAGE_SIZE,
        total: int | None = None,
    ) -> list[T]:
        """`page` in the caller's session (a service that builds its rows from more than one
        query reads them in the same transaction)."""
        return self._page(session, where, sort, max(0, offset), limit, total)

    def _page(
        self,
        session: Session,
        where: Sequence[ColumnElement[bool]],
        sort: Sort,
        offset: int,
        limit: int,
        total: int | None,
    ) -> list[T]:
        query = self._query.where(*where)
        if total is not None and offset > total // 2:
            end = min(total, offset + limit)
            if end <= offset:
                return []
            from_end = total - end
            rows = session.execute(
                query.order_by(*self._order(sort, reverse=True))
                .offset(from_end)
                .limit(end - offset)
            ).all()
            return [self._make_row(row) for row in reversed(rows)]
        rows = session.execute(query.order_by(*self._order(sort)).offset(offset).limit(limit)).all()
        return [self._make_row(row) for row in rows]

    def position(self, where: Sequence[ColumnElement[bool]], sort: Sort, key: object) -> int | None:
        """The row number of the row whose key column is `key` in this order, or None if no
        matching row has it (one window-function query)."""
        number = func.row_number().over(order_by=self._order(sort)).label("n")
        ranked = (
            self._query.with_only_columns(self._key.label("k"), number)
            .where(*where)
            .order_by(None)
            .subquery()
        )
        with self._db.reading() as session:
            found = session.scalar(select(ranked.c.n).where(ranked.c.k == key))
        return None if found is None else int(found) - 1
