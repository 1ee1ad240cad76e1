"""The job monitor's reads: keyset pages, counts, changes since a watermark, one job's detail.

Its commands (retry, cancel, retry all failed) are JobService's (services/job_control.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from governance_desktop.domain.enums import JobState
from governance_desktop.domain.errors import NotFoundError
from governance_desktop.services.dto import JobInfo
from governance_desktop.services.paging import PAGE_SIZE, keyset_page, snapshot_bounds
from governance_desktop.services.read_models import job_info, job_query
from governance_desktop.services.search import contains, search_text
from governance_desktop.store.db import Database
from governance_desktop.store.models import Job, Policy, Workflow, WorkflowExecution

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
    """Lazy, filterable reads of the jobs table."""

    def __init__(self, db: Database) -> None:
        self._db = db

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

    def rows(self, ids: list[int]) -> list[JobInfo]:
        """These jobs as they are now (rows whose run may have moved on without them)."""
        if not ids:
            return []
        with self._db.reading() as session:
            query = job_query().where(Job.id.in_(ids)).order_by(Job.id)
            return [job_info(*row) for row in session.execute(query)]

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

    def finished_within(self, seconds: float) -> list[datetime]:
        """When each job that finished in the last `seconds` (on the database server's
        clock, not this machine's) finished."""
        return self.finished_since(self._db.server_now() - timedelta(seconds=seconds))

    def finished_since(self, since: datetime) -> list[datetime]:
        """When each job that finished after `since` finished (for the throughput chart)."""
        # updated_at is indexed and never older than finished_at: it narrows the scan.
        query = select(Job.finished_at).where(
            Job.updated_at >= since, Job.finished_at.is_not(None), Job.finished_at >= since
        )
        with self._db.reading() as session:
            return [at for at in session.scalars(query) if at is not None]
