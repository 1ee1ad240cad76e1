"""The job monitor's reads and commands: keyset pages, counts, changes, cancel, bulk retry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from governance_desktop.domain.enums import ExecutionStatus, JobState
from governance_desktop.domain.errors import ConflictError, GovernanceError, NotFoundError
from governance_desktop.domain.job_states import CANCELLABLE, FINAL_EXECUTION
from governance_desktop.services.audit import AuditService
from governance_desktop.services.dto import JobInfo
from governance_desktop.services.job_rows import finish
from governance_desktop.services.paging import PAGE_SIZE, keyset_page, snapshot_bounds
from governance_desktop.services.queries import job_info, job_query
from governance_desktop.services.search import contains, search_text
from governance_desktop.services.users import require_user
from governance_desktop.store.db import Database
from governance_desktop.store.models import Job, Policy, Workflow, WorkflowExecution
from governance_desktop.store.types import utcnow

# Writers stamp updated_at before they commit; a row committed a moment after a poll can carry
# an earlier stamp than rows that poll saw. Re-reading a short overlap catches it.
WATERMARK_OVERLAP = timedelta(seconds=2)


@dataclass(frozen=True)
class JobFilter:
    """A state (None: all) and a search over job id, workflow name and policy code."""

    state: str | None = None
    search: str = ""

    def conditions(self) -> tuple[list[ColumnElement[bool]], bool]:
        """SQL conditions, and whether they need the workflow/policy joins (they do not:
        the search is a subquery, kept as a flag for callers)."""
        where: list[ColumnElement[bool]] = []
        if self.state:
            where.append(Job.state == self.state)
        text = search_text(self.search)
        if not text:
            return where, False
        # Match the few workflows and policies first, then jobs by their execution (indexed):
        # joining every job to test its names costs a second per million jobs.
        executions = select(WorkflowExecution.id).where(
            or_(
                WorkflowExecution.workflow_id.in_(
                    select(Workflow.id).where(contains(Workflow.name, text))
                ),
                WorkflowExecution.entity_id.in_(
                    select(Policy.id).where(contains(Policy.code, text))
                ),
            )
        )
        # With a state, the state index is the narrower one: `+ 0` keeps SQLite off the
        # execution index (otherwise failed + search took 0.5 s over a million jobs).
        execution = Job.execution_id + 0 if self.state else Job.execution_id
        found: list[ColumnElement[bool]] = [execution.in_(executions)]
        digits = text.lstrip("#")
        if digits.isdigit():
            found.append(Job.id == int(digits))
        where.append(or_(*found))
        return where, False

    def matches(self, job: JobInfo) -> bool:
        """The same test in Python, for rows that arrive through live updates."""
        if self.state and job.state != self.state:
            return False
        text = self.search.strip().lower()
        if not text:
            return True
        if any(text in (value or "").lower() for value in (job.workflow, job.entity)):
            return True
        digits = text.lstrip("#")
        return digits.isdigit() and job.id == int(digits)


@dataclass(frozen=True)
class JobSnapshot:
    total: int
    top_id: int
    first_page: list[JobInfo]
    watermark: datetime | None


@dataclass(frozen=True)
class JobChanges:
    rows: list[JobInfo]
    watermark: datetime | None
    complete: bool  # False: more changed than one read returns (reload instead)


@dataclass(frozen=True)
class JobDetail:
    job: JobInfo
    payload: dict[str, Any]
    lease_owner: str | None
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class BulkRetryResult:
    retried: int
    skipped: list[str] = field(default_factory=list)


def _ids(joined: bool) -> Any:
    ids = select(Job.id)
    if joined:
        ids = (
            ids.outerjoin(WorkflowExecution, WorkflowExecution.id == Job.execution_id)
            .outerjoin(Workflow, Workflow.id == WorkflowExecution.workflow_id)
            .outerjoin(Policy, Policy.id == WorkflowExecution.entity_id)
        )
    return ids


class JobPages:
    """Lazy, filterable reads of the jobs table and the monitor's own commands."""

    def __init__(self, db: Database, audit: AuditService) -> None:
        self._db = db
        self._audit = audit

    def snapshot(self, flt: JobFilter, page_size: int = PAGE_SIZE) -> JobSnapshot:
        """Row count and top id (a snapshot the pages are addressed in) and the first page."""
        where, joined = flt.conditions()
        with self._db.reading() as session:
            total, top = snapshot_bounds(session, Job.id, _ids(joined), where)
            rows = keyset_page(
                session,
                Job.id,
                _ids(joined),
                job_query(),
                where,
                top_id=top,
                offset=0,
                limit=page_size,
            )
            watermark = session.scalar(select(func.max(Job.updated_at)))
            return JobSnapshot(total, top, [job_info(*row) for row in rows], watermark)

    def page(
        self,
        flt: JobFilter,
        top_id: int,
        offset: int,
        limit: int = PAGE_SIZE,
        after_id: int | None = None,
        total: int | None = None,
    ) -> list[JobInfo]:
        where, joined = flt.conditions()
        with self._db.reading() as session:
            rows = keyset_page(
                session,
                Job.id,
                _ids(joined),
                job_query(),
                where,
                top_id=top_id,
                offset=offset,
                limit=limit,
                after_id=after_id,
                total=total,
            )
            return [job_info(*row) for row in rows]

    def counts(self) -> dict[str, int]:
        """Jobs per state (every state present, zeros included)."""
        found = {state.value: 0 for state in JobState}
        with self._db.reading() as session:
            for state, count in session.execute(
                select(Job.state, func.count()).group_by(Job.state)
            ):
                found[str(state)] = int(count)
        return found

    def changed_since(self, watermark: datetime | None, limit: int = 1000) -> JobChanges:
        """Rows updated at or after `watermark` (minus a short overlap), oldest change first."""
        query = job_query().order_by(Job.updated_at, Job.id).limit(limit)
        if watermark is not None:
            query = query.where(Job.updated_at >= watermark - WATERMARK_OVERLAP)
        with self._db.reading() as session:
            rows = [job_info(*row) for row in session.execute(query)]
        newest = max((row.updated_at for row in rows), default=watermark)
        if watermark is not None and newest is not None:
            newest = max(newest, watermark)
        return JobChanges(rows, newest, len(rows) < limit)

    def detail(self, job_id: int) -> JobDetail:
        with self._db.reading() as session:
            row = session.execute(job_query().where(Job.id == job_id)).first()
            if row is None:
                raise NotFoundError(f"unknown job {job_id}")
            job = row[0]
            return JobDetail(
                job_info(*row), dict(job.payload or {}), job.lease_owner, job.next_attempt_at
            )

    def finished_since(self, since: datetime) -> list[datetime]:
        """When each job that finished after `since` finished (for the throughput chart)."""
        # updated_at is indexed and never older than finished_at: it narrows the scan.
        query = select(Job.finished_at).where(
            Job.updated_at >= since, Job.finished_at.is_not(None), Job.finished_at >= since
        )
        with self._db.reading() as session:
            return [at for at in session.scalars(query) if at is not None]

    def failed_ids(self, limit: int = 100_000) -> list[int]:
        with self._db.reading() as session:
            return list(
                session.scalars(
                    select(Job.id).where(Job.state == JobState.FAILED).order_by(Job.id).limit(limit)
                )
            )

    def cancel_job(self, job_id: int, actor: str) -> JobInfo:
        """Cancel a job that has not started (queued or retrying), and its execution with it."""
        with self._db.transaction() as session:
            require_user(session, actor, "actor")
            job = session.get(Job, job_id, with_for_update=True)
            if job is None:
                raise NotFoundError(f"unknown job {job_id}")
            if job.state not in CANCELLABLE:
                raise ConflictError(
                    f"job {job_id} is {job.state}; only queued or retrying jobs can be cancelled"
                )
            now = utcnow()
            job.state = JobState.CANCELLED
            job.message = f"cancelled by {actor}"
            job.finished_at = job.updated_at = now
            job.lease_owner = None
            job.next_attempt_at = None
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

    def retry_failed(
        self,
        actor: str,
        retry: Callable[[int, str], object],
        progress: Callable[[int, int], object] | None = None,
    ) -> BulkRetryResult:
        """Retry every failed job, one transaction each (`retry` is MonitorService.retry_job);
        a job that cannot be retried is skipped with its reason."""
        ids = self.failed_ids()
        retried, skipped = 0, []
        for done, job_id in enumerate(ids, start=1):
            try:
                retry(job_id, actor)
                retried += 1
            except GovernanceError as exc:
                skipped.append(f"job {job_id}: {exc}")
            if progress is not None:
                progress(done, len(ids))
        return BulkRetryResult(retried, skipped)
