"""Append-only, hash-chained audit trail: an edit, deletion, insertion or reorder is detected."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from governance_desktop.domain.clock import Clock, utc_now
from governance_desktop.services.dto import AuditEventInfo, AuditVerification
from governance_desktop.store.db import Database
from governance_desktop.store.models import AuditEvent

GENESIS = "0" * 64
_events = cast(Table, AuditEvent.__table__)
# Core statements, built once: `record` runs on the engine's hot path (docs/benchmarks.md,
# part 2). Events are only ever written here, by a Core INSERT at once (never a pending ORM
# row), so the head query below always sees the previous event of this transaction.
_HEAD = select(_events.c.hash).order_by(_events.c.id.desc()).limit(1)
_INSERT = insert(_events)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(
    prev_hash: str,
    occurred_at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    details: dict[str, Any],
) -> str:
    content = _canonical(
        {
            "prev": prev_hash,
            "at": occurred_at.isoformat(),
            "actor": actor,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "details": details,
        }
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _info(row: AuditEvent) -> AuditEventInfo:
    return AuditEventInfo(
        id=row.id,
        occurred_at=row.occurred_at,
        actor=row.actor,
        action=row.action,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        details=dict(row.details),
        hash=row.hash,
    )


class _Backwards:
    """Events dated before the event just before them (the clock went back): reported, not
    failed, since the chain, not the clock, proves the order."""

    LIMIT = 20

    def __init__(self) -> None:
        self.found: list[str] = []
        self.count = 0
        self._last: tuple[int, datetime] | None = None

    def see(self, event_id: int, at: datetime) -> None:
        if self._last is not None and at < self._last[1]:
            self.count += 1
            if len(self.found) < self.LIMIT:
                self.found.append(
                    f"event {event_id} is dated {at.isoformat()}, before event "
                    f"{self._last[0]} ({self._last[1].isoformat()}): the clock went back"
                )
        self._last = (event_id, at)

    def warnings(self) -> tuple[str, ...]:
        more = self.count - len(self.found)
        tail = [f"and {more} more events dated before the event before them"] if more else []
        return (*self.found, *tail)


class AuditService:
    """Writes events inside the caller's transaction; reads, verifies and exports the chain."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self._db = db
        self._clock = clock

    def record(
        self,
        session: Session,
        actor: str,
        action: str,
        entity_type: str,
        entity_id: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        # Callers hold a write transaction (BEGIN IMMEDIATE on SQLite), so reading the head
        # and appending cannot interleave with another writer and fork the chain.
        # The head is remembered for the rest of this transaction (its events all come
        # through here), so a transaction that records several events reads it once.
        clean = json.loads(_canonical(details or {}))
        conn = session.connection()
        transaction, head = session.info.get("audit_head", (None, None))
        if transaction is not session.get_transaction() or head is None:
            head = conn.execute(_HEAD).scalar()
        prev = head or GENESIS
        at = self._clock()
        digest = event_hash(prev, at, actor, action, entity_type, entity_id, clean)
        conn.execute(
            _INSERT,
            {
                "occurred_at": at,
                "actor": actor,
                "action": action,
                "entity_type": entity_type,
                "entity_id": entity_id,
                "details": clean,
                "prev_hash": prev,
                "hash": digest,
            },
        )
        session.info["audit_head"] = (session.get_transaction(), digest)

    def events(
        self, entity_type: str | None = None, entity_id: str | None = None, limit: int = 1000
    ) -> list[AuditEventInfo]:
        query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
        if entity_type is not None:
            query = query.where(AuditEvent.entity_type == entity_type)
        if entity_id is not None:
            query = query.where(AuditEvent.entity_id == entity_id)
        with self._db.reading() as session:
            return [_info(row) for row in session.scalars(query)]

    def _iter_all(self, session: Session) -> Iterator[AuditEvent]:
        query = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)
        yield from session.scalars(query)

    def verify(self, anchor: str | None = None) -> AuditVerification:
        """Walk the chain in id order; name the first event whose hash or link is wrong.

        The chain alone cannot tell a truncated or wholly recomputed trail from an honest one;
        `anchor` is a head hash kept from an earlier export: it must still be in the chain.
        Times that go backwards are recorded as they were and reported as `warnings`.
        """
        result, anchored = self._walk(anchor)
        if result.ok and anchor is not None and not anchored:
            return AuditVerification(
                False,
                result.events,
                result.head_hash,
                None,
                f"the head hash {anchor} from an earlier export is no longer in the trail "
                "(events were removed from its end or the trail was rewritten)",
                result.warnings,
            )
        return result

    def _walk(self, anchor: str | None) -> tuple[AuditVerification, bool]:
        """The chain's verdict, and whether an event with hash `anchor` was seen intact."""
        anchored = False
        prev = GENESIS
        count = 0
        backwards = _Backwards()
        with self._db.reading() as session:
            for row in self._iter_all(session):
                count += 1
                backwards.see(row.id, row.occurred_at)
                problem = None
                if row.prev_hash != prev:
                    problem = (
                        f"event {row.id} does not follow the previous event "
                        "(an event was deleted, inserted or reordered before it)"
                    )
                elif row.hash != event_hash(
                    row.prev_hash,
                    row.occurred_at,
                    row.actor,
                    row.action,
                    row.entity_type,
                    row.entity_id,
                    dict(row.details),
                ):
                    problem = f"event {row.id} was changed after it was written"
                if problem is not None:
                    failed = AuditVerification(
                        False, count, prev, row.id, problem, backwards.warnings()
                    )
                    return failed, anchored
                prev = row.hash
                anchored = anchored or row.hash == anchor
        return AuditVerification(True, count, prev, warnings=backwards.warnings()), anchored

    def export_csv(self, path: Path) -> AuditVerification:
        """Write every event to CSV (atomically) and the chain's head hash beside it."""
        result = self.verify()
        partial = path.with_name(path.name + ".partial")
        with self._db.reading() as session, partial.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(
                [
                    "id",
                    "occurred_at",
                    "actor",
                    "action",
                    "entity_type",
                    "entity_id",
                    "details",
                    "prev_hash",
                    "hash",
                ]
            )
            for row in self._iter_all(session):
                writer.writerow(
                    [
                        row.id,
                        row.occurred_at.isoformat(),
                        row.actor,
                        row.action,
                        row.entity_type,
                        row.entity_id,
                        _canonical(row.details),
                        row.prev_hash,
                        row.hash,
                    ]
                )
        os.replace(partial, path)
        head = path.with_name(path.name + ".chain.txt")
        head.write_text(
            f"events {result.events}\nhead {result.head_hash}\nverified {result.ok}\n",
            encoding="utf-8",
        )
        return result
