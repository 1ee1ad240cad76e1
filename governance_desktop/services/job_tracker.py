"""Job rows as the queue side sees them: running marks with their leases (renewed by the
worker's heartbeat), interruptions, what needs re-enqueueing (one reconciler at a time), and
how much work waits.

Leases are stamped and compared on the database server's clock (`Database.server_now`), so
workers and reconcilers on machines whose clocks differ agree on when a lease ran out. The
hot path (`mark_running`) does not ask the server: `store.types.utcnow` adds the offset
measured at open and on the last heartbeat or reconcile to this machine's clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, cast

from sqlalchemy import Table, and_, bindparam, func, or_, select, update

from governance_desktop.domain.enums import JobKind, JobState
from governance_desktop.domain.job_states import CLAIMABLE, STARTED, UNFINISHED
from governance_desktop.services.dispatch import QueuedJob
from governance_desktop.services.dto import JobInfo
from governance_desktop.services.read_models import job_info, job_query
from governance_desktop.store.db import Database, ensure_private_file, sqlite_path
from governance_desktop.store.models import Job
from governance_desktop.store.types import utcnow

_jobs = cast(Table, Job.__table__)
# Runs once per job on the worker's hot path: built once, as a Core statement (no ORM
# session synchronisation), it costs a fraction of a per-call ORM update (docs/benchmarks.md).
_MARKED = update(_jobs).values(
    state=str(JobState.RUNNING),
    lease_owner=bindparam("p_owner"),
    lease_expires_at=bindparam("p_expires"),
    started_at=bindparam("p_started"),
    updated_at=bindparam("p_now"),
)
_CLAIMABLE = _jobs.c.state.in_([str(s) for s in CLAIMABLE])
_MARK_RUNNING = _MARKED.where(_jobs.c.id == bindparam("p_id"), _CLAIMABLE)
# A batch's jobs marked with one statement; the ids it marked come back.
_MARK_MANY = _MARKED.where(
    _jobs.c.id.in_(bindparam("p_ids", expanding=True)), _CLAIMABLE
).returning(_jobs.c.id)
# A late mark (jobs/lifecycle.py) is skipped if the runner has written the job since it
# began: it never turns a job the runner finished or set retrying back into "running".
_MARK_LATE = _MARK_RUNNING.where(
    or_(_jobs.c.updated_at.is_(None), _jobs.c.updated_at <= bindparam("p_began"))
)
# The heartbeat: every running job of one worker gets a fresh lease in one statement.
_RENEW = (
    update(_jobs)
    .where(_jobs.c.lease_owner == bindparam("p_owner"), _jobs.c.state == str(JobState.RUNNING))
    .values(lease_expires_at=bindparam("p_expires"))
)
#: PostgreSQL session advisory lock held by the one reconciler at work (the app's own key,
#: next to store.db.WRITER_LOCK_KEY).
RECONCILER_LOCK_KEY = 0x676F_7602
_in_process = threading.Lock()  # reconcilers of this process (SQLite's lock file is per open)


class JobTracker:
    def __init__(self, db: Database) -> None:
        self._db = db

    def now(self) -> datetime:
        """The database server's time, read now (this machine's offset from it saved)."""
        return self._db.server_now()

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

    def mark_running_many(
        self, job_ids: Sequence[int], lease_owner: str, lease_seconds: float
    ) -> set[int]:
        """`mark_running` for a batch's jobs in one advisory transaction; the ids marked."""
        now = utcnow()
        params = {
            "p_ids": list(job_ids),
            "p_owner": lease_owner,
            "p_expires": now + timedelta(seconds=lease_seconds),
            "p_now": now,
            "p_started": now,
        }
        with self._db.unsynced_write() as conn:
            return set(conn.execute(_MARK_MANY, params).scalars())

    def renew_leases(self, lease_owner: str, lease_seconds: float) -> int:
        """The worker's heartbeat: its running jobs' leases last `lease_seconds` more from
        now (the server's clock); returns how many. Advisory, like `mark_running`."""
        params = {
            "p_owner": lease_owner,
            "p_expires": self.now() + timedelta(seconds=lease_seconds),
        }
        with self._db.unsynced_write() as conn:
            return int(conn.execute(_RENEW, params).rowcount)

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

    @contextmanager
    def reconciling(self) -> Iterator[bool]:
        """Whether the caller is the one reconciler at work now (it holds the lock until the
        block ends); False at once if another is. PostgreSQL: a session advisory lock, so
        across machines; SQLite: a lock file beside the database, so across processes."""
        if not _in_process.acquire(blocking=False):
            yield False
            return
        try:
            if self._db.engine.dialect.name == "postgresql":
                with self._db.engine.connect() as conn:
                    key = RECONCILER_LOCK_KEY
                    mine = bool(
                        conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({key})").scalar()
                    )
                    conn.commit()
                    try:
                        yield mine
                    finally:
                        if mine:
                            conn.exec_driver_sql(
                                f"SELECT pg_advisory_unlock({RECONCILER_LOCK_KEY})"
                            )
                            conn.commit()
                return
            path = sqlite_path(self._db.url)
            with _lock_file(path.with_name(path.name + "-reconcilelock") if path else None) as mine:
                yield mine
        finally:
            _in_process.release()

    def recoverable(
        self,
        now: datetime | None,
        grace_seconds: float,
        owner_alive: Callable[[str], bool],
        limit: int = 5000,
    ) -> list[QueuedJob]:
        """Jobs with no live worker: reset them to queued and return them for enqueueing.
        `now`: None reads the database server's clock."""
        now = self.now() if now is None else now
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


@contextmanager
def _lock_file(path: Path | None) -> Iterator[bool]:
    """An exclusive lock on `path` if free (True), else False at once; True where there is no
    file to lock (an in-memory database) or no fcntl (Windows: one process per database)."""
    try:
        import fcntl
    except ImportError:
        yield True
        return
    if path is None:
        yield True
        return
    ensure_private_file(path)
    handle: IO[bytes] = open(path, "ab")  # noqa: SIM115 - closed below
    try:
        try:
            fcntl.lockf(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.lockf(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()
