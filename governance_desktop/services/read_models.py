"""Read-only views for the CLI and the policy details: executions, jobs, tasks, notifications.

The job commands (retry, cancel, retry all failed) are in services/job_control.py."""

from __future__ import annotations

from sqlalchemy import Select, select

from governance_desktop.domain.enums import ExecutionStatus, JobState, TaskStatus
from governance_desktop.domain.errors import NotFoundError
from governance_desktop.services.dto import (
    ExecutionInfo,
    JobInfo,
    NotificationInfo,
    StepInfo,
    TaskInfo,
)
from governance_desktop.store.db import Database
from governance_desktop.store.models import (
    Job,
    Notification,
    Policy,
    Task,
    Workflow,
    WorkflowExecution,
    WorkflowStepRun,
    WorkflowVersion,
)


def job_query() -> Select[Job, str, str, str, int]:
    """A job with its workflow's name, its policy's code and its run's status and step."""
    return (
        select(
            Job,
            Workflow.name,
            Policy.code,
            WorkflowExecution.status,
            WorkflowExecution.current_step,
        )
        .outerjoin(WorkflowExecution, WorkflowExecution.id == Job.execution_id)
        .outerjoin(Workflow, Workflow.id == WorkflowExecution.workflow_id)
        .outerjoin(Policy, Policy.id == WorkflowExecution.entity_id)
    )


def job_info(
    job: Job,
    workflow: str | None,
    entity: str | None,
    run_status: str | None = None,
    run_step: int | None = None,
) -> JobInfo:
    return JobInfo(
        id=job.id,
        kind=job.kind,
        state=job.state,
        attempts=job.attempts,
        execution_id=job.execution_id,
        step_index=job.step_index,
        progress=job.progress,
        message=job.message,
        error=job.error,
        workflow=workflow,
        entity=entity,
        enqueued_at=job.enqueued_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        updated_at=job.updated_at,
        run_status=run_status,
        run_step=run_step,
    )


def _execution_query() -> Select[WorkflowExecution, str, int, str]:
    return (
        select(WorkflowExecution, Workflow.name, WorkflowVersion.version, Policy.code)
        .join(Workflow, Workflow.id == WorkflowExecution.workflow_id)
        .join(WorkflowVersion, WorkflowVersion.id == WorkflowExecution.workflow_version_id)
        .join(Policy, Policy.id == WorkflowExecution.entity_id)
    )


def execution_info(e: WorkflowExecution, name: str, version: int, code: str) -> ExecutionInfo:
    """An execution row as a list or a page shows it (with its workflow and policy)."""
    return ExecutionInfo(
        id=e.id,
        workflow=name,
        workflow_version=version,
        entity_type=e.entity_type,
        entity_id=e.entity_id,
        entity=code,
        status=e.status,
        error=e.error,
        trigger=e.trigger,
        current_step=e.current_step,
        step_count=e.step_count,
        depth=e.depth,
        parent_execution_id=e.parent_execution_id,
        started_by=e.started_by,
        input_data=dict(e.input_data),
        created_at=e.created_at,
        started_at=e.started_at,
        finished_at=e.finished_at,
    )


class MonitorService:
    """What ran, what waits, what failed (reads only)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def executions(
        self, status: ExecutionStatus | None = None, entity: str | None = None, limit: int = 1000
    ) -> list[ExecutionInfo]:
        query = _execution_query().order_by(WorkflowExecution.id.desc()).limit(limit)
        if status is not None:
            query = query.where(WorkflowExecution.status == status)
        if entity is not None:
            query = query.where(Policy.code == entity)
        with self._db.reading() as session:
            return [execution_info(*row) for row in session.execute(query)]

    def execution(self, execution_id: int) -> tuple[ExecutionInfo, list[StepInfo]]:
        with self._db.reading() as session:
            row = session.execute(
                _execution_query().where(WorkflowExecution.id == execution_id)
            ).first()
            if row is None:
                raise NotFoundError(f"unknown execution {execution_id}")
            steps = session.scalars(
                select(WorkflowStepRun)
                .where(WorkflowStepRun.execution_id == execution_id)
                .order_by(WorkflowStepRun.step_index)
            )
            return execution_info(*row), [
                StepInfo(s.step_index, s.action_type, s.status, dict(s.result), s.created_at)
                for s in steps
            ]

    def jobs(self, state: JobState | None = None, limit: int = 1000) -> list[JobInfo]:
        query = job_query().order_by(Job.id.desc()).limit(limit)
        if state is not None:
            query = query.where(Job.state == state)
        with self._db.reading() as session:
            return [job_info(*row) for row in session.execute(query)]

    def tasks(
        self, assignee: str | None = None, status: TaskStatus | None = None
    ) -> list[TaskInfo]:
        query = (
            select(Task, Policy.code)
            .outerjoin(Policy, Policy.id == Task.entity_id)
            .order_by(Task.id)
        )
        if assignee is not None:
            query = query.where(Task.assignee == assignee)
        if status is not None:
            query = query.where(Task.status == status)
        with self._db.reading() as session:
            return [
                TaskInfo(
                    t.id,
                    t.title,
                    t.assignee,
                    t.status,
                    t.execution_id,
                    t.description,
                    t.due_date,
                    code,
                    t.created_at,
                )
                for t, code in session.execute(query)
            ]

    def notifications(self, user: str | None = None) -> list[NotificationInfo]:
        query = (
            select(Notification, Policy.code)
            .outerjoin(Policy, Policy.id == Notification.entity_id)
            .order_by(Notification.id)
        )
        if user is not None:
            query = query.where(Notification.user == user)
        with self._db.reading() as session:
            return [
                NotificationInfo(
                    n.id, n.user, n.title, n.execution_id, n.body, code, n.created_at, n.read_at
                )
                for n, code in session.execute(query)
            ]
