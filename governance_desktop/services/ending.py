"""Ending work that no longer applies: a policy's open executions are cancelled with a reason,
with their pending approvals, open tasks and jobs not yet run (docs/authority.md, "Ending
work"). Used when a policy is retired or returned to draft, and by `executions cancel`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from governance_desktop.domain.enums import (
    ApprovalStatus,
    EntityType,
    ExecutionStatus,
    TaskStatus,
)
from governance_desktop.domain.job_states import ENDED_WITH_EXECUTION, OPEN_EXECUTION
from governance_desktop.services.audit import AuditService
from governance_desktop.services.job_rows import cancelled_job, finish
from governance_desktop.store.models import (
    Job,
    Policy,
    Task,
    Workflow,
    WorkflowApproval,
    WorkflowExecution,
)
from governance_desktop.store.types import utcnow

_jobs = cast(Table, Job.__table__)
_tasks = cast(Table, Task.__table__)
_approvals = cast(Table, WorkflowApproval.__table__)

#: `session.info` key: the executions ended in this transaction. The runner checks it, so a
#: batch whose step ended another execution of the same batch (read before it was ended) is
#: run again one job at a time instead of writing that execution's stale snapshot back.
ENDED_EXECUTIONS = "ended_executions"


@dataclass(frozen=True)
class EndedWork:
    """What ending did: the executions cancelled and how many rows of each kind it closed."""

    executions: tuple[int, ...] = ()
    approvals: int = 0
    tasks: int = 0
    jobs: int = 0

    def summary(self) -> str:
        """E.g. "1 approval expired, 1 task and 0 jobs cancelled"."""

        def n(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 's'}"

        return (
            f"{n(self.approvals, 'approval')} expired, "
            f"{n(self.tasks, 'task')} and {n(self.jobs, 'job')} cancelled"
        )


def end_open_work(
    session: Session,
    audit: AuditService,
    policy_id: int,
    reason: str,
    actor: str,
    keep_execution_id: int | None = None,
) -> EndedWork:
    """Cancel every open execution of the policy but `keep_execution_id` (the one making the
    move must not cancel itself), with `reason`; in the caller's transaction."""
    query = select(WorkflowExecution.id).where(
        WorkflowExecution.entity_type == EntityType.POLICY,
        WorkflowExecution.entity_id == policy_id,
        WorkflowExecution.status.in_(OPEN_EXECUTION),
    )
    if keep_execution_id is not None:
        query = query.where(WorkflowExecution.id != keep_execution_id)
    ids = list(session.scalars(query.order_by(WorkflowExecution.id)))
    return end_executions(session, audit, ids, reason, actor) if ids else EndedWork()


def end_executions(
    session: Session, audit: AuditService, ids: Sequence[int], reason: str, actor: str
) -> EndedWork:
    """Cancel the executions among `ids` that are still open, with `reason` as their error;
    expire their pending approvals, cancel their open tasks and their jobs not yet run; one
    audit event per execution cancelled."""
    now = utcnow()
    conn = session.connection()
    # On PostgreSQL a person's write runs alone (the writers' lock); a step runner that ends
    # its policy's other runs holds the policy's row, which every runner locks first
    # (job_rows.lock_step_rows), so no runner holds these rows meanwhile. A job a runner
    # queues meanwhile finds its execution cancelled and ends itself (runner.py).
    jobs = conn.execute(
        update(_jobs)
        .where(_jobs.c.execution_id.in_(ids), _jobs.c.state.in_(ENDED_WITH_EXECUTION))
        .values(**cancelled_job(f"cancelled: {reason}", now))
    ).rowcount
    executions = list(
        session.scalars(
            select(WorkflowExecution)
            .where(WorkflowExecution.id.in_(ids), WorkflowExecution.status.in_(OPEN_EXECUTION))
            .order_by(WorkflowExecution.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    ended = [execution.id for execution in executions]
    if not ended:
        return EndedWork(jobs=jobs)
    approvals = conn.execute(
        update(_approvals)
        .where(
            _approvals.c.execution_id.in_(ended),
            _approvals.c.status == ApprovalStatus.PENDING,
        )
        .values(status=ApprovalStatus.EXPIRED, comment=reason, responded_at=now)
    ).rowcount
    tasks = conn.execute(
        update(_tasks)
        .where(_tasks.c.execution_id.in_(ended), _tasks.c.status == TaskStatus.OPEN)
        .values(status=TaskStatus.CANCELLED, completed_at=now)
    ).rowcount
    names = {
        execution_id: (workflow, code)
        for execution_id, workflow, code in session.execute(
            select(WorkflowExecution.id, Workflow.name, Policy.code)
            .join(Workflow, Workflow.id == WorkflowExecution.workflow_id)
            .join(Policy, Policy.id == WorkflowExecution.entity_id)
            .where(WorkflowExecution.id.in_(ended))
        )
    }
    for execution in executions:
        finish(execution, ExecutionStatus.CANCELLED, reason)
        workflow, code = names[execution.id]
        audit.record(
            session,
            actor,
            "execution.cancelled",
            EntityType.POLICY,
            code,
            {"execution_id": execution.id, "workflow": workflow, "reason": reason},
        )
    session.flush()
    session.info.setdefault(ENDED_EXECUTIONS, set()).update(ended)
    return EndedWork(tuple(ended), approvals, tasks, jobs)
