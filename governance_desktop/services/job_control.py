"""The job commands of the monitor and the CLI: retry a failed job, cancel one that has not
started, retry every failed job."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance_desktop.domain.authority import Permission
from governance_desktop.domain.enums import ExecutionStatus, JobKind, JobState
from governance_desktop.domain.errors import ConflictError, GovernanceError, NotFoundError
from governance_desktop.domain.job_states import CANCELLABLE, FINAL_EXECUTION
from governance_desktop.services.audit import AuditService
from governance_desktop.services.authority import require_permission
from governance_desktop.services.dispatch import JobDispatcher, QueuedJob, dispatch_after_commit
from governance_desktop.services.dto import JobInfo
from governance_desktop.services.job_rows import cancelled_job, finish
from governance_desktop.services.read_models import job_info, job_query
from governance_desktop.store.conflicts import retry_conflicts
from governance_desktop.store.db import Database
from governance_desktop.store.models import Job, WorkflowExecution
from governance_desktop.store.types import utcnow


@dataclass(frozen=True)
class BulkRetryResult:
    retried: int
    skipped: list[str] = field(default_factory=list)


def _locked_job(session: Session, job_id: int, actor: str) -> Job:
    """The job an actor whose role controls jobs asks to change, locked for this transaction."""
    require_permission(session, actor, Permission.CONTROL_JOBS)
    job = session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise NotFoundError(f"unknown job {job_id}")
    return job


class JobService:
    """Retry, cancel and retry-all, each in its own transaction with its audit event."""

    def __init__(self, db: Database, audit: AuditService, dispatcher: JobDispatcher) -> None:
        self._db = db
        self._audit = audit
        self._dispatcher = dispatcher

    @retry_conflicts
    def retry(self, job_id: int, actor: str) -> JobInfo:
        """Re-run a failed job from the step where it stopped."""
        with self._db.transaction() as session:
            job = _locked_job(session, job_id, actor)
            if job.state != JobState.FAILED:
                raise ConflictError(f"job {job_id} is {job.state}; only failed jobs can be retried")
            execution = session.get(WorkflowExecution, job.execution_id)
            if execution is not None:
                if execution.status != ExecutionStatus.FAILED:
                    raise ConflictError(f"execution {execution.id} is {execution.status}")
                execution.status = (
                    ExecutionStatus.QUEUED
                    if job.step_index is None
                    else ExecutionStatus.IN_PROGRESS
                )
                execution.error = None
                execution.finished_at = None
                execution.updated_at = utcnow()
            job.state = JobState.QUEUED
            job.error = None
            job.message = f"retried by {actor}"
            job.attempts = 0
            job.finished_at = None
            job.progress = 0.0
            job.updated_at = utcnow()
            self._audit.record(
                session,
                actor,
                "job.retried",
                "job",
                str(job_id),
                {"execution_id": job.execution_id, "step": job.step_index},
            )
            dispatch_after_commit(session, [QueuedJob(job.id, JobKind(job.kind))], self._dispatcher)
            row = session.execute(job_query().where(Job.id == job_id)).one()
            return job_info(*row)

    @retry_conflicts
    def cancel(self, job_id: int, actor: str) -> JobInfo:
        """Cancel a job that has not started (queued or retrying), and its execution with it."""
        with self._db.transaction() as session:
            job = _locked_job(session, job_id, actor)
            if job.state not in CANCELLABLE:
                raise ConflictError(
                    f"job {job_id} is {job.state}; only queued or retrying jobs can be cancelled"
                )
            for name, value in cancelled_job(f"cancelled by {actor}", utcnow()).items():
                setattr(job, name, value)
            execution = (
                session.get(WorkflowExecution, job.execution_id)
                if job.execution_id is not None
                else None
            )
            execution_cancelled = False
            if execution is not None and execution.status not in FINAL_EXECUTION:
                finish(execution, ExecutionStatus.CANCELLED, f"job {job_id} cancelled by {actor}")
                execution_cancelled = True
            self._audit.record(
                session,
                actor,
                "job.cancelled",
                "job",
                str(job_id),
                {"execution_id": job.execution_id, "execution_cancelled": execution_cancelled},
            )
            session.flush()
            return job_info(*session.execute(job_query().where(Job.id == job_id)).one())

    def failed_ids(self, limit: int = 100_000) -> list[int]:
        with self._db.reading() as session:
            return list(
                session.scalars(
                    select(Job.id).where(Job.state == JobState.FAILED).order_by(Job.id).limit(limit)
                )
            )

    def retry_all_failed(
        self, actor: str, progress: Callable[[int, int], object] | None = None
    ) -> BulkRetryResult:
        """Retry every failed job, one transaction each; a job that cannot be retried is
        skipped with its reason. `progress(done, total)` is called after each job."""
        ids = self.failed_ids()
        retried, skipped = 0, []
        for done, job_id in enumerate(ids, start=1):
            try:
                self.retry(job_id, actor)
                retried += 1
            except GovernanceError as exc:
                skipped.append(f"job {job_id}: {exc}")
            if progress is not None:
                progress(done, len(ids))
        return BulkRetryResult(retried, skipped)
