"""`audit verify` as a whole: the hash chain, every electronic signature, and the kept
checkpoints that let a later check re-walk only the events written since.

A checkpoint (table `audit_checkpoints`) is a verified head: its event id, hash and the number
of events up to it. Every check first compares the trail with the latest one (that event must
still hold that hash and that many events must lead to it), which a trail recomputed or cut
since then fails. A full check walks every event; a quick one (`from_checkpoint`) walks only
the events after the checkpoint, trusting the verified prefix. A check whose chain is intact
keeps a new checkpoint at its head. Checkpoints are derived data, not records, so keeping one
writes no audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, insert, select

from governance_desktop.domain.clock import Clock, utc_now
from governance_desktop.services.audit import anchor_verdict
from governance_desktop.services.audit_chain import event_intact, events_up_to, walk
from governance_desktop.services.dto import AuditVerification
from governance_desktop.services.signature_check import verify_signatures
from governance_desktop.store.db import Database
from governance_desktop.store.models import AuditCheckpoint, AuditEvent

_points = cast(Table, AuditCheckpoint.__table__)
_events = cast(Table, AuditEvent.__table__)


@dataclass(frozen=True)
class Checkpoint:
    """A verified head: event ``event_id`` had hash ``head_hash``, ``events`` events up to it."""

    event_id: int
    head_hash: str
    events: int
    verified_at: datetime


@dataclass(frozen=True)
class TrailCheck:
    """What `audit verify` checked and found.

    ``chain`` is the hash chain's verdict over all ``chain.events`` events, of which this
    check re-hashed ``walked`` (all of them unless it started from ``started_from``).
    ``problems`` are one line each: a checkpoint the trail no longer matches, and every
    signature or signed record that does not check out, named by id.
    """

    chain: AuditVerification
    walked: int
    started_from: Checkpoint | None
    signatures: int
    problems: tuple[str, ...]
    kept: Checkpoint | None

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.problems


def latest_checkpoint(conn: Connection) -> Checkpoint | None:
    row = conn.execute(
        select(_points.c.event_id, _points.c.head_hash, _points.c.events, _points.c.verified_at)
        .order_by(_points.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else Checkpoint(*row)


def _checkpoint_problem(conn: Connection, point: Checkpoint) -> str | None:
    """Why the trail no longer matches ``point``, or None."""
    when = point.verified_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    kept = f"the checkpoint kept on {when} (event {point.event_id}, {point.events} events)"
    if not event_intact(conn, point.event_id, point.head_hash):
        return (
            f"{kept}: event {point.event_id} no longer holds the verified hash "
            f"{point.head_hash} (the trail was changed or rewritten since)"
        )
    count = events_up_to(conn, point.event_id)
    if count != point.events:
        return (
            f"{kept}: {count} events now lead to event {point.event_id}, not {point.events} "
            "(events before it were removed or inserted since)"
        )
    return None


def _anchor_in_prefix(conn: Connection, anchor: str, point: Checkpoint) -> bool:
    found = conn.execute(select(_events.c.id).where(_events.c.hash == anchor)).scalar()
    return found is not None and found <= point.event_id


def check_trail(
    db: Database,
    *,
    from_checkpoint: bool = False,
    anchor: str | None = None,
    clock: Clock = utc_now,
) -> TrailCheck:
    """Check the chain (all of it, or after the latest checkpoint when ``from_checkpoint``
    and the trail still matches it) and every signature; keep a checkpoint if intact."""
    problems: list[str] = []
    with db.reading() as session:
        conn = session.connection()
        point = latest_checkpoint(conn)
        stale = None if point is None else _checkpoint_problem(conn, point)
        if stale is not None:
            problems.append(stale)
        start = point if from_checkpoint and point is not None and stale is None else None
        if start is None:
            walked = walk(conn, anchor=anchor)
            seen = walked.anchored
            done = walked.result.events
        else:
            walked = walk(
                conn,
                after=start.event_id,
                prev=start.head_hash,
                count=start.events,
                anchor=anchor,
            )
            seen = walked.anchored or (
                anchor is not None and _anchor_in_prefix(conn, anchor, start)
            )
            done = walked.result.events - start.events
        chain = anchor_verdict(walked.result, anchor, seen)
        signatures, found = verify_signatures(session)
        problems.extend(str(p) for p in found)
    kept = None
    moved = point is None or (point.event_id, point.events) != (walked.head_id, chain.events)
    if chain.ok and stale is None and walked.head_id is not None and moved:
        kept = Checkpoint(walked.head_id, chain.head_hash, chain.events, clock())
        _keep(db, kept)
    return TrailCheck(chain, done, start, signatures, tuple(problems), kept)


def _keep(db: Database, point: Checkpoint) -> None:
    with db.transaction() as session:
        session.execute(
            insert(_points).values(
                event_id=point.event_id,
                head_hash=point.head_hash,
                events=point.events,
                verified_at=point.verified_at,
            )
        )
