"""Electronic signatures: applying one to a record and reading them back for display
(21 CFR 11.50, 11.70); services/signature_check.py checks them all (`audit verify`)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance_desktop.domain.identity import Meaning, RecordKind, manifestation, signed_payload
from governance_desktop.services.audit import AuditService
from governance_desktop.services.dto import SignatureInfo
from governance_desktop.services.identity import Signer
from governance_desktop.services.identity import require_signer as require_signer
from governance_desktop.store.models import (
    Signature,
)
from governance_desktop.store.types import utcnow


def _info(row: Signature) -> SignatureInfo:
    return SignatureInfo(
        row.id,
        row.record_kind,
        row.record_id,
        row.content_hash,
        row.meaning,
        row.reason,
        row.signer,
        row.printed_name,
        row.signed_at,
        manifestation(row.printed_name, row.signed_at, row.meaning),
    )


def sign(
    session: Session,
    audit: AuditService,
    signer: Signer,
    kind: RecordKind,
    record_id: str | int,
    content_hash: str,
    meaning: Meaning | str,
    reason: str | None = None,
) -> SignatureInfo:
    """Sign ``kind`` ``record_id`` with ``signer``'s key, store it, and audit it."""
    at = utcnow().replace(microsecond=0)
    payload = signed_payload(
        kind.value,
        str(record_id),
        content_hash,
        str(meaning),
        reason,
        signer.username,
        signer.printed_name,
        at,
    )
    row = Signature(
        record_kind=kind.value,
        record_id=str(record_id),
        content_hash=content_hash,
        meaning=str(meaning),
        reason=reason,
        signer=signer.username,
        printed_name=signer.printed_name,
        signed_at=at,
        key_id=signer.key_id,
        signature=signer.sign(payload),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        signer.username,
        "signature.applied",
        kind.value,
        str(record_id),
        {
            "signature_id": row.id,
            "meaning": row.meaning,
            # The manifestation travels with the trail and its CSV export (21 CFR 11.50).
            "manifestation": manifestation(row.printed_name, at, row.meaning),
            "content_hash": content_hash,
            "key_id": signer.key_id,
            "signature": row.signature,
        },
    )
    return _info(row)


def signatures_for(
    session: Session, kind: RecordKind, record_ids: Iterable[str | int]
) -> dict[str, list[SignatureInfo]]:
    """The signatures on each of ``record_ids``, oldest first."""
    ids = [str(i) for i in record_ids]
    found: dict[str, list[SignatureInfo]] = {}
    for start in range(0, len(ids), 500):
        rows = session.scalars(
            select(Signature)
            .where(
                Signature.record_kind == kind.value,
                Signature.record_id.in_(ids[start : start + 500]),
            )
            .order_by(Signature.id)
        )
        for row in rows:
            found.setdefault(row.record_id, []).append(_info(row))
    return found
