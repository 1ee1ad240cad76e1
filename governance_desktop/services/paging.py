"""Keyset pages over a table's integer primary key, newest first, for lazy GUI tables.

A page is addressed by its offset inside a snapshot (``id <= top_id``), so rows added after
the snapshot do not shift the pages a view has already shown. With the previous page's last
id at hand the next page is a pure keyset read; otherwise one index-only OFFSET query finds
the page's first id and the rows come from a keyset read below it. For a page in the lower
half of the snapshot that OFFSET is counted from the oldest row (ascending), so the last
page of a million rows costs what the first does.

Counting: ``count(*) ... WHERE id <= top`` walks the table's own b-tree (wide rows: about
100 ms per million on the reference machine). Without a filter the count is the whole
table's ``count(*)``, which SQLite takes from its narrowest covering index, minus the few
rows above `top`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

PAGE_SIZE = 500


def snapshot_bounds(
    session: Session,
    id_column: InstrumentedAttribute[int],
    ids: Any,
    where: Sequence[ColumnElement[bool]],
) -> tuple[int, int]:
    """(rows matching `where`, top id of the whole table) at this moment."""
    top = int(session.scalar(select(func.max(id_column))) or 0)
    if not where:
        table = id_column.class_
        everything = int(session.scalar(select(func.count()).select_from(table)) or 0)
        newer = int(session.scalar(select(func.count(id_column)).where(id_column > top)) or 0)
        return max(0, everything - newer), top
    count_query = select(func.count()).select_from(
        ids.where(id_column <= top, *where).order_by(None).subquery()
    )
    return int(session.scalar(count_query) or 0), top


def keyset_page(
    session: Session,
    id_column: InstrumentedAttribute[int],
    ids: Any,
    rows: Any,
    where: Sequence[ColumnElement[bool]],
    *,
    top_id: int,
    offset: int,
    limit: int = PAGE_SIZE,
    after_id: int | None = None,
    total: int | None = None,
) -> Sequence[Any]:
    """Rows ``offset .. offset+limit`` (newest first) of the snapshot below `top_id`.

    `ids` selects the id column with whatever joins `where` needs; `rows` selects the full
    rows with the same joins. `after_id` (the last id of the previous page) skips the OFFSET;
    `total` (the snapshot's row count) lets a page in the lower half count from the bottom.
    """
    # One upper bound on the id only: given `id <= top AND id < after`, SQLite starts its
    # rowid range at `top` and filters the rest row by row (80 ms at the end of a million).
    # `after_id` and the anchor come from inside the snapshot, so they imply `id <= top`.
    in_snapshot = [id_column <= top_id, *where]
    if after_id is not None:
        bound = id_column < after_id
    elif offset > 0:
        if total is not None and offset > total // 2:
            if offset >= total:
                return []
            # The page's first row is the (total - 1 - offset)-th from the oldest.
            anchor = session.scalar(
                ids.where(*in_snapshot)
                .order_by(id_column.asc())
                .offset(total - 1 - offset)
                .limit(1)
            )
        else:
            anchor = session.scalar(
                ids.where(*in_snapshot).order_by(id_column.desc()).offset(offset).limit(1)
            )
        if anchor is None:
            return []
        bound = id_column <= min(int(anchor), top_id)
    else:
        bound = id_column <= top_id
    return session.execute(rows.where(bound, *where).order_by(id_column.desc()).limit(limit)).all()
