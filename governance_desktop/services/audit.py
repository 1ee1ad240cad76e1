"""Append-only, hash-chained audit trail: an edit, deletion, insertion or reorder is detected."""

from __future__ import annotations

import csv
import json
import os
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO, cast

from sqlalchemy import Table, event, insert, select
from sqlalchemy.orm import Session

from governance_desktop.domain.authority import Permission
from governance_desktop.domain.clock import Clock, utc_now
from governance_desktop.domain.errors import GovernanceError
from governance_desktop.services import audit_csv
from governance_desktop.services.audit_chain import GENESIS as GENESIS
from governance_desktop.services.audit_chain import Backwards, canonical, link_problem, walk
from governance_desktop.services.audit_chain import event_hash as event_hash
from governance_desktop.services.audit_pages import AuditFilter
from governance_desktop.services.authority import require_permission
from governance_desktop.services.dto import AuditEventInfo, AuditVerification
from governance_desktop.store.db import Database, take_audit_lock
from governance_desktop.store.models import AuditEvent
from governance_desktop.store.outfile import Protected, check_output, output_file, write_text

_events = cast(Table, AuditEvent.__table__)
# Core statements, built once: appends run on the engine's hot path (docs/benchmarks.md,
# part 2). Events are only ever written here, by a Core INSERT (never a pending ORM row).
_HEAD = select(_events.c.hash).order_by(_events.c.id.desc()).limit(1)
_INSERT = insert(_events)


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
        prev_hash=row.prev_hash,
    )


_PENDING = "audit_pending"


def _append_pending(session: Session) -> None:
    """Append the events this transaction recorded, last thing before it commits: the head is
    read and extended under the audit lock (held to the commit: store.db.AUDIT_LOCK_KEY; on
    SQLite a writer is alone), so writers on any number of machines never fork the chain.
    Each event's time is read as it is appended, so times follow the chain's order."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    conn = session.connection()
    take_audit_lock(conn)
    prev = conn.execute(_HEAD).scalar() or GENESIS
    rows = []
    for clock, actor, action, entity_type, entity_id, details in pending:
        at = clock()
        digest = event_hash(prev, at, actor, action, entity_type, entity_id, details)
        rows.append(
            {
                "occurred_at": at,
                "actor": actor,
                "action": action,
                "entity_type": entity_type,
                "entity_id": entity_id,
                "details": details,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    for row in rows:  # one INSERT each: ids in the chain's order
        conn.execute(_INSERT, row)


def _drop_pending(session: Session, _previous: Any = None) -> None:
    """A rolled-back transaction's events were never recorded."""
    session.info.pop(_PENDING, None)


class AuditService:
    """Records events in the caller's transaction (appended as it commits); reads, verifies
    and exports the chain."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self._db = db
        self._clock = clock
        # On every Session, whichever factory made it: an event recorded must never be lost.
        for name, hook in (("before_commit", _append_pending), ("after_rollback", _drop_pending)):
            if not event.contains(Session, name, hook):
                event.listen(Session, name, hook)

    def record(
        self,
        session: Session,
        actor: str,
        action: str,
        entity_type: str,
        entity_id: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        # The event is appended when its transaction commits (`_append_pending`), so the
        # audit lock is held only from the append to the commit, not a whole transaction.
        clean = json.loads(canonical(details or {}))
        pending = session.info.setdefault(_PENDING, [])
        pending.append((self._clock, actor, action, entity_type, entity_id, clean))

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
        """Walk the whole chain in id order; name the first event whose hash or link is wrong.

        The chain alone cannot tell a truncated or wholly recomputed trail from an honest one;
        `anchor` is a head hash kept from an earlier export: it must still be in the chain.
        Times that go backwards are recorded as they were and reported as `warnings`.
        (`audit_verify.check_trail` adds signatures and checkpoints: `audit verify`.)
        """
        with self._db.reading() as session:
            walked = walk(session.connection(), anchor=anchor)
        return anchor_verdict(walked.result, anchor, walked.anchored)

    def export_csv(
        self,
        path: Path,
        protected: Protected,
        *,
        actor: str,
        force: bool = False,
        view: AuditFilter | None = None,
    ) -> AuditVerification:
        """Write every event to CSV and its head hash to ``FILE.chain.txt`` (see audit_csv),
        if ``actor``'s role may export (Permission.EXPORT).

        One query both writes the rows and checks the chain, so the CSV, its head and the
        verdict describe the same events even while others append. Both files go through
        `output_file`: refused in the data folder or over a file without `force`.

        ``view``: only the events the audit page shows (`export_view`).
        """
        if view is not None and not view.is_empty:
            return self.export_view(path, protected, view, actor=actor, force=force)
        with self._db.reading() as session:
            require_permission(session, actor, Permission.EXPORT)
        check_output(path, protected, force=force)  # first: '/' or '.' has no name to extend
        chain_file = audit_csv.chain_path(path)
        check_output(chain_file, protected, force=force)
        prev, count, first_bad, problem = GENESIS, 0, None, None
        first_id: int | None = None
        last_id: int | None = None
        backwards = Backwards()
        with (
            output_file(path, protected, force=force) as temp,
            temp.open("w", newline="", encoding="utf-8") as fh,
            self._db.reading() as session,
        ):
            writer = csv.writer(fh)
            writer.writerow(audit_csv.COLUMNS)
            for row in self._iter_all(session):
                count += 1
                first_id = row.id if first_id is None else first_id
                last_id = row.id
                backwards.see(row.id, row.occurred_at)
                if problem is None:
                    problem = _row_problem(row, prev)
                    first_bad = row.id if problem is not None else None
                writer.writerow(_render(row.id, _content(row), row.prev_hash, row.hash))
                prev = row.hash
        result = AuditVerification(
            problem is None, count, prev, first_bad, problem, backwards.warnings()
        )
        text = audit_csv.chain_text(count, prev, result.ok, first_bad, (first_id, last_id))
        write_text(chain_file, protected, text, force=force)
        return result

    def export_view(
        self, path: Path, protected: Protected, view: AuditFilter, *, actor: str, force: bool
    ) -> AuditVerification:
        """Write the events ``view`` selects, with the same cells as the whole export; the
        chain file names the filter. The rows are not one unbroken chain, so each row is
        checked on its own (its hash over its content and its prev_hash) and the verdict
        is the whole trail's, walked in the same read."""
        with self._db.reading() as session:
            require_permission(session, actor, Permission.EXPORT)
        check_output(path, protected, force=force)
        chain_file = audit_csv.chain_path(path)
        check_output(chain_file, protected, force=force)
        count, last, first_bad, problem = 0, GENESIS, None, None
        first_id: int | None = None
        last_id: int | None = None
        query = select(AuditEvent).where(*view.conditions()).order_by(AuditEvent.id)
        with (
            output_file(path, protected, force=force) as temp,
            temp.open("w", newline="", encoding="utf-8") as fh,
            self._db.reading() as session,
        ):
            walked = walk(session.connection()).result
            writer = csv.writer(fh)
            writer.writerow(audit_csv.COLUMNS)
            for row in session.scalars(query.execution_options(yield_per=1000)):
                count += 1
                first_id = row.id if first_id is None else first_id
                last_id, last = row.id, row.hash
                if problem is None:
                    problem = _row_problem(row, row.prev_hash)
                    first_bad = row.id if problem is not None else None
                writer.writerow(_render(row.id, _content(row), row.prev_hash, row.hash))
        ok = problem is None and walked.ok
        bad = first_bad if first_bad is not None else walked.first_bad_id
        result = AuditVerification(ok, count, last, bad, problem or walked.problem)
        text = audit_csv.chain_text(count, last, ok, bad, (first_id, last_id), view=view.describe())
        write_text(chain_file, protected, text, force=force)
        return result


_Content = tuple[datetime, str, str, str, str, dict[str, Any]]


def _content(row: AuditEvent) -> _Content:
    """What `event_hash` covers besides the previous hash."""
    return (
        row.occurred_at,
        row.actor,
        row.action,
        row.entity_type,
        row.entity_id,
        dict(row.details),
    )


def _render(event_id: int, content: _Content, prev_hash: str, digest: str) -> list[str]:
    """One event as the export's CSV cells. `verify_export` re-renders every row it reads
    with this and wants the file's cells byte for byte: one way to write each event."""
    at, actor, action, entity_type, entity_id, details = content
    plain = [
        str(event_id),
        at.isoformat(),
        actor,
        action,
        entity_type,
        entity_id,
        canonical(details),
        prev_hash,
        digest,
    ]
    return [audit_csv.neutralise(cell) for cell in plain]


def anchor_verdict(result: AuditVerification, anchor: str | None, seen: bool) -> AuditVerification:
    """``result``, failed if ``anchor`` (a head hash kept from an earlier export) was not seen."""
    if result.ok and anchor is not None and not seen:
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


def _row_problem(row: AuditEvent, prev: str) -> str | None:
    """Why `row` does not continue a chain whose last hash is `prev`, or None."""
    expected = row.hash  # a broken link is named without computing the hash
    if row.prev_hash == prev:
        expected = event_hash(row.prev_hash, *_content(row))
    return link_problem(row.id, prev, row.prev_hash, row.hash, expected)


def verify_export(path: Path) -> AuditVerification:
    """Re-check an export's hash chain from the CSV alone (cells restored to the stored
    values) and that it ends at the head in ``FILE.chain.txt``.

    Every cell must be exactly what the export writes and ids must increase: the id is not
    hashed, and a lenient reader would pass a re-armed formula or a duplicated JSON key.
    """
    chain_file = audit_csv.chain_path(path)
    prev, count = GENESIS, 0
    first_id: int | None = None
    last_id: int | None = None
    last_line = 0
    try:
        with _open_regular(path) as fh:
            chain = _read_chain(chain_file)
            view = "view" in chain
            reader = csv.reader(fh)
            if tuple(next(reader, ())) != audit_csv.COLUMNS:
                return _bad(count, prev, None, f"{path}: line 1 is not the export's header")
            for cells in reader:
                count += 1
                where = f"{path}: line {reader.line_num}"
                event = _parse_row(cells)
                if isinstance(event, str):
                    return _bad(count, prev, None, f"{where}: {event}")
                event_id, content, prev_hash, digest = event
                if event_id <= (last_id or 0):
                    after = f"id {last_id} on line {last_line}" if last_id else "0"
                    return _bad(
                        count,
                        prev,
                        event_id,
                        f"{where}: event id {event_id} does not come after {after} (ids only "
                        "increase; one of the two was edited)",
                    )
                first_id = event_id if first_id is None else first_id
                last_id, last_line = event_id, reader.line_num
                expected = event_hash(prev_hash, *content)
                link = prev_hash if view else prev  # a view's rows are checked one by one
                problem = link_problem(event_id, link, prev_hash, digest, expected)
                if problem is not None:
                    return _bad(count, prev, event_id, f"{where}: {problem}")
                prev = digest
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GovernanceError(f"{path}: cannot read it ({_reason(exc)})") from None
    ids = audit_csv.ids_text((first_id, last_id))
    said = (chain.get("events"), chain.get("ids"), chain.get("head"))
    if said != (str(count), ids, prev):
        return _bad(
            count,
            prev,
            None,
            f"{path} holds {count} events (ids {ids}) ending at head {prev}, but "
            f"{chain_file.name} says {said[0]} events (ids {said[1]}) ending at head {said[2]}",
        )
    return AuditVerification(True, count, prev)


def _open_regular(path: Path) -> TextIO:
    """`path` opened for reading text, refused unless a regular file: a fifo or a device
    would block or never end (opened non-blocking, checked, then read normally)."""
    nonblock = getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, os.O_RDONLY | nonblock)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise GovernanceError(
                f"{path}: not a regular file (a folder, pipe, device or socket); name the "
                "export's file"
            )
        if nonblock:
            os.set_blocking(fd, True)
        return open(fd, newline="", encoding="utf-8")  # the caller closes it
    except BaseException:
        os.close(fd)
        raise


def _reason(exc: Exception) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


def _read_chain(chain_file: Path) -> dict[str, str]:
    try:
        with _open_regular(chain_file) as fh:
            return audit_csv.parse_chain(fh.read())
    except (OSError, UnicodeDecodeError) as exc:
        raise GovernanceError(f"{chain_file}: cannot read it ({_reason(exc)})") from None


def _bad(count: int, prev: str, event_id: int | None, problem: str) -> AuditVerification:
    return AuditVerification(False, count, prev, event_id, problem)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"details has the key {key!r} twice")
        seen.add(key)
    return dict(pairs)


def _short(cell: str) -> str:
    text = repr(cell)
    return text if len(text) <= 60 else text[:57] + "..."


def _parse_row(cells: list[str]) -> tuple[int, _Content, str, str] | str:
    """One CSV row as (id, hashed content, prev_hash, hash), or why it is not a row the
    export wrote (each cell is compared with the row rendered again by `_render`)."""
    if len(cells) != len(audit_csv.COLUMNS):
        return f"{len(cells)} cells, expected {len(audit_csv.COLUMNS)}"
    values = [audit_csv.restore(cell) for cell in cells]
    event_id, at, actor, action, entity_type, entity_id, details, prev_hash, digest = values
    try:
        number = int(event_id)
        when = datetime.fromisoformat(at)
        parsed = json.loads(details, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError) as exc:
        return f"cannot read the row ({exc})"
    if not isinstance(parsed, dict):
        return "details is not a JSON object"
    content = (when, actor, action, entity_type, entity_id, parsed)
    rendered = _render(number, content, prev_hash, digest)
    for column, cell, expected in zip(audit_csv.COLUMNS, cells, rendered, strict=True):
        if cell != expected:
            return (
                f"the {column} cell {_short(cell)} is not what the export writes "
                f"({_short(expected)}): the file was edited"
            )
    return number, content, prev_hash, digest
