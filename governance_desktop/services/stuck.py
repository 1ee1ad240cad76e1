"""The one definition of a *stuck* run, shared by the home page's count and the Runs page's
"Stuck" view so the two always agree."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_

from governance_desktop.domain.clock import local_date
from governance_desktop.domain.enums import ApprovalStatus, ExecutionStatus, JobState, TaskStatus
from governance_desktop.domain.job_states import OPEN_EXECUTION
from governance_desktop.store.models import Job, Task, WorkflowApproval, WorkflowExecution


def stuck_runs(now: datetime) -> ColumnElement[bool]:
    """A condition on `WorkflowExecution`: the run failed (its failed job waits to be retried
    or its step skipped), or it is open (queued, in progress, awaiting approval) and waits
    past a due date — a pending approval request whose due instant has passed, or an open
    task due before the user's today (a task due today is not late yet) — or on a job that
    waits for its retry or was interrupted."""
    run = WorkflowExecution.id
    late_approval = exists().where(
        WorkflowApproval.execution_id == run,
        WorkflowApproval.status == ApprovalStatus.PENDING,
        WorkflowApproval.due_at < now,
    )
    late_task = exists().where(
        Task.execution_id == run, Task.status == TaskStatus.OPEN, Task.due_date < local_date(now)
    )
    stalled = exists().where(
        Job.execution_id == run, Job.state.in_((JobState.RETRYING, JobState.INTERRUPTED))
    )
    return or_(
        WorkflowExecution.status == ExecutionStatus.FAILED,
        and_(WorkflowExecution.status.in_(OPEN_EXECUTION), or_(late_approval, late_task, stalled)),
    )
