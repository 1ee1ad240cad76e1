"""The effect of each workflow action, inside the step's transaction."""

from __future__ import annotations

from typing import Any, Protocol, cast

from sqlalchemy import Connection, Insert, Table, insert
from sqlalchemy.orm import Session

from governance_desktop.domain.clock import Clock, due_date, end_of_local_day, utc_now
from governance_desktop.domain.enums import EntityType, TaskStatus
from governance_desktop.domain.errors import ConflictError
from governance_desktop.domain.text import storable
from governance_desktop.domain.workflow.definition import (
    Action,
    ApprovalAction,
    AssignAction,
    CreateTaskAction,
    NotifyAction,
    SetStatusAction,
)
from governance_desktop.domain.workflow.placeholders import render
from governance_desktop.services.approval_requests import add_requests, eligible_approvers
from governance_desktop.services.audit import AuditService
from governance_desktop.services.policies import PolicyService, policy_facts
from governance_desktop.services.policy_rows import PolicyRow
from governance_desktop.services.users import known_user
from governance_desktop.store.models import Notification, Task
from governance_desktop.store.types import utcnow

_tasks = cast(Table, Task.__table__)
_notifications = cast(Table, Notification.__table__)
# Core INSERTs built once (no ORM unit of work per row: docs/benchmarks.md, part 2).
_INSERT_TASK = insert(_tasks)
_INSERT_NOTIFICATION = insert(_notifications)
TASK_TITLE_MAX = 2000  # tasks.title and notifications.title are String(2000)


def _insert_row(conn: Connection, statement: Insert, params: dict[str, Any]) -> int:
    """Run a one-row Core INSERT; returns the new row's id."""
    key = conn.execute(statement, params).inserted_primary_key
    assert key is not None
    return int(key[0])


class ExecutionRef(Protocol):
    """What an effect needs of its execution (a row or the runner's snapshot of one)."""

    @property
    def id(self) -> int: ...

    @property
    def started_by(self) -> str: ...


class Notifier(Protocol):
    """Delivers a notification outside the app (desktop, mail). May raise TransientError."""

    def deliver(self, user: str, title: str, body: str) -> None: ...


class LocalNotifier:
    """The offline default: the Notification row is the delivery; the window shows it."""

    def deliver(self, user: str, title: str, body: str) -> None:
        return None


class ActionEffects:
    """Applies one action. Returns (waits_for_approval, result details for the step row)."""

    def __init__(
        self,
        policies: PolicyService,
        audit: AuditService,
        notifier: Notifier,
        clock: Clock = utc_now,
    ) -> None:
        self._policies = policies
        self._cache = policies.cache
        self._audit = audit
        self._notifier = notifier
        self.clock = clock  # due dates: docs/dates-and-times.md

    def apply(
        self,
        session: Session,
        execution: ExecutionRef,
        step: int,
        action: Action,
        policy: PolicyRow,
    ) -> tuple[bool, dict[str, Any]]:
        values = policy_facts(policy.info)
        if isinstance(action, SetStatusAction):
            old = policy.info.status
            if old == action.status:  # another workflow (or a person) moved it there first
                return False, {"from": old, "to": old, "already_there": True}
            self._policies.apply_status(
                session,
                policy,
                action.status,
                execution.started_by,
                parent_execution_id=execution.id,
            )
            return False, {"from": old, "to": policy.info.status}
        if isinstance(action, AssignAction):
            known_user(session, self._cache, action.user)
            self._policies.apply_update(
                session,
                policy,
                {"assignee": action.user},
                execution.started_by,
                parent_execution_id=execution.id,
            )
            return False, {"assignee": action.user}
        if isinstance(action, CreateTaskAction):
            assignee = action.assignee or policy.info.owner
            if assignee is not None:
                known_user(session, self._cache, assignee)
            conn = session.connection()
            task_id = _insert_row(
                conn,
                _INSERT_TASK,
                {
                    "title": storable(render(action.title, values), TASK_TITLE_MAX),
                    "description": storable(render(action.description, values)),
                    "assignee": assignee,
                    "status": TaskStatus.OPEN,
                    "due_date": (
                        due_date(action.due_in_days, self.clock())
                        if action.due_in_days is not None
                        else None
                    ),
                    "entity_type": EntityType.POLICY,
                    "entity_id": policy.id,
                    "execution_id": execution.id,
                    "step_index": step,
                    "created_at": utcnow(),
                },
            )
            return False, {"task_id": task_id, "assignee": assignee}
        if isinstance(action, NotifyAction):
            title = storable(render(action.title, values), TASK_TITLE_MAX)
            body = storable(render(action.body, values))
            ids = []
            conn = session.connection()
            for user in action.users:
                known_user(session, self._cache, user)
                note_id = _insert_row(
                    conn,
                    _INSERT_NOTIFICATION,
                    {
                        "user": user,
                        "title": title,
                        "body": body,
                        "entity_type": EntityType.POLICY,
                        "entity_id": policy.id,
                        "execution_id": execution.id,
                        "step_index": step,
                        "created_at": utcnow(),
                    },
                )
                self._notifier.deliver(user, title, body)
                ids.append(note_id)
            return False, {"notification_ids": ids}
        if isinstance(action, ApprovalAction):
            return True, self._request_approvals(session, execution, step, action, policy)
        raise AssertionError(f"unhandled action {action!r}")

    def _request_approvals(
        self,
        session: Session,
        execution: ExecutionRef,
        step: int,
        action: ApprovalAction,
        policy: PolicyRow,
    ) -> dict[str, Any]:
        now = self.clock()
        # A due date is the user's calendar date; stored as an instant, it is that day's end.
        due = (
            end_of_local_day(due_date(action.due_in_days, self.clock()))
            if action.due_in_days is not None
            else None
        )
        if action.any_approver:
            # Every active approver segregation of duties allows (services/approval_requests).
            approvers = eligible_approvers(
                session, policy.id, policy.info.version, execution.started_by
            )
            if not approvers:
                raise ConflictError(
                    f"{policy.info.code}: no active approver may approve this text "
                    "(rule: segregation of duties)"
                )
        else:
            approvers = list(action.approvers)
            for approver in approvers:
                known_user(session, self._cache, approver)
        # The request is for exactly this text: answers to any other are refused.
        digest = add_requests(
            session, execution.id, step, approvers, policy.id, policy.info.version, now, due
        )
        self._audit.record(
            session,
            execution.started_by,
            "approval.requested",
            EntityType.POLICY,
            policy.info.code,
            {
                "execution_id": execution.id,
                "step": step,
                "approvers": approvers,
                "version": policy.info.version,
                "content_hash": digest,
            },
        )
        return {"approvers": approvers}
