"""The audit chain detects an edited, deleted, inserted or reordered event and names it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from governance_desktop.app import AppContext
from governance_desktop.services.audit import GENESIS, event_hash
from governance_desktop.services.users import os_username
from governance_desktop.store.models import AuditEvent
from tests.helpers.actors import ME
from tests.helpers.rawdb import past_the_triggers


@pytest.fixture
def chained(ctx: AppContext) -> AppContext:
    me = os_username()
    ctx.users.add(me, "alice", "Alice", role="officer")  # type: ignore[arg-type]
    for n in range(1, 5):
        ctx.policies.add(me, f"POL-{n:03}", f"Policy {n}", owner="alice")
    ctx.policies.change_status(me, "POL-001", "in_review", "please review")
    assert ctx.audit.verify().ok
    return ctx


def _sql(ctx: AppContext, statement: str) -> None:
    """Change the trail underneath the app (on PostgreSQL past its append-only trigger)."""
    with past_the_triggers(ctx) as raw:
        raw.execute(statement)


def test_intact_chain_verifies(chained: AppContext) -> None:
    """An untouched trail verifies and reports its length and head."""
    result = chained.audit.verify()
    assert result.ok and result.events == 7 and len(result.head_hash) == 64


def test_edited_event_is_found(chained: AppContext) -> None:
    """Changing one field of an event names that event."""
    _sql(chained, "UPDATE audit_events SET actor = 'mallory' WHERE id = 4")
    result = chained.audit.verify()
    assert not result.ok and result.first_bad_id == 4 and "changed" in (result.problem or "")


def test_deleted_event_is_found(chained: AppContext) -> None:
    """Removing an event breaks the link of the one after it."""
    _sql(chained, "DELETE FROM audit_events WHERE id = 3")
    result = chained.audit.verify()
    assert not result.ok and result.first_bad_id == 4


def test_inserted_event_is_found(chained: AppContext) -> None:
    """A row slipped in at the end with a made-up hash does not link to the head."""
    _sql(
        chained,
        "INSERT INTO audit_events (occurred_at, actor, action, entity_type, entity_id,"
        " details, prev_hash, hash) VALUES ('2026-01-01 00:00:00', 'mallory', 'x',"
        " 'policy', 'POL-001', '{}', 'bogus', 'bogus')",
    )
    result = chained.audit.verify()
    assert not result.ok and result.first_bad_id == 8


def test_reordered_events_are_found(chained: AppContext) -> None:
    """Swapping two events' ids breaks the chain at the first swapped one."""
    _sql(chained, "UPDATE audit_events SET id = 100 WHERE id = 2")
    _sql(chained, "UPDATE audit_events SET id = 2 WHERE id = 3")
    _sql(chained, "UPDATE audit_events SET id = 3 WHERE id = 100")
    result = chained.audit.verify()
    assert not result.ok and result.first_bad_id == 2


def test_export_writes_csv_and_head(chained: AppContext, tmp_path: Path) -> None:
    """The CSV holds every event in order; the head hash sits beside it."""
    target = tmp_path / "audit.csv"
    result = chained.audit.export_csv(target, chained.protected, actor=ME)
    with target.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["id"]) for r in rows] == list(range(1, 8))
    assert rows[-1]["hash"] == result.head_hash
    assert result.head_hash in (tmp_path / "audit.csv.chain.txt").read_text()


def _rewrite_from(ctx: AppContext, first_id: int) -> None:
    """What a tamperer who knows the algorithm does: recompute every hash after an edit."""
    with ctx.db.reading() as session:
        rows = [
            (r.id, r.occurred_at, r.actor, r.action, r.entity_type, r.entity_id, dict(r.details))
            for r in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
    prev = GENESIS
    with past_the_triggers(ctx) as raw:
        for event_id, *content in rows:
            digest = event_hash(prev, *content)
            if event_id >= first_id:
                raw.execute(
                    "UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?",
                    (prev, digest, event_id),
                )
            prev = digest


def test_truncated_trail_fails_against_a_kept_head(chained: AppContext) -> None:
    """Deleting the newest events leaves a valid chain; the auditor's kept head exposes it."""
    kept = chained.audit.verify().head_hash
    _sql(chained, "DELETE FROM audit_events WHERE id = 7")
    assert chained.audit.verify().ok  # the chain alone cannot know
    result = chained.audit.verify(anchor=kept)
    assert not result.ok and kept in (result.problem or "")


def test_recomputed_trail_fails_against_a_kept_head(chained: AppContext) -> None:
    """An edit with every later hash recomputed verifies alone but not against a kept head."""
    kept = chained.audit.verify().head_hash
    _sql(chained, "UPDATE audit_events SET actor = 'mallory' WHERE id = 4")
    _rewrite_from(chained, 4)
    assert chained.audit.verify().ok
    assert not chained.audit.verify(anchor=kept).ok
    assert chained.audit.verify(anchor=chained.audit.verify().head_hash).ok


def test_cli_verify_with_anchor(chained: AppContext, cli) -> None:  # type: ignore[no-untyped-def]
    """`audit verify --anchor HASH` exits 1 with one line when the kept head is gone."""
    kept = chained.audit.verify().head_hash
    assert cli("audit", "verify", "--anchor", kept).code == 0
    _sql(chained, "DELETE FROM audit_events WHERE id = 7")
    result = cli("audit", "verify", "--anchor", kept)
    assert result.code == 1
    # One line for the lost anchor, one for the checkpoint the first verify kept there.
    first, second = result.err.splitlines()
    assert first.startswith("error: audit trail broken:") and kept in first
    assert second.startswith("error: the checkpoint kept on") and "event 7" in second
