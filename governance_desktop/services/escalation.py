"""The approval SLA: a pending approval past its due date reminds its approver once, and
after the step's ``escalate_after_days`` more days goes once to ``escalate_to`` (or every
active admin). Run every minute by the worker and by `approvals escalate`.

Each reminder and escalation is claimed by a compare-and-set on the approval row
(``overdue_notified_at`` / ``escalated_at`` still empty), so two workers sweeping at once, or
a sweep run twice, notify nobody twice. A sweep with nothing due writes nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, cast

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from governance_desktop.domain.authority import Permission
from governance_desktop.domain.clock import Clock, local_date, utc_now
from governance_desktop.domain.enums import ApprovalStatus, EntityType, ExecutionStatus, Role
from governance_desktop.domain.workflow.definition import ApprovalAction
from governance_desktop.services.actions import LocalNotifier, Notifier
from governance_desktop.services.audit import AuditService
from governance_desktop.services.authority import require_permission
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.workflows import version_definition
from governance_desktop.store.conflicts import retry_conflicts
from governance_desktop.store.db import Database
from governance_desktop.store.models import (
    Notification,
    Policy,
    User,
    WorkflowApproval,
    WorkflowExecution,
)

log = logging.getLogger(__name__)
#: Who the audit trail names for a sweep the worker ran (a person's `approvals escalate`
#: names that person).
SWEEP_ACTOR = "scheduler"
#: The worker sweeps at most this often, whatever calls it.
SWEEP_EVERY_SECONDS = 60.0

_notifications = cast(Table, Notification.__table__)
_approvals = cast(Table, WorkflowApproval.__table__)


def overdue_days(due_at: datetime | None, now: datetime) -> int | None:
    """Whole calendar days (the user's) since the due date, if it has passed; else None."""
    if due_at is None or now <= due_at:
        return None
    return max(1, (local_date(now) - local_date(due_at)).days)


def _days(days: int | None) -> str:
    return "1 day" if days == 1 else f"{days} days"


@dataclass
class SweepReport:
    """What one sweep did: approval ids reminded and escalated."""

    notified: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)


class EscalationService:
    """Reminds approvers of overdue approvals and escalates those left waiting."""

    def __init__(
        self,
        db: Database,
        audit: AuditService,
        notifier: Notifier | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._db = db
        self._cache = DatabaseCache.of(db)
        self._audit = audit
        self._notifier = notifier or LocalNotifier()
        self._clock = clock

    def escalate(self, actor: str, now: datetime | None = None) -> SweepReport:
        """`approvals escalate`: an admin runs the sweep now (audited under their name)."""
        with self._db.reading() as session:
            require_permission(session, actor, Permission.MANAGE_EXECUTIONS)
        return self.sweep(now, actor=actor)

    @retry_conflicts
    def sweep(self, now: datetime | None = None, actor: str = SWEEP_ACTOR) -> SweepReport:
        """Remind and escalate every pending approval that is due for it at ``now`` (default:
        the service's clock). Idempotent."""
        now = now or self._clock()
        report = SweepReport()
        with self._db.reading() as session:
            due = self._due_ids(session, now)
        if not due:
            return report
        with self._db.transaction() as session:
            admins: list[str] | None = None
            for approval_id in due:
                row = session.execute(self._DETAIL, {"p_id": approval_id}).first()
                if row is None:
                    continue
                approval, execution, code = row
                if approval.overdue_notified_at is None and self._claim(
                    session, approval_id, "overdue_notified_at", now
                ):
                    self._remind(session, approval, execution, code, now, actor)
                    report.notified.append(approval_id)
                action = self._action(session, approval, execution)
                if (
                    action is None
                    or action.escalate_after_days is None
                    or approval.escalated_at is not None
                    or approval.due_at is None
                    or now <= approval.due_at + timedelta(days=action.escalate_after_days)
                ):
                    continue
                if not self._claim(session, approval_id, "escalated_at", now):
                    continue
                targets = self._active(session, action.escalate_to)
                if not targets:
                    admins = admins if admins is not None else self._admins(session)
                    targets = admins
                self._escalate(session, approval, execution, code, now, actor, targets)
                report.escalated.append(approval_id)
        return report

    # --- what is due ---------------------------------------------------------------------

    _DETAIL = (
        select(WorkflowApproval, WorkflowExecution, Policy.code)
        .join(WorkflowExecution, WorkflowExecution.id == WorkflowApproval.execution_id)
        .join(Policy, Policy.id == WorkflowExecution.entity_id)
        .where(WorkflowApproval.id == bindparam("p_id"))
    )

    def _due_ids(self, session: Session, now: datetime) -> list[int]:
        """Pending approvals past their due date with a reminder or escalation still open."""
        rows = session.execute(
            select(
                WorkflowApproval.id,
                WorkflowApproval.due_at,
                WorkflowApproval.overdue_notified_at,
                WorkflowExecution.workflow_version_id,
                WorkflowApproval.step_index,
            )
            .join(WorkflowExecution, WorkflowExecution.id == WorkflowApproval.execution_id)
            .where(
                WorkflowApproval.status == ApprovalStatus.PENDING,
                WorkflowExecution.status == ExecutionStatus.AWAITING_APPROVAL,
                WorkflowApproval.due_at.is_not(None),
                WorkflowApproval.due_at < now,
                or_(
                    WorkflowApproval.overdue_notified_at.is_(None),
                    WorkflowApproval.escalated_at.is_(None),
                ),
            )
            .order_by(WorkflowApproval.id)
        )
        due: list[int] = []
        for approval_id, due_at, notified, version_id, step in rows:
            if notified is None:
                due.append(approval_id)
                continue
            action = self._step(session, version_id, step)
            days = action.escalate_after_days if action is not None else None
            if days is not None and due_at is not None and now > due_at + timedelta(days=days):
                due.append(approval_id)
        return due

    def _step(self, session: Session, version_id: int, step: int) -> ApprovalAction | None:
        defn = version_definition(session, self._cache, version_id)
        action = defn.actions[step] if step < len(defn.actions) else None
        return action if isinstance(action, ApprovalAction) else None

    def _action(
        self, session: Session, approval: WorkflowApproval, execution: WorkflowExecution
    ) -> ApprovalAction | None:
        return self._step(session, execution.workflow_version_id, approval.step_index)

    @staticmethod
    def _claim(session: Session, approval_id: int, column: str, now: datetime) -> bool:
        """Set ``column`` if it is still empty; False if another sweep got there first."""
        result = session.connection().execute(
            update(_approvals)
            .where(
                _approvals.c.id == approval_id,
                _approvals.c[column].is_(None),
                _approvals.c.status == ApprovalStatus.PENDING,
            )
            .values({column: now})
        )
        return bool(result.rowcount)

    @staticmethod
    def _active(session: Session, name: str | None) -> list[str]:
        """``[name]`` if it names an active user; else [] (the admins are asked instead)."""
        if name is None:
            return []
        found = session.scalar(
            select(User.username).where(User.username == name, User.active.is_(True))
        )
        return [found] if found else []

    @staticmethod
    def _admins(session: Session) -> list[str]:
        return list(
            session.scalars(
                select(User.username)
                .where(User.role == Role.ADMIN, User.active.is_(True))
                .order_by(User.username)
            )
        )

    # --- effects -------------------------------------------------------------------------

    def _notify(
        self,
        session: Session,
        user: str,
        title: str,
        body: str,
        execution: WorkflowExecution,
        step: int,
        now: datetime,
    ) -> None:
        session.connection().execute(
            insert(_notifications),
            {
                "user": user,
                "title": title,
                "body": body,
                "entity_type": EntityType.POLICY,
                "entity_id": execution.entity_id,
                "execution_id": execution.id,
                "step_index": step,
                "created_at": now,
            },
        )
        self._notifier.deliver(user, title, body)

    def _remind(
        self,
        session: Session,
        approval: WorkflowApproval,
        execution: WorkflowExecution,
        code: str,
        now: datetime,
        actor: str,
    ) -> None:
        assert approval.due_at is not None
        due = local_date(approval.due_at)
        title = f"approval {approval.id} for {code} is overdue"
        body = (
            f"It was due on {due.isoformat()} and is still waiting for your answer "
            f"(workflow execution {execution.id}, asked by {execution.started_by})."
        )
        self._notify(session, approval.approver, title, body, execution, approval.step_index, now)
        self._audit.record(
            session,
            actor,
            "approval.overdue",
            EntityType.POLICY,
            code,
            {
                "approval_id": approval.id,
                "execution_id": execution.id,
                "approver": approval.approver,
                "due_on": due.isoformat(),
                "notified": [approval.approver],
            },
        )

    def _escalate(
        self,
        session: Session,
        approval: WorkflowApproval,
        execution: WorkflowExecution,
        code: str,
        now: datetime,
        actor: str,
        targets: list[str],
    ) -> None:
        days = overdue_days(approval.due_at, now)
        title = f"escalated: approval {approval.id} for {code} is overdue {_days(days)}"
        body = (
            f"{approval.approver} has not answered approval {approval.id} for {code} "
            f"(asked by {execution.started_by} on {local_date(approval.requested_at)}, due "
            f"{local_date(approval.due_at or now)}). Follow up with them, or an admin may "
            f"answer for them with a reason."
        )
        for user in targets:
            self._notify(session, user, title, body, execution, approval.step_index, now)
        self._audit.record(
            session,
            actor,
            "approval.escalated",
            EntityType.POLICY,
            code,
            {
                "approval_id": approval.id,
                "execution_id": execution.id,
                "approver": approval.approver,
                "overdue_days": days,
                "notified": targets,
            },
        )


class _RunsDue(Protocol):
    def run_due(self, now: datetime | None = None) -> int: ...


class PeriodicWork:
    """The worker's every-minute work: due schedules, then the approval sweep (at most once
    a minute however often it is called). Stands in for ``ScheduleService`` on the queue side
    (jobs/contracts.py ``Schedules``)."""

    def __init__(self, schedules: _RunsDue, escalation: EscalationService) -> None:
        self._schedules = schedules
        self._escalation = escalation
        self._last_sweep: float | None = None

    def run_due(self, now: datetime | None = None) -> int:
        started = self._schedules.run_due(now)
        tick = time.monotonic()
        if self._last_sweep is None or tick - self._last_sweep >= SWEEP_EVERY_SECONDS:
            self._last_sweep = tick
            try:
                self._escalation.sweep(now)
            except Exception:  # the schedules ran; a failed sweep is retried next minute
                log.exception("the approval sweep failed")
        return started
