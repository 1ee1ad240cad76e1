"""Keyset pages over a table's integer primary key, newest first, for lazy GUI tables.

A page is addressed by its offset inside a snapshot (``id <= top_id``), so rows added after
the snapshot do not shift the pages a view has already shown. With the previous page's last
id at hand the next page is a pure keyset read; otherwise one index-only OFFSET query finds
the page's first id and the rows come from a keyset read below it.
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
) -> Sequence[Any]:
    """Rows ``offset .. offset+limit`` (newest first) of the snapshot below `top_id`.

    `ids` selects the id column with whatever joins `where` needs; `rows` selects the full
    rows with the same joins. `after_id` (the last id of the previous page) skips the OFFSET.
    """
    conditions = [id_column <= top_id, *where]
    if after_id is not None:
        conditions.append(id_column < after_id)
    elif offset > 0:
        anchor = session.scalar(
            ids.where(*conditions).order_by(id_column.desc()).offset(offset).limit(1)
        )
        if anchor is None:
            return []
        conditions.append(id_column <= anchor)
    return session.execute(rows.where(*conditions).order_by(id_column.desc()).limit(limit)).all()
