"""Checking electronic signatures (21 CFR 11.70, signature/record linking): every signature
against its signer's key as registered in the audit trail, its own `signature.applied` event
and the record it claims to sign; every answered approval for a valid signature.

Everything is read with Core in a few queries (the audit trail through its entity index),
so checking every signature costs about one Ed25519 verification each. `audit verify` runs
this after the hash chain (services/audit_verify.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from governance_desktop.domain.enums import ApprovalStatus
from governance_desktop.domain.identity import Meaning, RecordKind, signed_payload
from governance_desktop.services.workflows import definition_hash
from governance_desktop.store.models import (
    AuditEvent,
    PolicyVersion,
    Signature,
    SigningKey,
    User,
    Workflow,
    WorkflowApproval,
    WorkflowVersion,
)


@dataclass(frozen=True)
class SignatureProblem:
    """One signature, key or signed record that does not check out, named by id."""

    record: str
    problem: str

    def __str__(self) -> str:
        return f"{self.record}: {self.problem}"


_APPROVAL_MEANINGS = {
    ApprovalStatus.APPROVED.value: Meaning.APPROVED.value,
    ApprovalStatus.REJECTED.value: Meaning.REJECTED.value,
}
_keys = cast(Table, SigningKey.__table__)
_signatures = cast(Table, Signature.__table__)
_events = cast(Table, AuditEvent.__table__)
_approvals = cast(Table, WorkflowApproval.__table__)
_policy_versions = cast(Table, PolicyVersion.__table__)
_workflow_versions = cast(Table, WorkflowVersion.__table__)
_workflows = cast(Table, Workflow.__table__)
_users = cast(Table, User.__table__)


@dataclass(frozen=True)
class _Registration:
    """A key as its `signing_key.registered` audit event registered it."""

    event_id: int
    user: str
    public_key: str


def _events_of(session: Session, entity_types: Iterable[str], action: str) -> Any:
    """(id, entity_id, details) of the audit events ``action`` on ``entity_types``, in order
    (through the entity index: the trail may hold millions of events)."""
    return session.execute(
        select(_events.c.id, _events.c.entity_id, _events.c.details)
        .where(_events.c.entity_type.in_(list(entity_types)), _events.c.action == action)
        .order_by(_events.c.id)
    )


def _registered_keys(
    session: Session, problems: list[SignatureProblem]
) -> dict[int, _Registration]:
    """Key id → its first registration in the audit trail (not the key table); a key
    registered again with other content is a problem."""
    registered: dict[int, _Registration] = {}
    for event_id, user, details in _events_of(session, ["user"], "signing_key.registered"):
        try:
            key_id, public = int(details["key_id"]), str(details["public_key"])
        except (KeyError, TypeError, ValueError):
            problems.append(
                SignatureProblem(f"event {event_id}", "a key registration without a key")
            )
            continue
        first = registered.setdefault(key_id, _Registration(event_id, user, public))
        if (first.user, first.public_key) != (user, public):
            problems.append(
                SignatureProblem(
                    f"key {key_id}",
                    f"registered again by event {event_id} with another user or public key "
                    f"(first by event {first.event_id})",
                )
            )
    return registered


def _key_problems(
    session: Session, registered: dict[int, _Registration]
) -> dict[int, SignatureProblem]:
    """Each key in the key table that differs from its registration, by key id."""
    found: dict[int, SignatureProblem] = {}
    for key_id, user, public in session.execute(
        select(_keys.c.id, _keys.c.username, _keys.c.public_key)
    ):
        name = f"key {key_id} ({user})"
        first = registered.get(key_id)
        if first is None:
            found[key_id] = SignatureProblem(name, "never registered in the audit trail")
        elif first.user != user:
            found[key_id] = SignatureProblem(
                name, f"registered in the audit trail to '{first.user}', not to '{user}'"
            )
        elif first.public_key != public:
            found[key_id] = SignatureProblem(
                name, "its public key differs from the one registered in the audit trail"
            )
    return found


def _applied(session: Session) -> dict[int, tuple[int, str, str]]:
    """Signature id → (event id, record, signature hex) of its `signature.applied` event."""
    applied: dict[int, tuple[int, str, str]] = {}
    rows = _events_of(session, [k.value for k in RecordKind], "signature.applied")
    for event_id, entity_id, details in rows:
        if isinstance(details, dict) and "signature_id" in details:
            record = f"{entity_id}"
            applied.setdefault(
                _int(details["signature_id"]), (event_id, record, str(details.get("signature")))
            )
    return applied


def verify_signatures(session: Session) -> tuple[int, list[SignatureProblem]]:
    """Check every signature against its signer's key as registered in the audit trail, its
    own `signature.applied` event, and the record it claims to sign; and every answered
    approval for a valid signature. Returns (signatures checked, problems)."""
    problems: list[SignatureProblem] = []
    registered = _registered_keys(session, problems)
    bad_keys = _key_problems(session, registered)
    problems.extend(bad_keys.values())
    applied = _applied(session)
    rows = session.execute(select(_signatures).order_by(_signatures.c.id)).all()
    records = _Records(session, rows)
    signed_approvals: set[str] = set()
    for row in rows:
        name = f"signature {row.id} ({row.record_kind.replace('_', ' ')} {row.record_id})"
        problem = (
            _key_problem(row, registered, bad_keys)
            or _applied_problem(row, applied, registered)
            or records.problem(row)
            or _signature_problem(row, registered[row.key_id].public_key)
        )
        if problem is not None:
            problems.append(SignatureProblem(name, problem))
        elif row.record_kind == RecordKind.APPROVAL.value:
            signed_approvals.add(row.record_id)
    problems.extend(_unsigned_approvals(session, signed_approvals))
    return len(rows), problems


def _key_problem(
    row: Any, registered: dict[int, _Registration], bad_keys: dict[int, SignatureProblem]
) -> str | None:
    first = registered.get(row.key_id)
    if first is None:
        return f"key {row.key_id} was never registered in the audit trail"
    if first.user != row.signer:
        return f"key {row.key_id} is registered to '{first.user}', not to the signer '{row.signer}'"
    if row.key_id in bad_keys:
        return f"key {row.key_id} in the key table differs from its registration"
    return None


def _applied_problem(
    row: Any, applied: dict[int, tuple[int, str, str]], registered: dict[int, _Registration]
) -> str | None:
    event = applied.get(row.id)
    if event is None:
        return "no signature.applied event in the audit trail records it"
    event_id, record, signature = event
    if (record, signature) != (row.record_id, row.signature):
        return f"it differs from its signature.applied event {event_id} (moved or replaced)"
    if registered[row.key_id].event_id > event_id:
        return f"key {row.key_id} was registered after the signature was applied"
    return None


def _signature_problem(row: Any, public_hex: str) -> str | None:
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
        return "the signature does not match what it claims to sign (forged or altered)"
    return None


class _Records:
    """The records the signatures name, read in one query per kind."""

    def __init__(self, session: Session, rows: Sequence[Any]) -> None:
        ids: dict[str, list[int]] = {}
        for row in rows:
            ids.setdefault(row.record_kind, []).append(_int(row.record_id))
        self.approvals = _by_id(session, _approvals, ids.get(RecordKind.APPROVAL.value, []))
        self.policy_versions = _by_id(
            session, _policy_versions, ids.get(RecordKind.POLICY_VERSION.value, [])
        )
        self.workflow_versions = {
            row.id: row
            for row in _in_chunks(
                session,
                select(_workflow_versions, _workflows.c.name, _workflows.c.enabled).join(
                    _workflows, _workflows.c.id == _workflow_versions.c.workflow_id
                ),
                _workflow_versions.c.id,
                ids.get(RecordKind.WORKFLOW_VERSION.value, []),
            )
        }
        names = [r.record_id for r in rows if r.record_kind == RecordKind.USER.value]
        self.users = {
            row.username: row
            for row in _in_chunks(session, select(_users), _users.c.username, names)
        }

    def problem(self, row: Any) -> str | None:
        """What differs between the signed fields and the record they name, if anything."""
        kind, record_id = row.record_kind, _int(row.record_id)
        if kind == RecordKind.APPROVAL.value:
            return _approval_problem(row, self.approvals.get(record_id))
        if kind == RecordKind.POLICY_VERSION.value:
            version = self.policy_versions.get(record_id)
            if version is None:
                return "the policy version it signs does not exist"
            if version.content_hash != row.content_hash:
                return "the policy version holds other text than the signature covers"
        elif kind == RecordKind.WORKFLOW_VERSION.value:
            return _workflow_problem(row, self.workflow_versions.get(record_id))
        elif kind == RecordKind.USER.value:
            user = self.users.get(row.record_id)
            if user is None:
                return "the user it signs does not exist"
            if hashlib.sha256((row.reason or "").encode()).hexdigest() != row.content_hash:
                return "the signed act differs from the one the signature covers"
        return None


def _approval_problem(row: Any, approval: Any) -> str | None:
    if approval is None:
        return "the approval it signs does not exist"
    expected = _APPROVAL_MEANINGS.get(approval.status)
    if expected is not None and approval.on_behalf_reason is not None:
        expected = f"{expected} (admin for {approval.approver})"
    if expected != row.meaning:
        return f"the approval is {approval.status}, the signature says {row.meaning!r}"
    if approval.responded_by != row.signer:
        return f"the approval was answered by '{approval.responded_by}', signed by '{row.signer}'"
    if (approval.content_hash or "") != row.content_hash:
        return "the approval pins other text than the signature covers"
    if (approval.comment or None) != row.reason:
        return "the approval's comment differs from the signed one"
    return None


def _workflow_problem(row: Any, version: Any) -> str | None:
    if version is None:
        return "the workflow version it signs does not exist"
    meaning = f"{Meaning.WORKFLOW_PUBLISHED} ({version.name} v{version.version})"
    hashes = {definition_hash(version.definition, enabled) for enabled in (True, False)}
    if row.meaning != meaning or row.content_hash not in hashes:
        return "the workflow version holds another definition than the signature covers"
    return None


def _by_id(session: Session, table: Table, ids: list[int]) -> dict[int, Any]:
    return {row.id: row for row in _in_chunks(session, select(table), table.c.id, ids)}


def _in_chunks(session: Session, query: Any, column: Any, values: Sequence[Any]) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(values), 500):
        found.extend(session.execute(query.where(column.in_(values[start : start + 500]))))
    return found


def _int(text: object) -> int:
    try:
        return int(str(text))
    except ValueError:
        return -1


def _unsigned_approvals(session: Session, signed: set[str]) -> list[SignatureProblem]:
    """Answered approvals with no valid signature, except those answered before signatures
    were introduced (listed by the `signatures.introduced` event)."""
    legacy: set[str] = set()
    for _, _, details in _events_of(session, ["audit"], "signatures.introduced"):
        if isinstance(details, dict):
            legacy.update(str(i) for i in details.get("unsigned_approvals", []))
    answered = session.scalars(
        select(_approvals.c.id).where(
            _approvals.c.status.in_(list(_APPROVAL_MEANINGS)),
            _approvals.c.responded_by.is_not(None),
        )
    )
    return [
        SignatureProblem(f"approval {i}", "answered without a valid signature")
        for i in answered
        if str(i) not in signed and str(i) not in legacy
    ]
