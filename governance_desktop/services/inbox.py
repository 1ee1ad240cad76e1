"""A person's inbox: approvals with their context, tasks to finish, notifications to read.

The approvals and tasks lists are sorted in SQL on any column the inbox pages show
(`APPROVAL_SORTS`, `TASK_SORTS`; the id breaks ties) and are not capped: every request and
every task is listed, in the order the person chose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from governance_desktop.domain.authority import Permission
from governance_desktop.domain.clock import Clock, local_date, utc_now
from governance_desktop.domain.enums import ApprovalStatus, EntityType, Role, TaskStatus
from governance_desktop.domain.errors import (
    ConflictError,
    GovernanceError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from governance_desktop.domain.identity import RecordKind
from governance_desktop.domain.workflow.definition import ApprovalAction
from governance_desktop.domain.workflow.placeholders import render
from governance_desktop.services.audit import AuditService
from governance_desktop.services.authority import require_permission
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.delegations import active_delegations
from governance_desktop.services.dto import NotificationInfo, SignatureInfo, TaskInfo
from governance_desktop.services.escalation import overdue_days
from governance_desktop.services.policies import policy_facts
from governance_desktop.services.signatures import signatures_for
from governance_desktop.services.users import require_user
from governance_desktop.services.workflows import version_definition
from governance_desktop.store.conflicts import retry_conflicts
from governance_desktop.store.db import Database
from governance_desktop.store.models import (
    Notification,
    Policy,
    Task,
    Workflow,
    WorkflowApproval,
    WorkflowExecution,
)
from governance_desktop.store.types import utcnow


@dataclass(frozen=True)
class ApprovalItem:
    """One approval request with what an approver needs to decide on it."""

    id: int
    execution_id: int
    step_index: int
    step_count: int
    step_title: str
    rule: str
    approver: str
    status: str
    comment: str | None
    responded_by: str | None
    responded_at: datetime | None
    requested_at: datetime
    due_at: datetime | None
    workflow: str
    policy: str
    policy_title: str
    policy_status: str
    policy_version: int | None
    current_version: int
    asked_by: str
    change: str
    execution_status: str
    delegated_from: str | None = None
    #: What the SLA says of it: "delegated by carol until 12 Dec · overdue 3 days · escalated"
    note: str = ""
    #: The workflow version that asked lets people approve their own change (shown in red).
    self_approval_allowed: bool = False
    #: The answer's electronic signature (its manifestation is shown with the answer).
    signature: SignatureInfo | None = None
    #: Whole days past the due time while pending (None: not overdue), as of `loaded_at`.
    overdue_days: int | None = None
    #: When the item was read (its age is counted to then).
    loaded_at: datetime | None = None


def describe_change(trigger: str, data: dict[str, Any]) -> str:
    """A short sentence for the event that started an execution."""
    if "old_status" in data:
        return f"status {data['old_status']} → {data.get('status')}"
    if data.get("fields"):
        return "edited " + ", ".join(str(f) for f in data["fields"])
    return trigger.replace("_", " ")


def _rule_text(rule: object) -> str:
    if isinstance(rule, str):
        return f"{rule} approver" if rule == "any" else f"{rule} approvers"
    return f"at least {getattr(rule, 'at_least', '?')}"


def _day(day: date) -> str:
    return f"{day.day} {day:%b}"


def sla_note(
    row: WorkflowApproval,
    viewer: str | None,
    delegations: dict[str, tuple[str, date]],
    now: datetime,
) -> str:
    """The short SLA note of one approval for ``viewer`` (None: an admin's view of all)."""
    parts: list[str] = []
    if row.status != ApprovalStatus.PENDING:
        if row.delegated_from:
            parts.append(f"answered for {row.delegated_from}")
        return " · ".join(parts)
    delegation = delegations.get(row.approver)
    if delegation is not None:
        delegate, until = delegation
        if viewer == delegate:
            parts.append(f"delegated by {row.approver} until {_day(until)}")
        else:
            parts.append(f"delegated to {delegate} until {_day(until)}")
    days = overdue_days(row.due_at, now)
    if days is not None:
        parts.append(f"overdue {days} day{'s' if days != 1 else ''}")
    if row.escalated_at is not None:
        parts.append("escalated")
    return " · ".join(parts)


#: What each approvals column sorts by, in SQL. "age" ascending is youngest first: ids grow with
#: requested_at (a request row is written when it is asked), so it is the id reversed.
APPROVAL_SORTS: dict[str, Any] = {
    "policy": Policy.code,
    "change": WorkflowExecution.trigger,
    "asked_by": WorkflowExecution.started_by,
    "approver": WorkflowApproval.approver,
    "workflow": Workflow.name,
    "step": WorkflowApproval.step_index,
    "age": -WorkflowApproval.id,
    "requested": WorkflowApproval.requested_at,
    "due": WorkflowApproval.due_at,
    "note": WorkflowApproval.escalated_at,
}
#: What each tasks column sorts by, in SQL.
TASK_SORTS: dict[str, Any] = {
    "title": Task.title,
    "policy": Policy.code,
    "assignee": Task.assignee,
    "status": Task.status,
    "due": Task.due_date,
    "created": Task.created_at,
}


def _order(sorts: dict[str, Any], sort: str, descending: bool, tiebreak: Any) -> list[Any]:
    """ORDER BY the named column (refused if unknown), rows without a value last, the id
    breaking ties."""
    column = sorts.get(sort)
    if column is None:
        raise ValidationError(f"cannot sort by {sort[:40]!r} (one of: {', '.join(sorts)})", "sort")
    if descending:
        return [column.is_(None), column.desc(), tiebreak.desc()]
    return [column.is_(None), column.asc(), tiebreak.asc()]


class InboxService:
    """Reads the acting user's work and records what they did with it."""

    def __init__(self, db: Database, audit: AuditService, clock: Clock = utc_now) -> None:
        self._db = db
        self._cache = DatabaseCache.of(db)
        self._audit = audit
        self._clock = clock

    def is_admin(self, actor: str) -> bool:
        with self._db.reading() as session:
            return require_user(session, actor, "actor").role == Role.ADMIN

    # --- approvals -----------------------------------------------------------------------

    def pending_count(self, approver: str | None) -> int:
        """How many requests wait for `approver` (with those delegated to them today); None:
        everyone's."""
        query = select(func.count(WorkflowApproval.id)).where(
            WorkflowApproval.status == ApprovalStatus.PENDING
        )
        with self._db.reading() as session:
            if approver is not None:
                delegations = active_delegations(session, local_date(self._clock()))
                names = [approver, *(d for d, (to, _) in delegations.items() if to == approver)]
                query = query.where(WorkflowApproval.approver.in_(names))
            return int(session.scalar(query) or 0)

    def approvals(
        self,
        approver: str | None,
        *,
        pending: bool,
        limit: int | None = None,
        sort: str | None = None,
        descending: bool = False,
        overdue_only: bool = False,
        ids: Sequence[int] | None = None,
    ) -> list[ApprovalItem]:
        """Pending (oldest first) or answered (newest first) approvals, or in the order of
        `sort` (a name in `APPROVAL_SORTS`); None = everyone's; `overdue_only`: those past
        their due time; `ids`: only these (a lazy table's page, `services/inbox_pages.py`).
        Every row unless `limit` is given. A person's pending approvals include those
        delegated to them today."""
        query = (
            select(WorkflowApproval, WorkflowExecution, Workflow.name, Policy)
            .join(WorkflowExecution, WorkflowExecution.id == WorkflowApproval.execution_id)
            .join(Workflow, Workflow.id == WorkflowExecution.workflow_id)
            .join(Policy, Policy.id == WorkflowExecution.entity_id)
        )
        now = self._clock()
        if pending:
            query = query.where(WorkflowApproval.status == ApprovalStatus.PENDING)
        else:
            query = query.where(WorkflowApproval.status != ApprovalStatus.PENDING)
        if sort is not None:
            query = query.order_by(*_order(APPROVAL_SORTS, sort, descending, WorkflowApproval.id))
        else:
            query = query.order_by(WorkflowApproval.id if pending else WorkflowApproval.id.desc())
        if overdue_only:
            query = query.where(WorkflowApproval.due_at.is_not(None), WorkflowApproval.due_at < now)
        if ids is not None:
            query = query.where(WorkflowApproval.id.in_(ids))
        if limit is not None:
            query = query.limit(limit)
        items: list[ApprovalItem] = []
        with self._db.reading() as session:
            delegations = active_delegations(session, local_date(now))
            if approver is not None:
                if pending:
                    names = [approver, *(d for d, (to, _) in delegations.items() if to == approver)]
                    query = query.where(WorkflowApproval.approver.in_(names))
                else:
                    query = query.where(
                        or_(
                            WorkflowApproval.approver == approver,
                            WorkflowApproval.responded_by == approver,
                        )
                    )
            for row, execution, workflow, policy in session.execute(query):
                defn = version_definition(session, self._cache, execution.workflow_version_id)
                action = (
                    defn.actions[row.step_index] if row.step_index < len(defn.actions) else None
                )
                title, rule = "", ""
                if isinstance(action, ApprovalAction):
                    title = render(action.title, policy_facts(policy)) if action.title else ""
                    rule = _rule_text(action.rule)
                items.append(
                    ApprovalItem(
                        id=row.id,
                        execution_id=execution.id,
                        step_index=row.step_index,
                        step_count=execution.step_count,
                        step_title=title or f"Approval (step {row.step_index + 1})",
                        rule=rule,
                        approver=row.approver,
                        status=row.status,
                        comment=row.comment,
                        responded_by=row.responded_by,
                        responded_at=row.responded_at,
                        requested_at=row.requested_at,
                        due_at=row.due_at,
                        workflow=workflow,
                        policy=policy.code,
                        policy_title=policy.title,
                        policy_status=policy.status,
                        policy_version=row.policy_version,
                        current_version=policy.version,
                        asked_by=execution.started_by,
                        change=describe_change(execution.trigger, dict(execution.input_data)),
                        execution_status=execution.status,
                        delegated_from=row.delegated_from,
                        note=sla_note(row, approver, delegations, now),
                        self_approval_allowed=defn.allow_self_approval,
                        overdue_days=(
                            overdue_days(row.due_at, now)
                            if row.status == ApprovalStatus.PENDING
                            else None
                        ),
                        loaded_at=now,
                    )
                )
            if not pending and items:
                signed = signatures_for(session, RecordKind.APPROVAL, [i.id for i in items])
                items = [
                    replace(i, signature=signed[str(i.id)][-1]) if str(i.id) in signed else i
                    for i in items
                ]
        return items

    # --- tasks ---------------------------------------------------------------------------

    def tasks(
        self,
        assignee: str | None,
        limit: int | None = None,
        *,
        sort: str | None = None,
        descending: bool = False,
        open_only: bool = False,
        overdue_only: bool = False,
    ) -> list[TaskInfo]:
        """Open tasks first (by due date), then done ones, or in the order of `sort` (a name
        in `TASK_SORTS`); None = everyone's; `open_only`: open ones; `overdue_only`: open ones
        whose due date has passed. Every row unless `limit` is given."""
        query = select(Task, Policy.code).outerjoin(Policy, Policy.id == Task.entity_id)
        if assignee is not None:
            query = query.where(Task.assignee == assignee)
        where: list[ColumnElement[bool]] = []
        if open_only or overdue_only:
            where.append(Task.status == TaskStatus.OPEN)
        if overdue_only:
            where += [Task.due_date.is_not(None), Task.due_date < local_date(self._clock())]
        query = query.where(*where)
        if sort is not None:
            query = query.order_by(*_order(TASK_SORTS, sort, descending, Task.id))
        else:
            query = query.order_by(Task.status.desc(), Task.due_date, Task.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._db.reading() as session:
            return [task_info(t, code) for t, code in session.execute(query)]

    @retry_conflicts
    def complete_task(self, task_id: int, actor: str) -> TaskInfo:
        """Mark a task done; only its assignee or an admin may, and the audit trail says who."""
        with self._db.transaction() as session:
            user = require_permission(session, actor, Permission.ANSWER_OWN_TASKS)
            task = session.get(Task, task_id, with_for_update=True)
            if task is None:
                raise NotFoundError(f"unknown task {task_id}")
            if actor != task.assignee and not user.is_admin:
                raise PermissionDeniedError(
                    f"task {task_id} is assigned to '{task.assignee}', not '{actor}' (rule: role)"
                )
            if task.status != TaskStatus.OPEN:
                raise ConflictError(f"task {task_id} is already {task.status}")
            task.status = TaskStatus.DONE
            task.completed_at = utcnow()
            code = None
            if task.entity_type == EntityType.POLICY and task.entity_id is not None:
                code = session.scalar(select(Policy.code).where(Policy.id == task.entity_id))
            self._audit.record(
                session,
                actor,
                "task.completed",
                EntityType.POLICY if code else "task",
                code or str(task.id),
                {"task_id": task.id, "title": task.title, "execution_id": task.execution_id},
            )
            return task_info(task, code)

    def complete_tasks(self, task_ids: list[int], actor: str) -> list[tuple[int, str]]:
        """Mark each task done in its own transaction; (task id, refusal or "") per task, so
        one refused task does not stop the others."""
        results: list[tuple[int, str]] = []
        for task_id in task_ids:
            try:
                self.complete_task(task_id, actor)
            except GovernanceError as exc:
                results.append((task_id, str(exc)))
            else:
                results.append((task_id, ""))
        return results

    # --- notifications -------------------------------------------------------------------

    def notifications(self, user: str | None, limit: int = 2000) -> list[NotificationInfo]:
        """Newest first; None = everyone's."""
        query = select(Notification, Policy.code).outerjoin(
            Policy, Policy.id == Notification.entity_id
        )
        if user is not None:
            query = query.where(Notification.user == user)
        query = query.order_by(Notification.id.desc()).limit(limit)
        with self._db.reading() as session:
            return [note_info(n, code) for n, code in session.execute(query)]

    @retry_conflicts
    def mark_read(self, notification_ids: list[int], actor: str) -> int:
        """Mark notifications read (only the recipient or an admin); returns how many changed."""
        changed = 0
        with self._db.transaction() as session:
            user = require_permission(session, actor, Permission.READ)
            now = utcnow()
            for note_id in notification_ids:
                note = session.get(Notification, note_id)
                if note is None:
                    raise NotFoundError(f"unknown notification {note_id}")
                if actor != note.user and not user.is_admin:
                    raise PermissionDeniedError(
                        f"notification {note_id} is for '{note.user}', not '{actor}' (rule: role)"
                    )
                if note.read_at is None:
                    note.read_at = now
                    changed += 1
        return changed


def task_info(t: Task, code: str | None) -> TaskInfo:
    return TaskInfo(
        id=t.id,
        title=t.title,
        assignee=t.assignee,
        status=t.status,
        execution_id=t.execution_id,
        description=t.description,
        due_date=t.due_date,
        entity=code,
        created_at=t.created_at,
    )


def note_info(n: Notification, code: str | None) -> NotificationInfo:
    return NotificationInfo(
        n.id, n.user, n.title, n.execution_id, n.body, code, n.created_at, n.read_at
    )
