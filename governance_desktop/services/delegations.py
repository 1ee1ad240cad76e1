"""Delegating approvals: an approver lets another eligible user answer their approvals for a
date range (docs/authority.md, "Delegation and escalation").

A delegation never lets anyone do what they could not do themselves: the delegate must be an
active approver or admin, and is refused if they would break segregation of duties for an
approval the delegator has pending (the requester, the author of the version under approval,
anyone who edited it since the last approved version). The same rule is checked again when
the delegate answers (services/approvals.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from governance_desktop.domain.authority import Permission, allows, refusal
from governance_desktop.domain.clock import Clock, local_date, utc_now
from governance_desktop.domain.enums import ApprovalStatus, ExecutionStatus
from governance_desktop.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from governance_desktop.domain.text import COMMENT_MAX, check_text
from governance_desktop.services.audit import AuditService
from governance_desktop.services.authority import require_permission
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.document import barred
from governance_desktop.services.workflows import version_definition
from governance_desktop.store.conflicts import retry_conflicts
from governance_desktop.store.db import Database
from governance_desktop.store.models import (
    Delegation,
    Policy,
    User,
    WorkflowApproval,
    WorkflowExecution,
)

#: The longest delegation: a year (both ends included).
MAX_DAYS = 366


@dataclass(frozen=True)
class DelegationInfo:
    """One delegation as a person reads it; ``state`` is active, scheduled, ended or revoked
    (on the day it was read)."""

    id: int
    delegator: str
    delegate: str
    starts_on: date
    ends_on: date
    reason: str | None
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    state: str


def _state(row: Delegation, today: date) -> str:
    if row.revoked_at is not None:
        return "revoked"
    if row.ends_on < today:
        return "ended"
    if row.starts_on > today:
        return "scheduled"
    return "active"


def delegation_info(row: Delegation, today: date) -> DelegationInfo:
    return DelegationInfo(
        id=row.id,
        delegator=row.delegator,
        delegate=row.delegate,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        reason=row.reason,
        created_by=row.created_by,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        state=_state(row, today),
    )


def active_delegations(session: Session, on: date) -> dict[str, tuple[str, date]]:
    """Every delegation in force on ``on``: delegator → (delegate, last day)."""
    rows = session.execute(
        select(Delegation.delegator, Delegation.delegate, Delegation.ends_on).where(
            Delegation.revoked_at.is_(None),
            Delegation.starts_on <= on,
            Delegation.ends_on >= on,
        )
    )
    return {delegator: (delegate, ends) for delegator, delegate, ends in rows}


def active_delegate(session: Session, approver: str, on: date) -> str | None:
    """Who may answer ``approver``'s approvals on ``on`` in their place, if anyone (an
    active user: a deactivated delegate answers nothing)."""
    return session.scalar(
        select(Delegation.delegate)
        .join(User, User.username == Delegation.delegate)
        .where(
            Delegation.delegator == approver,
            Delegation.revoked_at.is_(None),
            Delegation.starts_on <= on,
            Delegation.ends_on >= on,
            User.active.is_(True),
        )
        .order_by(Delegation.id.desc())
        .limit(1)
    )


def barred_from_approving(
    session: Session, cache: DatabaseCache, approval: WorkflowApproval
) -> dict[str, str]:
    """Who may not answer ``approval`` by segregation of duties, and why: the requester
    (who started the execution), the author of the version under approval and everyone who
    saved a version since the last approved one. Empty if the workflow allows self approval."""
    execution = session.get(WorkflowExecution, approval.execution_id)
    assert execution is not None
    defn = version_definition(session, cache, execution.workflow_version_id)
    if defn.allow_self_approval:
        return {}
    number = approval.policy_version
    if number is None:  # a request older than document control: the policy's newest text
        number = session.scalar(select(Policy.version).where(Policy.id == execution.entity_id))
    return barred(session, execution.entity_id, number or 1, execution.started_by)


class DelegationService:
    """Creates, revokes and lists delegations; every change is audited."""

    def __init__(self, db: Database, audit: AuditService, clock: Clock = utc_now) -> None:
        self._db = db
        self._cache = DatabaseCache.of(db)
        self._audit = audit
        self._clock = clock

    def today(self) -> date:
        return local_date(self._clock())

    @retry_conflicts
    def delegate(
        self,
        actor: str,
        to: str,
        starts_on: date,
        ends_on: date,
        reason: str | None = None,
        for_user: str | None = None,
    ) -> DelegationInfo:
        """Let ``to`` answer the approvals of ``for_user`` (default: the actor) from
        ``starts_on`` to ``ends_on``, both included. Only an admin delegates for another."""
        if reason:
            check_text(reason, "reason", COMMENT_MAX)
        today = self.today()
        if ends_on < starts_on:
            raise ValidationError(
                f"the delegation ends ({ends_on}) before it starts ({starts_on})", "until"
            )
        if ends_on < today:
            raise ValidationError(f"the delegation would already be over ({ends_on})", "until")
        if (ends_on - starts_on).days >= MAX_DAYS:
            raise ValidationError(
                f"a delegation lasts at most a year ({starts_on} to {ends_on} is longer)", "until"
            )
        with self._db.transaction() as session:
            user = require_permission(session, actor, Permission.DELEGATE_APPROVALS)
            delegator = for_user or actor
            if delegator != actor:
                if not user.is_admin:
                    raise PermissionDeniedError(
                        f"'{actor}' is {user.role}; only admin may delegate another "
                        f"approver's approvals (rule: role)"
                    )
                self._eligible(session, delegator, "delegator")
            if to == delegator:
                raise ValidationError(f"'{delegator}' cannot delegate to themselves", "to")
            self._eligible(session, to, "delegate")
            self._no_overlap(session, delegator, starts_on, ends_on)
            self._segregation(session, delegator, to)
            row = Delegation(
                delegator=delegator,
                delegate=to,
                starts_on=starts_on,
                ends_on=ends_on,
                reason=reason.strip() if reason else None,
                created_by=actor,
                created_at=self._clock(),
            )
            session.add(row)
            session.flush()
            self._audit.record(
                session,
                actor,
                "delegation.created",
                "user",
                delegator,
                {
                    "delegation_id": row.id,
                    "delegate": to,
                    "starts_on": starts_on.isoformat(),
                    "ends_on": ends_on.isoformat(),
                    "reason": row.reason,
                },
            )
            return delegation_info(row, today)

    @retry_conflicts
    def revoke(self, actor: str, delegation_id: int) -> DelegationInfo:
        """End a delegation now; the delegator or an admin may."""
        with self._db.transaction() as session:
            user = require_permission(session, actor, Permission.DELEGATE_APPROVALS)
            row = session.get(Delegation, delegation_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"unknown delegation {delegation_id}")
            if row.delegator != actor and not user.is_admin:
                raise PermissionDeniedError(
                    f"delegation {delegation_id} is '{row.delegator}''s; only they or an admin "
                    f"may revoke it (rule: role)"
                )
            if row.revoked_at is not None:
                raise ConflictError(f"delegation {delegation_id} is already revoked")
            row.revoked_at = self._clock()
            self._audit.record(
                session,
                actor,
                "delegation.revoked",
                "user",
                row.delegator,
                {"delegation_id": row.id, "delegate": row.delegate},
            )
            return delegation_info(row, self.today())

    def list(self, user: str | None = None) -> list[DelegationInfo]:
        """Delegations given or received by ``user`` (None: everyone's), newest first."""
        query = select(Delegation).order_by(Delegation.id.desc())
        if user is not None:
            query = query.where(or_(Delegation.delegator == user, Delegation.delegate == user))
        today = self.today()
        with self._db.reading() as session:
            return [delegation_info(row, today) for row in session.scalars(query)]

    # --- rules ---------------------------------------------------------------------------

    @staticmethod
    def _eligible(session: Session, username: str, what: str) -> None:
        """``username`` is an active user whose role may answer approvals."""
        found = session.execute(
            select(User.role, User.active).where(User.username == username)
        ).first()
        if found is None:
            raise NotFoundError(f"unknown {what} '{username}'")
        role, active = found
        if not active:
            raise PermissionDeniedError(f"{what} '{username}' is deactivated (rule: active users)")
        if not allows(role, Permission.ANSWER_APPROVALS):
            line = refusal(username, role, Permission.ANSWER_APPROVALS)
            raise PermissionDeniedError(
                f"cannot delegate to '{username}': {line}" if what == "delegate" else line
            )

    @staticmethod
    def _no_overlap(session: Session, delegator: str, starts_on: date, ends_on: date) -> None:
        other = session.execute(
            select(Delegation.id, Delegation.delegate, Delegation.starts_on, Delegation.ends_on)
            .where(
                Delegation.delegator == delegator,
                Delegation.revoked_at.is_(None),
                Delegation.starts_on <= ends_on,
                Delegation.ends_on >= starts_on,
            )
            .limit(1)
        ).first()
        if other is not None:
            raise ConflictError(
                f"'{delegator}' already delegates to '{other.delegate}' from {other.starts_on} "
                f"to {other.ends_on} (delegation {other.id}); revoke it first"
            )

    def _segregation(self, session: Session, delegator: str, to: str) -> None:
        """Refuse ``to`` if they may not answer one of ``delegator``'s pending approvals."""
        pending = session.execute(
            select(WorkflowApproval, Policy.code)
            .join(WorkflowExecution, WorkflowExecution.id == WorkflowApproval.execution_id)
            .join(Policy, Policy.id == WorkflowExecution.entity_id)
            .where(
                WorkflowApproval.approver == delegator,
                WorkflowApproval.status == ApprovalStatus.PENDING,
                WorkflowExecution.status == ExecutionStatus.AWAITING_APPROVAL,
            )
        )
        for approval, code in pending:
            why = barred_from_approving(session, self._cache, approval).get(to)
            if why is not None:
                raise PermissionDeniedError(
                    f"cannot delegate to '{to}': they {why} ({code}, approval {approval.id}) "
                    f"and cannot approve it (rule: segregation of duties)"
                )
