"""Audit times that go backwards (the clock was put back) are recorded as they are and
reported by `audit verify` as warnings naming the events, never as a broken chain."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from governance_desktop.app import AppContext
from governance_desktop.services.audit import GENESIS, AuditService, event_hash
from governance_desktop.store.models import AuditEvent

# After the event the data dir's creation records (real time), so only our steps go back.
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


def _append(ctx: AppContext, at: datetime, action: str) -> int:
    """Append a correctly chained event dated `at`, as a process whose clock said `at`."""
    with ctx.db.transaction() as session:
        head = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
        prev = head or GENESIS
        digest = event_hash(prev, at, "alice", action, "policy", "POL-001", {})
        row = session.execute(
            insert(AuditEvent).values(
                occurred_at=at,
                actor="alice",
                action=action,
                entity_type="policy",
                entity_id="POL-001",
                details={},
                prev_hash=prev,
                hash=digest,
            )
        )
        return int(row.inserted_primary_key[0])


def test_verify_warns_about_times_going_backwards(ctx: AppContext) -> None:
    """Events recorded through the service with a clock we control: the one dated an hour
    before its predecessor is kept as it is and named in a warning; the chain is intact."""
    clock = [START]
    audit = AuditService(ctx.db, clock=lambda: clock[0])
    moments = [START, START + timedelta(minutes=1), START - timedelta(hours=1), START]
    for n, moment in enumerate(moments):
        clock[0] = moment
        with ctx.db.transaction() as session:
            audit.record(session, "alice", f"test.{n}", "policy", "POL-001")
    rows = audit.events(entity_type="policy")
    ids = sorted(e.id for e in rows)
    total = len(audit.events())
    back = next(e for e in rows if e.action == "test.2")
    assert back.occurred_at == START - timedelta(hours=1)  # recorded as the clock said
    result = audit.verify()
    assert result.ok and result.events == total
    assert len(result.warnings) == 1
    assert f"event {back.id} is dated" in result.warnings[0]
    assert f"before event {ids[1]}" in result.warnings[0]


def test_cli_audit_verify_prints_the_warning_and_exits_0(ctx: AppContext, cli) -> None:  # type: ignore[no-untyped-def]
    """`audit verify` exits 0, prints "warning: event N …" on stderr, and `--json` carries
    the warnings."""
    _append(ctx, START, "first")
    second = _append(ctx, START - timedelta(days=365), "second")
    _append(ctx, START - timedelta(days=364), "third")
    ctx.close()
    result = cli("audit", "verify")
    assert result.code == 0, result.err
    assert "audit trail intact: 4 events" in result.out  # with the data dir's first
    assert f"warning: event {second} is dated" in result.err
    assert result.err.count("warning:") == 1  # only the step back, not every later event
    data = json.loads(cli("audit", "verify", "--json").out)
    assert data["ok"] is True and len(data["warnings"]) == 1
    assert f"event {second}" in data["warnings"][0]


def test_many_steps_back_are_summarised(ctx: AppContext) -> None:
    """More than 20 steps back: 20 named, then one line counting the rest."""
    for n in range(30):
        _append(ctx, START - timedelta(minutes=n), f"e{n}")
    result = ctx.audit.verify()
    assert result.ok and len(result.warnings) == 21
    assert result.warnings[-1].startswith("and 9 more events")
