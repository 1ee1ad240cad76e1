"""The audit chain's hash format and its fast walk: what `event_hash` covers, how one event
links to the one before it, and a pass over stored rows that re-hashes them in bulk.

The walk reads rows with Core in large batches, never as ORM objects. On SQLite it reads the
stored text of the time and the details and turns it into exactly what the ORM would hand
`event_hash` (see `_SqliteRows`), so a million events re-hash in seconds; any row that is not
in the form the app writes goes the slow, exact way (SQLAlchemy's own conversions).
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, DateTime, Table, func, select
from sqlalchemy.engine import Dialect

from governance_desktop.services.dto import AuditVerification
from governance_desktop.store.models import AuditEvent

GENESIS = "0" * 64
#: Rows fetched at a time by the walk.
BATCH = 20_000
_events = cast(Table, AuditEvent.__table__)


def canonical(value: Any) -> str:
    """``value`` as canonical JSON: sorted keys, no spaces, UTF-8 characters as they are."""
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
    content = canonical(
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


# --- the same content, built fast --------------------------------------------------------
# `canonical` of the dict in `event_hash` is, key by key in sorted order, the JSON string of
# each value: built here from C-level encoders made once (json.dumps makes a new encoder per
# call). tests/services/test_audit_fast.py checks both give the same text on awkward values.

_quote: Callable[[str], str] = json.encoder.encode_basestring  # ensure_ascii=False
_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_slow = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
#: canonical JSON of a value, in chunks: the C encoder, made once.
_chunks: Callable[[Any, int], Any] = (
    _make_encoder(None, None, _quote, None, ":", ",", True, False, True)
    if _make_encoder is not None
    else lambda value, _level: (_slow.encode(value),)  # pragma: no cover - CPython has it
)


def _encode(value: Any) -> str:
    return "".join(_chunks(value, 0))


_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def content_text(
    prev_hash: str, at: str, actor: str, action: str, entity_type: str, entity_id: str, details: str
) -> str:
    """What `event_hash` hashes, from the ISO time and the details already as canonical JSON."""
    return (
        f'{{"action":{_quote(action)},"actor":{_quote(actor)},"at":{_quote(at)},'
        f'"details":{details},"entity_id":{_quote(entity_id)},'
        f'"entity_type":{_quote(entity_type)},"prev":{_quote(prev_hash)}}}'
    )


def _details_text(stored: str) -> str:
    """Canonical JSON of the stored details text, as `json.loads` then `canonical` give it."""
    try:
        value, end = _scan(stored, 0)
    except (StopIteration, ValueError):
        end = -1
    if end != len(stored):  # leading or trailing space, or not JSON: the exact, slow way
        return _encode(json.loads(stored))
    return _encode(value)


def _stamp(stored: str) -> str:
    """The ISO text of a stored SQLite time in the form SQLAlchemy writes a DateTime
    (``2026-12-03 18:23:58.123456``) as the UTC-aware datetime's isoformat gives it (no
    fraction when it is zero), or "" for any other form."""
    if len(stored) == 26 and stored[10] == " " and stored[19] == ".":
        if stored.endswith("000000"):
            return f"{stored[:10]}T{stored[11:19]}+00:00"
        return f"{stored[:10]}T{stored[11:]}+00:00"
    return ""


def _slow_stamp(dialect: Dialect) -> Callable[[Any], str]:
    """Any stored time as the ORM gives it: through SQLAlchemy's own DateTime conversion."""
    convert = DateTime().dialect_impl(dialect).result_processor(dialect, None)

    def stamp(stored: Any) -> str:
        value = convert(stored) if convert is not None else stored
        return cast(datetime, value).replace(tzinfo=UTC).isoformat()

    return stamp


@dataclass(frozen=True)
class Walked:
    """A walk's verdict, the id of the last event walked, and whether `anchor` was seen."""

    result: AuditVerification
    head_id: int | None
    anchored: bool


class Backwards:
    """Events dated before the event just before them (the clock went back): reported, not
    failed, since the chain, not the clock, proves the order."""

    LIMIT = 20

    def __init__(self) -> None:
        self.found: list[str] = []
        self.count = 0
        self._last: tuple[int, datetime] | None = None

    def see(self, event_id: int, at: datetime) -> None:
        if self._last is not None and at < self._last[1]:
            self.note(event_id, at.isoformat(), self._last[0], self._last[1].isoformat())
        self._last = (event_id, at)

    def note(self, event_id: int, at: str, before_id: int, before_at: str) -> None:
        """Event ``event_id`` at ``at`` is dated before ``before_id`` just before it."""
        self.count += 1
        if len(self.found) < self.LIMIT:
            self.found.append(
                f"event {event_id} is dated {at}, before event {before_id} ({before_at}): "
                "the clock went back"
            )

    def warnings(self) -> tuple[str, ...]:
        more = self.count - len(self.found)
        tail = [f"and {more} more events dated before the event before them"] if more else []
        return (*self.found, *tail)


def link_problem(
    event: object, prev: str, prev_hash: str, digest: str, expected: str
) -> str | None:
    if prev_hash != prev:
        return (
            f"event {event} does not follow the previous event "
            "(an event was deleted, inserted or reordered before it)"
        )
    if digest != expected:
        return f"event {event} was changed after it was written"
    return None


_COLUMNS = (
    _events.c.id,
    _events.c.occurred_at,
    _events.c.actor,
    _events.c.action,
    _events.c.entity_type,
    _events.c.entity_id,
    _events.c.details,
    _events.c.prev_hash,
    _events.c.hash,
)
_RAW = (
    "SELECT id, occurred_at, actor, action, entity_type, entity_id, details, prev_hash, hash "
    "FROM audit_events WHERE id > ? ORDER BY id LIMIT ?"
)


def _batches(conn: Connection, after: int, limit: int = -1) -> Iterator[tuple[bool, Sequence[Any]]]:
    """Rows after id ``after`` in id order, a batch at a time, as (raw, rows): each row is
    (id, time, actor, action, entity type, entity id, details, prev hash, hash). Raw rows
    (SQLite) hold the stored text of the time and the details; the others hold the time's
    ISO text and the details as canonical JSON already."""
    if conn.dialect.name == "sqlite":
        cursor = conn.exec_driver_sql(_RAW, (after, limit)).cursor
        assert cursor is not None
        while part := cursor.fetchmany(BATCH):
            yield True, part
        return
    query = select(*_COLUMNS).where(_events.c.id > after).order_by(_events.c.id)
    if limit >= 0:
        query = query.limit(limit)
    # A server-side cursor (PostgreSQL): closed even when the walk stops at a bad event.
    with conn.execution_options(yield_per=BATCH).execute(query) as result:
        for typed in result.partitions():
            yield (
                False,
                [
                    (i, at.isoformat(), a, b, c, d, _encode(e), f, g)
                    for i, at, a, b, c, d, e, f, g in typed
                ],
            )


def walk(
    conn: Connection,
    *,
    after: int = 0,
    prev: str = GENESIS,
    count: int = 0,
    anchor: str | None = None,
) -> Walked:
    """Re-hash every event after id ``after`` (whose hash is ``prev``, ``count`` events up
    to it) in id order; name the first whose hash or link is wrong.

    The hot loop of `audit verify` (docs/benchmarks.md): the content is built inline as
    `content_text` builds it. ``prev`` is a hash already checked (or GENESIS), so hex: it
    needs no quoting.
    """
    sha256, quote, scan, chunks, join = hashlib.sha256, _quote, _scan, _chunks, "".join
    slow_stamp = _slow_stamp(conn.dialect)
    anchored = False
    head_id: int | None = after or None
    last_at = ""
    backwards = Backwards()
    for raw, part in _batches(conn, after):
        for event_id, at, actor, action, kind, entity, details, prev_hash, digest in part:
            count += 1
            if prev_hash != prev:
                bad = link_problem(event_id, prev, prev_hash, digest, digest)
                return Walked(_failed(count, prev, event_id, bad, backwards), head_id, anchored)
            if raw:
                if type(at) is str and len(at) == 26 and at[10] == " " and at[19] == ".":
                    # `_stamp`, inline
                    if at.endswith("000000"):
                        at = f"{at[:10]}T{at[11:19]}+00:00"
                    else:
                        at = f"{at[:10]}T{at[11:]}+00:00"
                else:
                    at = slow_stamp(at)
                try:
                    value, end = scan(details, 0)
                except (StopIteration, ValueError):
                    end = -1
                if end != len(details):  # space around it, or not JSON: the exact, slow way
                    value = json.loads(details)
                details = join(chunks(value, 0))
            if at < last_at:  # ISO texts in UTC order as their times do
                backwards.note(event_id, at, head_id or 0, last_at)
            last_at = at
            text = (
                f'{{"action":{quote(action)},"actor":{quote(actor)},"at":{quote(at)},'
                f'"details":{details},"entity_id":{quote(entity)},'
                f'"entity_type":{quote(kind)},"prev":"{prev}"}}'
            )
            if sha256(text.encode()).hexdigest() != digest:
                bad = link_problem(event_id, prev, prev_hash, digest, "")
                return Walked(_failed(count, prev, event_id, bad, backwards), head_id, anchored)
            prev, head_id = digest, event_id
            anchored = anchored or digest == anchor
    verdict = AuditVerification(True, count, prev, warnings=backwards.warnings())
    return Walked(verdict, head_id, anchored)


def _failed(
    count: int, prev: str, event_id: int, problem: str | None, backwards: Backwards
) -> AuditVerification:
    return AuditVerification(False, count, prev, event_id, problem, backwards.warnings())


def event_intact(conn: Connection, event_id: int, digest: str) -> bool:
    """Whether event ``event_id`` still holds hash ``digest`` and content that hashes to it."""
    for raw, part in _batches(conn, event_id - 1, limit=1):
        for row in part:
            if row[0] != event_id or row[8] != digest:
                return False
            at, details = row[1], row[6]
            if raw:
                at = (type(at) is str and _stamp(at)) or _slow_stamp(conn.dialect)(at)
                details = _details_text(details)
            actor, action, kind, entity = row[2:6]
            text = content_text(row[7], at, actor, action, kind, entity, details)
            return hashlib.sha256(text.encode()).hexdigest() == digest
    return False


def events_up_to(conn: Connection, event_id: int) -> int:
    """How many events have an id up to ``event_id``."""
    query = select(func.count()).select_from(_events).where(_events.c.id <= event_id)
    return int(conn.execute(query).scalar_one())
