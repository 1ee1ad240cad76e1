"""Electronic signatures: applying one to a record, reading them back for display, and
checking every one against its signer's registered key and its record (21 CFR 11.50, 11.70)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from governance_desktop.domain.enums import ApprovalStatus
from governance_desktop.domain.errors import AuthenticationError
from governance_desktop.domain.identity import Meaning, RecordKind, manifestation, signed_payload
from governance_desktop.services.audit import AuditService
from governance_desktop.services.dto import SignatureInfo
from governance_desktop.services.identity import Signer
from governance_desktop.store.models import (
    AuditEvent,
    PolicyVersion,
    Signature,
    SigningKey,
    WorkflowApproval,
    WorkflowVersion,
)
from governance_desktop.store.types import utcnow

#: How long a password given for signing stays good for the act it was given for.
SIGNING_WINDOW = timedelta(minutes=2)


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


def require_signer(signer: Signer | None, actor: str, act: str) -> Signer:
    """The signer of ``act`` by ``actor``: refused unless ``actor`` just gave their password."""
    if signer is None:
        raise AuthenticationError(
            f"{act} is a signed act: '{actor}' must sign with their password (rule: signature)"
        )
    if signer.username != actor:
        raise AuthenticationError(
            f"{act}: the signature is by '{signer.username}', not by '{actor}' (rule: signature)"
        )
    if utcnow() - signer.authenticated_at > SIGNING_WINDOW:
        raise AuthenticationError(
            f"{act}: the password was given too long ago; sign again (rule: signature)"
        )
    return signer


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


# --- verification ----------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureProblem:
    """One signature or signed record that does not check out, named by id."""

    record: str
    problem: str

    def __str__(self) -> str:
        return f"{self.record}: {self.problem}"


_APPROVAL_MEANINGS = {
    ApprovalStatus.APPROVED.value: Meaning.APPROVED,
    ApprovalStatus.REJECTED.value: Meaning.REJECTED,
}
_keys = cast(Table, SigningKey.__table__)


def _registered_keys(session: Session) -> dict[int, tuple[str, str]]:
    """Key id → (user, public key) as registered in the audit trail (not the key table)."""
    registered: dict[int, tuple[str, str]] = {}
    rows = session.execute(
        select(AuditEvent.entity_id, AuditEvent.details).where(
            AuditEvent.action == "signing_key.registered"
        )
    )
    for user, details in rows:
        registered[int(details["key_id"])] = (user, str(details["public_key"]))
    return registered


def verify_signatures(session: Session) -> tuple[int, list[SignatureProblem]]:
    """Check every signature against its signer's registered key and the record it claims to
    sign, and every answered approval for its signature. Returns (signatures, problems)."""
    registered = _registered_keys(session)
    keys = session.execute(select(_keys.c.id, _keys.c.public_key))
    stored = {key_id: public for key_id, public in keys}
    problems: list[SignatureProblem] = []
    signed_approvals: set[str] = set()
    count = 0
    for row in session.scalars(select(Signature).order_by(Signature.id)):
        count += 1
        name = f"signature {row.id} ({row.record_kind} {row.record_id})"
        problem = _key_problem(row, registered, stored) or _record_problem(session, row)
        if problem is None:
            problem = _signature_problem(row, registered[row.key_id][1])
        if problem is not None:
            problems.append(SignatureProblem(name, problem))
        elif row.record_kind == RecordKind.APPROVAL.value:
            signed_approvals.add(row.record_id)
    problems.extend(_unsigned_approvals(session, signed_approvals))
    return count, problems


def _key_problem(
    row: Signature, registered: dict[int, tuple[str, str]], stored: dict[int, str]
) -> str | None:
    if row.key_id not in registered:
        return f"key {row.key_id} was never registered in the audit trail"
    user, public = registered[row.key_id]
    if user != row.signer:
        return f"key {row.key_id} belongs to '{user}', not to the signer '{row.signer}'"
    if stored.get(row.key_id) != public:
        return f"key {row.key_id} in the key table differs from its registered public key"
    return None


def _signature_problem(row: Signature, public_hex: str) -> str | None:
    payload = signed_payload(
        row.record_kind,
        row.record_id,
        row.content_hash,
        row.meaning,
        row.reason,
        row.signer,
        row.printed_name,
        row.signed_at,
    )
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(row.signature), payload
        )
    except (InvalidSignature, ValueError):
        return "the signature does not match what it claims to sign (forged or copied)"
    return None


def _record_problem(session: Session, row: Signature) -> str | None:
    """What differs between the signed fields and the record they name, if anything."""
    kind = row.record_kind
    if kind == RecordKind.APPROVAL.value:
        approval = session.get(WorkflowApproval, _int(row.record_id))
        if approval is None:
            return "the approval it signs does not exist"
        if _APPROVAL_MEANINGS.get(approval.status) != row.meaning.split(" (")[0]:
            return f"the approval is {approval.status}, the signature says {row.meaning!r}"
        if approval.responded_by != row.signer:
            return (
                f"the approval was answered by '{approval.responded_by}', signed by '{row.signer}'"
            )
        if approval.content_hash is not None and approval.content_hash != row.content_hash:
            return "the approval pins other text than the signature covers"
        if (approval.comment or None) != row.reason:
            return "the approval's comment differs from the signed one"
    elif kind == RecordKind.POLICY_VERSION.value:
        version = session.get(PolicyVersion, _int(row.record_id))
        if version is None or version.content_hash != row.content_hash:
            return "the policy version it signs does not exist or holds other text"
    elif kind == RecordKind.WORKFLOW_VERSION.value:
        workflow = session.get(WorkflowVersion, _int(row.record_id))
        if workflow is None:
            return "the workflow version it signs does not exist"
    return None


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return -1


def _unsigned_approvals(session: Session, signed: set[str]) -> list[SignatureProblem]:
    """Answered approvals with no valid signature, except those answered before signatures
    were introduced (listed by the `signatures.introduced` event)."""
    legacy: set[str] = set()
    for details in session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "signatures.introduced")
    ):
        legacy.update(str(i) for i in details.get("unsigned_approvals", []))
    answered = session.scalars(
        select(WorkflowApproval.id).where(
            WorkflowApproval.status.in_(list(_APPROVAL_MEANINGS)),
            WorkflowApproval.responded_by.is_not(None),
        )
    )
    return [
        SignatureProblem(f"approval {i}", "answered without a valid signature")
        for i in answered
        if str(i) not in signed and str(i) not in legacy
    ]
