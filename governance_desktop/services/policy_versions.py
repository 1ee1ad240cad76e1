"""Reading a policy's saved versions: the list, one version's text, and the diff of two.

The *effective* version is the published one in force (``policies.effective_version``); the
*working* revision is the newest saved version when it is newer than that (or when nothing is
published yet) and the policy is not retired. Reading needs `Permission.READ` (every role).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance_desktop.domain.authority import Permission
from governance_desktop.domain.diff import FieldChange, Segment, field_changes, word_diff
from governance_desktop.domain.enums import EntityType, PolicyStatus
from governance_desktop.domain.errors import NotFoundError, ValidationError
from governance_desktop.domain.identity import RecordKind
from governance_desktop.services.authority import require_permission
from governance_desktop.services.dto import SignatureInfo
from governance_desktop.services.signatures import signatures_for
from governance_desktop.store.db import Database
from governance_desktop.store.models import (
    Policy,
    PolicyVersion,
    WorkflowApproval,
    WorkflowExecution,
)


@dataclass(frozen=True)
class VersionInfo:
    """One saved version as a list shows it."""

    number: int
    content_hash: str
    created_by: str
    created_at: datetime
    approved_at: datetime | None
    published_at: datetime | None
    is_effective: bool
    is_working: bool
    #: Signatures on this version (Published, Retired), oldest first.
    signatures: tuple[SignatureInfo, ...] = field(default=(), kw_only=True)


@dataclass(frozen=True)
class VersionText(VersionInfo):
    """One saved version with its content."""

    title: str
    body: str
    owner: str | None
    review_interval_days: int


@dataclass(frozen=True)
class PolicyDocument:
    """A policy's effective version and its working revision (either may be None)."""

    code: str
    status: str
    effective: VersionText | None
    working: VersionText | None


@dataclass(frozen=True)
class VersionDiff:
    """What changed from version ``from_version`` (None: nothing before) to ``to_version``."""

    code: str
    from_version: VersionInfo | None
    to_version: VersionInfo
    fields: list[FieldChange]
    body: list[Segment]

    @property
    def changed(self) -> bool:
        return any(f.changed for f in self.fields) or any(s.op != "equal" for s in self.body)


@dataclass(frozen=True)
class ApprovalText:
    """The text an approval request was asked about (the version its content hash pins), and
    what it changes against the effective version."""

    approval_id: int
    code: str
    pinned: VersionText | None  # None: the request pinned no version (not about a policy)
    effective: VersionText | None
    diff: VersionDiff | None


@dataclass(frozen=True)
class _Marks:
    effective: int | None
    working: int | None


def _marks(policy: Policy) -> _Marks:
    effective = policy.effective_version
    newest = policy.version
    has_working = policy.status != PolicyStatus.RETIRED and newest > (effective or 0)
    return _Marks(effective, newest if has_working else None)


def _info(row: PolicyVersion, marks: _Marks, signed: tuple[SignatureInfo, ...] = ()) -> VersionInfo:
    return VersionInfo(
        number=row.number,
        content_hash=row.content_hash,
        created_by=row.created_by,
        created_at=row.created_at,
        approved_at=row.approved_at,
        published_at=row.published_at,
        is_effective=row.number == marks.effective,
        is_working=row.number == marks.working,
        signatures=signed,
    )


def _text(row: PolicyVersion, marks: _Marks) -> VersionText:
    return VersionText(
        **vars(_info(row, marks)),
        title=row.title,
        body=row.body,
        owner=row.owner,
        review_interval_days=row.review_interval_days,
    )


def _fields(text: VersionText | None) -> dict[str, object]:
    if text is None:
        return {}
    return {
        "title": text.title,
        "owner": text.owner,
        "review_interval_days": text.review_interval_days,
    }


def diff_texts(code: str, old: VersionText | None, new: VersionText) -> VersionDiff:
    """The diff of two loaded versions (``old`` None: everything in ``new`` is inserted)."""
    return VersionDiff(
        code=code,
        from_version=_as_info(old) if old is not None else None,
        to_version=_as_info(new),
        fields=field_changes(_fields(old), _fields(new)),
        body=word_diff(old.body if old is not None else "", new.body),
    )


def _as_info(version: VersionInfo) -> VersionInfo:
    """The list fields only (a `VersionText` without its content)."""
    return VersionInfo(**{f.name: getattr(version, f.name) for f in fields(VersionInfo)})


def _policy(session: Session, code: str) -> Policy:
    policy = session.scalar(select(Policy).where(Policy.code == code))
    if policy is None:
        raise NotFoundError(f"unknown policy '{code}'")
    return policy


def _row(session: Session, policy: Policy, number: int) -> PolicyVersion:
    row = session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.policy_id == policy.id, PolicyVersion.number == number
        )
    )
    if row is None:
        raise NotFoundError(
            f"{policy.code} has no version {number} (versions 1 to {policy.version})"
        )
    return row


class PolicyVersions:
    """Read-only: the versions of one policy and what changed between two of them."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def versions(self, actor: str, code: str) -> list[VersionInfo]:
        """Every saved version of ``code``, oldest first."""
        with self._db.reading() as session:
            require_permission(session, actor, Permission.READ)
            policy = _policy(session, code)
            marks = _marks(policy)
            rows = list(
                session.scalars(
                    select(PolicyVersion)
                    .where(PolicyVersion.policy_id == policy.id)
                    .order_by(PolicyVersion.number)
                )
            )
            signed = signatures_for(session, RecordKind.POLICY_VERSION, [r.id for r in rows])
            return [_info(row, marks, tuple(signed.get(str(row.id), ()))) for row in rows]

    def version(self, actor: str, code: str, number: int) -> VersionText:
        with self._db.reading() as session:
            require_permission(session, actor, Permission.READ)
            policy = _policy(session, code)
            return _text(_row(session, policy, number), _marks(policy))

    def document(self, actor: str, code: str) -> PolicyDocument:
        """The effective version and the working revision of ``code``."""
        with self._db.reading() as session:
            require_permission(session, actor, Permission.READ)
            policy = _policy(session, code)
            marks = _marks(policy)
            effective = working = None
            if marks.effective is not None:
                effective = _text(_row(session, policy, marks.effective), marks)
            if marks.working is not None:
                working = _text(_row(session, policy, marks.working), marks)
            return PolicyDocument(policy.code, policy.status, effective, working)

    def diff(
        self, actor: str, code: str, from_n: int | None = None, to_n: int | None = None
    ) -> VersionDiff:
        """From ``from_n`` to ``to_n``; by default the effective version to the working
        revision, or (with no working revision) the previous version to the newest."""
        with self._db.reading() as session:
            require_permission(session, actor, Permission.READ)
            policy = _policy(session, code)
            marks = _marks(policy)
            old_n, new_n = _pair(policy, marks, from_n, to_n)
            old = _text(_row(session, policy, old_n), marks)
            new = _text(_row(session, policy, new_n), marks)
            return diff_texts(policy.code, old, new)

    def approval_text(self, actor: str, approval_id: int) -> ApprovalText:
        """The version approval ``approval_id`` pinned and its diff against the effective
        version (against nothing if none is in force yet)."""
        with self._db.reading() as session:
            require_permission(session, actor, Permission.READ)
            found = session.execute(
                select(WorkflowApproval, WorkflowExecution)
                .join(WorkflowExecution, WorkflowExecution.id == WorkflowApproval.execution_id)
                .where(WorkflowApproval.id == approval_id)
            ).first()
            if found is None:
                raise NotFoundError(f"unknown approval {approval_id}")
            approval, execution = found
            if execution.entity_type != EntityType.POLICY:
                return ApprovalText(approval_id, "", None, None, None)
            policy = session.get(Policy, execution.entity_id)
            if policy is None:
                raise NotFoundError(f"approval {approval_id} is about a policy that is gone")
            marks = _marks(policy)
            pinned_row = _pinned(session, policy, approval)
            pinned = _text(pinned_row, marks) if pinned_row is not None else None
            effective = None
            if marks.effective is not None:
                effective = _text(_row(session, policy, marks.effective), marks)
            diff = diff_texts(policy.code, effective, pinned) if pinned is not None else None
            return ApprovalText(approval_id, policy.code, pinned, effective, diff)


def _pinned(session: Session, policy: Policy, approval: WorkflowApproval) -> PolicyVersion | None:
    """The version whose content hash the approval pinned (the numbered one first; a request
    from before pinning names only the number)."""
    query = select(PolicyVersion).where(PolicyVersion.policy_id == policy.id)
    if approval.content_hash is not None:
        rows = list(
            session.scalars(query.where(PolicyVersion.content_hash == approval.content_hash))
        )
        numbered = [r for r in rows if r.number == approval.policy_version]
        found = numbered or rows
        return found[-1] if found else None
    if approval.policy_version is not None:
        return session.scalar(query.where(PolicyVersion.number == approval.policy_version))
    return None


def _pair(policy: Policy, marks: _Marks, from_n: int | None, to_n: int | None) -> tuple[int, int]:
    """The two version numbers a diff compares (see `PolicyVersions.diff`)."""
    newest = policy.version
    for value, flag in ((from_n, "--from"), (to_n, "--to")):
        if value is not None and not 1 <= value <= newest:
            raise ValidationError(
                f"{policy.code} has no version {value} (versions 1 to {newest})", flag
            )
    if to_n is None:
        to_n = marks.working or newest
    if from_n is None:
        if marks.effective is not None and marks.effective < to_n:
            from_n = marks.effective
        elif to_n > 1:
            from_n = to_n - 1
        elif newest == 1:
            raise ValidationError(
                f"{policy.code} has only version 1: there is nothing to compare it with"
            )
        else:
            raise ValidationError(
                f"version 1 of {policy.code} has no earlier version: give --from N as well"
            )
    return from_n, to_n
