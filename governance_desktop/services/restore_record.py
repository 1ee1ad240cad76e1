"""The audit event a restore leaves in the restored database: who restored which file, the
head hash of the trail it replaced and the head hash of the trail it put back, so that
`audit verify` of the restored trail shows the restore (docs/authority.md)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from sqlalchemy import Table, select

from governance_desktop.services.audit import AuditService
from governance_desktop.store.db import Database
from governance_desktop.store.models import AuditEvent

_events = cast(Table, AuditEvent.__table__)
_HEAD = select(_events.c.hash).order_by(_events.c.id.desc()).limit(1)


def record_restore(
    db: Database,
    audit: AuditService,
    actor: str,
    source: Path,
    replaced_head: str | None,
    kept: Path | None,
) -> str | None:
    """Append "data.restored" to the restored trail; returns the head hash it restored."""
    with db.transaction() as session:
        restored_head = session.connection().execute(_HEAD).scalar()
        audit.record(
            session,
            actor,
            "data.restored",
            "data",
            "governance.db",
            {
                "source": source.name,
                "replaced_head": replaced_head,
                "restored_head": restored_head,
                "kept_as": kept.name if kept is not None else None,
            },
        )
    return restored_head
