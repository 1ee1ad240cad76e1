"""The audit page's reads: filtered keyset pages of audit events (newest first), and the
filter the page and its export share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select

from governance_desktop.domain.errors import ValidationError
from governance_desktop.services.dto import AuditEventInfo
from governance_desktop.services.paging import PAGE_SIZE, keyset_page, snapshot_bounds
from governance_desktop.services.search import contains, search_text
from governance_desktop.store.db import Database
from governance_desktop.store.models import AuditEvent


def audit_info(row: AuditEvent) -> AuditEventInfo:
    return AuditEventInfo(
        row.id,
        row.occurred_at,
        row.actor,
        row.action,
        row.entity_type,
        row.entity_id,
        dict(row.details),
        row.hash,
        row.prev_hash,
    )


@dataclass(frozen=True)
class AuditFilter:
    """Case-insensitive 'contains' on actor, action and entity (type or id); empty: any.
    ``since`` (inclusive) and ``until`` (exclusive) bound the time, as UTC instants (the page
    turns the local calendar dates a person types into them: `day_bounds`)."""

    actor: str = ""
    action: str = ""
    entity: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    @property
    def is_empty(self) -> bool:
        return self == AuditFilter()

    def describe(self) -> str:
        """One line naming the filter (the export's chain file keeps it)."""
        named = (("actor", self.actor), ("action", self.action), ("entity", self.entity))
        parts = [f"{name}~{value.strip()!r}" for name, value in named if value.strip()]
        if self.since is not None:
            parts.append(f"from {self.since.isoformat()}")
        if self.until is not None:
            parts.append(f"before {self.until.isoformat()}")
        return " ".join(parts) or "none"

    def conditions(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.since is not None:
            where.append(AuditEvent.occurred_at >= self.since)
        if self.until is not None:
            where.append(AuditEvent.occurred_at < self.until)
        actor, action = search_text(self.actor, "actor"), search_text(self.action, "action")
        text = search_text(self.entity, "entity")
        if actor:
            where.append(contains(AuditEvent.actor, actor))
        if action:
            where.append(contains(AuditEvent.action, action))
        if text:
            where.append(
                or_(contains(AuditEvent.entity_id, text), contains(AuditEvent.entity_type, text))
            )
        return where

    def matches(self, event: AuditEventInfo) -> bool:
        """The same test in Python, for events that arrive after the snapshot."""

        def has(value: str, text: str) -> bool:
            return text.strip().lower() in value.lower()

        return (
            (self.since is None or event.occurred_at >= self.since)
            and (self.until is None or event.occurred_at < self.until)
            and has(event.actor, self.actor)
            and has(event.action, self.action)
            and (has(event.entity_id, self.entity) or has(event.entity_type, self.entity))
        )


def day_bounds(
    first: dt.date | None, last: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The UTC instants from the start of local calendar day ``first`` to the end of
    ``last`` (docs/dates-and-times.md); refused if ``last`` comes before ``first``."""
    if first is not None and last is not None and last < first:
        raise ValidationError(f"the range ends ({last}) before it starts ({first})", "dates")

    def start(day: dt.date) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day).astimezone().astimezone(dt.UTC)

    since = start(first) if first is not None else None
    until = start(last + dt.timedelta(days=1)) if last is not None else None
    return since, until


@dataclass(frozen=True)
class AuditSnapshot:
    total: int
    top_id: int
    first_page: list[AuditEventInfo]


class AuditPages:
    """Lazy, filtered reads of the (append-only) audit trail."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def snapshot(self, flt: AuditFilter, page_size: int = PAGE_SIZE) -> AuditSnapshot:
        where = flt.conditions()
        ids, rows = select(AuditEvent.id), select(AuditEvent)
        with self._db.reading() as session:
            total, top = snapshot_bounds(session, AuditEvent.id, ids, where)
            first = keyset_page(
                session, AuditEvent.id, ids, rows, where, top_id=top, offset=0, limit=page_size
            )
            return AuditSnapshot(total, top, [audit_info(row[0]) for row in first])

    def page(
        self,
        flt: AuditFilter,
        top_id: int,
        offset: int,
        limit: int = PAGE_SIZE,
        after_id: int | None = None,
    ) -> list[AuditEventInfo]:
        with self._db.reading() as session:
            found = keyset_page(
                session,
                AuditEvent.id,
                select(AuditEvent.id),
                select(AuditEvent),
                flt.conditions(),
                top_id=top_id,
                offset=offset,
                limit=limit,
                after_id=after_id,
            )
            return [audit_info(row[0]) for row in found]

    def newer(self, after_id: int, limit: int = 1000) -> list[AuditEventInfo]:
        """Events appended after `after_id` (any filter; the caller filters), oldest first."""
        query = (
            select(AuditEvent).where(AuditEvent.id > after_id).order_by(AuditEvent.id).limit(limit)
        )
        with self._db.reading() as session:
            return [audit_info(row) for row in session.scalars(query)]
