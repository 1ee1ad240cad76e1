"""Job rows as the queue side sees them: running marks with their leases, interruptions, what
needs re-enqueueing, and how much work waits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, bindparam, func, or_, select, update

from governance_desktop.domain.enums import JobKind, JobState
from governance_desktop.domain.job_states import CLAIMABLE, STARTED, UNFINISHED
from governance_desktop.services.dispatch import QueuedJob
from governance_desktop.services.dto import JobInfo
from governance_desktop.services.read_models import job_info, job_query
from governance_desktop.store.db import Database
from governance_desktop.store.models import Job
from governance_desktop.store.types import utcnow

_jobs = cast(Table, Job.__table__)
# Runs once per job on the worker's hot path: built once, as a Core statement (no ORM
# session synchronisation), it costs a fraction of a per-call ORM update (docs/benchmarks.md).
_MARK_RUNNING = (
    update(_jobs)
    .where(_jobs.c.id == bindparam("p_id"), _jobs.c.state.in_([str(s) for s in CLAIMABLE]))
    .values(
        state=str(JobState.RUNNING),
        lease_owner=bindparam("p_owner"),
        lease_expires_at=bindparam("p_expires"),
        started_at=bindparam("p_started"),
        updated_at=bindparam("p_now"),
    )
)
# A late mark (jobs/lifecycle.py) is skipped if the runner has written the job since it
# began: it never turns a job the runner finished or set retrying back into "running".
_MARK_LATE = _MARK_RUNNING.where(
    or_(_jobs.c.updated_at.is_(None), _jobs.c.updated_at <= bindparam("p_began"))
)


class JobTracker:
    def __init__(self, db: Database) -> None:
        self._db = db

    def mark_running(
        self,
        job_id: int,
        lease_owner: str,
        lease_seconds: float,
        began: datetime | None = None,
    ) -> bool:
        """For the monitor; correctness does not depend on it (the runner claims in its
        own transaction). The lease tells the reconciler whether a live worker holds it.
        `began`: a late mark for a job that began then (see _MARK_LATE)."""
        now = utcnow()
        params = {
            "p_id": job_id,
            "p_owner": lease_owner,
            "p_expires": now + timedelta(seconds=lease_seconds),
            "p_now": now,
            "p_started": now if began is None else began,
            "p_began": began,
        }
        statement = _MARK_RUNNING if began is None else _MARK_LATE
        # Advisory, so its commit skips the fsync (the step's own FULL commit syncs it a
        # moment later; a mark lost to a power cut only leaves the job "queued", which the
        # reconciler re-runs): one fsync less per job (docs/benchmarks.md, part 2).
        with self._db.unsynced_write() as conn:
            return bool(conn.execute(statement, params).rowcount)

    def mark_interrupted(self, job_id: int) -> None:
        now = utcnow()
        with self._db.transaction() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.state == JobState.RUNNING)
                .values(
                    state=JobState.INTERRUPTED,
                    lease_owner=None,
                    updated_at=now,
                    message="interrupted by shutdown; will run again",
                )
            )

    def recoverable(
        self,
        now: datetime,
        grace_seconds: float,
        owner_alive: Callable[[str], bool],
        limit: int = 5000,
    ) -> list[QueuedJob]:
        """Jobs with no live worker: reset them to queued and return them for enqueueing."""
        cutoff = now - timedelta(seconds=grace_seconds)
        with self._db.transaction() as session:
            rows = session.scalars(
                select(Job)
                .where(
                    or_(
                        and_(Job.state == JobState.QUEUED, Job.updated_at <= cutoff),
                        and_(Job.state == JobState.RETRYING, Job.next_attempt_at <= cutoff),
                        Job.state.in_(STARTED),
                    )
                )
                .order_by(Job.id)
                .limit(limit)
            )
            found: list[QueuedJob] = []
            for job in rows:
                if job.state == JobState.RUNNING:
                    expired = job.lease_expires_at is None or job.lease_expires_at <= now
                    if not expired and job.lease_owner and owner_alive(job.lease_owner):
                        continue
                if job.state in STARTED:
                    job.state = JobState.QUEUED
                    job.lease_owner = None
                    job.message = "re-queued: its worker stopped"
                job.updated_at = now
                found.append(QueuedJob(job.id, JobKind(job.kind)))
            return found

    def has_due_work(self, horizon_seconds: float = 60.0) -> bool:
        """Is any job queued or running, or retrying within the horizon? (`worker --burst`)"""
        now = utcnow() + timedelta(seconds=horizon_seconds)
        with self._db.reading() as session:
            return (
                session.scalar(
                    select(Job.id)
                    .where(
                        or_(
                            Job.state.in_((JobState.QUEUED, *STARTED)),
                            and_(Job.state == JobState.RETRYING, Job.next_attempt_at <= now),
                        )
                    )
                    .limit(1)
                )
                is not None
            )

    def queue_depth(self) -> int:
        """Jobs waiting or running (what the status bar calls the queue)."""
        with self._db.reading() as session:
            return int(
                session.scalar(
                    select(func.count()).select_from(Job).where(Job.state.in_(UNFINISHED))
                )
                or 0
            )

    def snapshot(self, job_id: int) -> JobInfo | None:
        with self._db.reading() as session:
            row = session.execute(job_query().where(Job.id == job_id)).first()
            return job_info(*row) if row else None
