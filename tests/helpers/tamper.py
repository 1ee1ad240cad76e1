"""Changing a register's database file as an attacker with file access would: raw sqlite3,
even recomputing the whole audit hash chain with the app's own `event_hash`."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from governance_desktop.services.audit import GENESIS, event_hash


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def append_event(
    path: Path, actor: str, action: str, entity_type: str, entity_id: str, details: dict[str, Any]
) -> None:
    """Append an audit event with a made-up hash (`rechain` makes it fit)."""
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO audit_events (occurred_at, actor, action, entity_type, entity_id, "
            "details, prev_hash, hash) VALUES ('2026-12-03 10:00:00.000000', ?, ?, ?, ?, ?, "
            "'x', 'forged')",
            (actor, action, entity_type, entity_id, json.dumps(details)),
        )
    raw.close()


def rechain(path: Path) -> None:
    """Recompute every event's prev_hash and hash so that the chain verifies again."""
    with sqlite3.connect(path) as raw:
        rows = raw.execute(
            "SELECT id, occurred_at, actor, action, entity_type, entity_id, details "
            "FROM audit_events ORDER BY id"
        ).fetchall()
        prev = GENESIS
        for event_id, at, actor, action, kind, entity, details in rows:
            digest = event_hash(prev, _at(at), actor, action, kind, entity, json.loads(details))
            raw.execute(
                "UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?",
                (prev, digest, event_id),
            )
            prev = digest
    raw.close()
