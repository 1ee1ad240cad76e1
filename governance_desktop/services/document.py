"""Document control: each saved text of a policy is an immutable, hashed version row.

A policy's `version` is its newest saved version; `effective_version` the published one in
force. A version is *approved* once an approval rule is met for exactly its content hash while
the policy awaits approval; only an approved version may become approved or published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, and_, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from governance_desktop.domain.document import content_hash
from governance_desktop.domain.enums import PolicyStatus
from governance_desktop.domain.errors import LifecycleError
from governance_desktop.services.dto import PolicyInfo
from governance_desktop.store.models import PolicyVersion
from governance_desktop.store.types import utcnow

VERSIONS = cast(Table, PolicyVersion.__table__)
_V = VERSIONS.c
_ONE = select(_V.content_hash, _V.approved_at, _V.created_by, _V.approved_execution_id).where(
    _V.policy_id == bindparam("p_policy"), _V.number == bindparam("p_number")
)


@dataclass(frozen=True)
class VersionState:
    """What the guards need of one version."""

    number: int
    content_hash: str
    approved: bool
    author: str
    approved_by_execution: int | None = None  # the execution whose rule approved it last


def record_version(session: Session, policy_id: int, info: PolicyInfo, actor: str) -> str:
    """Save ``info``'s content as version ``info.version``; returns its content hash."""
    digest = content_hash(info.title, info.body or "", info.owner, info.review_interval_days)
    session.connection().execute(
        insert(VERSIONS),
        {
            "policy_id": policy_id,
            "number": info.version,
            "title": info.title,
            "body": info.body or "",
            "owner": info.owner,
            "review_interval_days": info.review_interval_days,
            "attachments": [],
            "content_hash": digest,
            "created_by": actor,
            "created_at": utcnow(),
        },
    )
    return digest


def version_state(session: Session, policy_id: int, number: int) -> VersionState:
    found = session.connection().execute(_ONE, {"p_policy": policy_id, "p_number": number}).first()
    if found is None:  # every save writes its row; a missing one means a damaged register
        raise LookupError(f"policy {policy_id} has no saved version {number}")
    digest, approved_at, author, execution_id = found
    return VersionState(number, digest, approved_at is not None, author, execution_id)


def mark_approved(
    session: Session, policy_id: int, number: int, digest: str, execution_id: int
) -> bool:
    """Approve version ``number`` if its content hash is ``digest`` (the text the approvers
    were asked about), recording ``execution_id`` as the round that approved it (a text
    approved again in a later round records the later one). False when the text differs."""
    result = session.connection().execute(
        update(VERSIONS)
        .where(
            _V.policy_id == policy_id,
            _V.number == number,
            _V.content_hash == digest,
        )
        .values(approved_at=utcnow(), approved_execution_id=execution_id)
    )
    return bool(result.rowcount)


def mark_published(session: Session, policy_id: int, number: int) -> None:
    session.connection().execute(
        update(VERSIONS)
        .where(_V.policy_id == policy_id, _V.number == number)
        .values(published_at=utcnow())
    )


def check_guard(
    session: Session,
    policy_id: int,
    code: str,
    number: int,
    new: PolicyStatus,
    execution_id: int | None,
) -> None:
    """The guarded transitions: approved only by the execution whose approval rule was just
    met for version ``number`` (never a person's move); published only for an approved
    text. Refused in one line naming the rule."""
    if new is PolicyStatus.APPROVED:
        version = version_state(session, policy_id, number)
        if execution_id is None or version.approved_by_execution != execution_id:
            raise LifecycleError(
                f"{code}: a policy becomes approved only when an approval rule is met for its "
                "text, never by a direct move (rule: guarded transition)"
            )
    elif new is PolicyStatus.PUBLISHED and not version_state(session, policy_id, number).approved:
        raise LifecycleError(
            f"{code}: version {number} has not been approved, so it cannot be published; a "
            "version is approved only when an approval rule is met for its text "
            "(rule: guarded transition)"
        )


def barred(session: Session, policy_id: int, number: int, requester: str) -> dict[str, str]:
    """Segregation of duties: who may not approve version ``number``, and why — the
    requester, the author of that version and everyone who saved a version since the last
    approved one. One list for asking (who is asked), answering and delegating."""
    why = {requester: "asked for this approval"}
    author = version_state(session, policy_id, number).author
    why.setdefault(author, f"wrote version {number}, the text under approval")
    for editor in sorted(editors_since_approved(session, policy_id)):
        why.setdefault(editor, "edited the text since its last approved version")
    return why


def editors_since_approved(session: Session, policy_id: int) -> set[str]:
    """Who saved a version since the last approved one (everyone, if none was approved):
    the authors segregation of duties keeps from approving the text."""
    last_approved = (
        select(func.coalesce(func.max(_V.number), 0))
        .where(_V.policy_id == policy_id, _V.approved_at.is_not(None))
        .scalar_subquery()
    )
    rows = session.connection().execute(
        select(_V.created_by)
        .where(and_(_V.policy_id == policy_id, _V.number > last_approved))
        .distinct()
    )
    return {row[0] for row in rows}
