"""Making approval requests: who is eligible to approve a policy's text, and the pending rows
that pin that text (its version and content hash). Used by workflow approval steps and by
the built-in standard approval (services/standard_approval.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from governance_desktop.domain.enums import ApprovalStatus, Role
from governance_desktop.services.document import barred, version_state
from governance_desktop.store.models import User, WorkflowApproval

_approvals = cast(Table, WorkflowApproval.__table__)
_users = cast(Table, User.__table__)


def eligible_approvers(session: Session, policy_id: int, version: int, requester: str) -> list[str]:
    """Every active user with the role approver whom segregation of duties lets approve
    version ``version`` of the policy (`document.barred`)."""
    excluded = barred(session, policy_id, version, requester)
    names = session.connection().execute(
        select(_users.c.username)
        .where(_users.c.role == Role.APPROVER, _users.c.active.is_(True))
        .order_by(_users.c.username)
    )
    return [name for (name,) in names if name not in excluded]


def add_requests(
    session: Session,
    execution_id: int,
    step: int,
    approvers: Iterable[str],
    policy_id: int,
    version: int,
    now: datetime,
    due: datetime | None,
) -> str:
    """One pending request per approver for version ``version`` of the policy (one INSERT);
    returns the content hash they pin: answers to any other text are refused."""
    digest = version_state(session, policy_id, version).content_hash
    rows = [
        {
            "execution_id": execution_id,
            "step_index": step,
            "approver": approver,
            "status": ApprovalStatus.PENDING,
            "policy_version": version,
            "content_hash": digest,
            "requested_at": now,
            "due_at": due,
        }
        for approver in approvers
    ]
    if rows:
        session.connection().execute(insert(_approvals), rows)
    return digest
