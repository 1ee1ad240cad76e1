"""The audit event a restore leaves in the restored database: who restored which file, the
head hash of the trail it replaced and the head hash of the trail it put back, so that
`audit verify` of the restored trail shows the restore (docs/authority.md)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from sqlalchemy import Table, select

from governance_desktop.domain.identity import Meaning, RecordKind
from governance_desktop.services.audit import AuditService
from governance_desktop.services.identity import Signer
from governance_desktop.services.signatures import require_signer, sign
from governance_desktop.store.db import Database
from governance_desktop.store.models import AuditEvent

_events = cast(Table, AuditEvent.__table__)
_HEAD = select(_events.c.hash).order_by(_events.c.id.desc()).limit(1)


def trail_head(db: Database) -> str | None:
    """The hash of the trail's last event (None: an empty trail)."""
    with db.reading() as session:
        head: str | None = session.connection().execute(_HEAD).scalar()
        return head


def record_restore(
    db: Database,
    audit: AuditService,
    actor: str,
    source: Path,
    replaced_head: str | None,
    kept: Path | None,
    *,
    restored_head: str | None,
    signer: Signer | None = None,
    file_hash: str | None = None,
) -> tuple[str | None, str | None]:
    """Append "data.restored" to the restored trail, signed by ``signer`` (record: the
    restored file's SHA-256, ``file_hash``) in the same transaction; returns the head hash it
    restored (``restored_head``, from `trail_head` right after opening) and the signature's
    manifestation."""
    manifestation = None
    with db.transaction() as session:
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
                "sha256": file_hash,
            },
        )
        if signer is not None and file_hash is not None:
            require_signer(signer, actor, "restoring a backup")
            signed = sign(
                session, audit, signer, RecordKind.RESTORE, file_hash, file_hash, Meaning.RESTORED
            )
            manifestation = signed.manifestation
    return restored_head, manifestation
