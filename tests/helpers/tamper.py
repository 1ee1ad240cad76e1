"""Changing a register's database as an attacker with direct access would (the file on SQLite,
a database login in team mode), even recomputing the whole audit hash chain with the app's
own `event_hash`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from governance_desktop.app import AppContext
from governance_desktop.services.audit import GENESIS, event_hash
from tests.helpers.rawdb import past_the_triggers, raw_db


def _at(stored: str | datetime) -> datetime:
    at = datetime.fromisoformat(stored) if isinstance(stored, str) else stored
    return at.replace(tzinfo=UTC)


def append_event(
    path: AppContext | Path | str,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    details: dict[str, Any],
) -> None:
    """Append an audit event with a made-up hash (`rechain` makes it fit)."""
    with raw_db(path) as raw:
        raw.execute(
            "INSERT INTO audit_events (occurred_at, actor, action, entity_type, entity_id, "
            "details, prev_hash, hash) VALUES ('2026-12-03 10:00:00.000000', ?, ?, ?, ?, ?, "
            "'x', 'forged')",
            (actor, action, entity_type, entity_id, json.dumps(details)),
        )


def rechain(path: AppContext | Path | str) -> None:
    """Recompute every event's prev_hash and hash so that the chain verifies again (on
    PostgreSQL past the append-only trigger, as a superuser could)."""
    with past_the_triggers(path) as raw:
        rows = raw.execute(
            "SELECT id, occurred_at, actor, action, entity_type, entity_id, details "
            "FROM audit_events ORDER BY id"
        ).fetchall()
        prev = GENESIS
        for event_id, at, actor, action, kind, entity, details in rows:
            details = json.loads(details) if isinstance(details, str) else details
            digest = event_hash(prev, _at(at), actor, action, kind, entity, details)
            raw.execute(
                "UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?",
                (prev, digest, event_id),
            )
            prev = digest
