"""Rejection and return: what a rejected approval does to its execution and its policy.

The execution ends `rejected`, its open tasks are cancelled, the requester and the policy's
owner are notified with the comment, and the policy returns to draft (or to the workflow's
``on_reject`` status; the lifecycle still applies). All in the answer's transaction.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert, update
from sqlalchemy.orm import Session

from governance_desktop.domain.enums import EntityType, ExecutionStatus, PolicyStatus, TaskStatus
from governance_desktop.domain.errors import LifecycleError
from governance_desktop.domain.text import storable
from governance_desktop.domain.workflow.definition import WorkflowDefinition
from governance_desktop.services.audit import AuditService
from governance_desktop.services.job_rows import finish
from governance_desktop.services.policies import PolicyService
from governance_desktop.services.policy_rows import PolicyRow
from governance_desktop.store.models import Notification, Task, WorkflowExecution
from governance_desktop.store.types import utcnow

_tasks = cast(Table, Task.__table__)
_notifications = cast(Table, Notification.__table__)
TITLE_MAX = 2000  # notifications.title is String(2000)


def return_rejected(
    session: Session,
    policies: PolicyService,
    audit: AuditService,
    execution: WorkflowExecution,
    policy: PolicyRow,
    actor: str,
    comment: str,
    defn: WorkflowDefinition,
) -> None:
    """End ``execution`` as rejected by ``actor`` and return its policy (see the module)."""
    code = policy.info.code
    finish(execution, ExecutionStatus.REJECTED, f"rejected by {actor}: {comment}")
    now = utcnow()
    conn = session.connection()
    cancelled = conn.execute(
        update(_tasks)
        .where(_tasks.c.execution_id == execution.id, _tasks.c.status == TaskStatus.OPEN)
        .values(status=TaskStatus.CANCELLED, completed_at=now)
        .returning(_tasks.c.id)
    ).scalars()
    task_ids = sorted(cancelled)
    told = [user for user in dict.fromkeys((execution.started_by, policy.info.owner)) if user]
    title = storable(f"{code} was rejected by {actor}", TITLE_MAX)
    if told:
        conn.execute(
            insert(_notifications),
            [
                {
                    "user": user,
                    "title": title,
                    "body": storable(comment),
                    "entity_type": EntityType.POLICY,
                    "entity_id": policy.id,
                    "execution_id": execution.id,
                    "step_index": execution.current_step,
                    "created_at": now,
                }
                for user in told
            ],
        )
    target = PolicyStatus(defn.on_reject) if defn.on_reject else PolicyStatus.DRAFT
    old = policy.info.status
    details: dict[str, Any] = {
        "execution_id": execution.id,
        "comment": comment,
        "notified": told,
        "tasks_cancelled": task_ids,
    }
    try:
        policies.apply_status(
            session,
            policy,
            target,
            actor,
            f"rejected: {comment}",
            parent_execution_id=execution.id,
        )
        details["status"] = {"from": old, "to": target.value}
    except LifecycleError as exc:  # e.g. already there, or on_reject not reachable from here
        details["status"] = {"left": old, "wanted": target.value, "why": str(exc)}
    audit.record(session, actor, "execution.rejected", EntityType.POLICY, code, details)
