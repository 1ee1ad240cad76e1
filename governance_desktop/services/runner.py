"""Running one job: claim it, do its step, record it, queue the next — one transaction.

A duplicate or late message finds its job already final and changes nothing. Transient
failures retry with exponential back-off and jitter; permanent ones fail the execution.
"""

from __future__ import annotations

import logging
import random
import traceback
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from governance_desktop.domain.enums import ExecutionStatus, JobKind, JobState
from governance_desktop.domain.errors import GovernanceError, TransientError
from governance_desktop.services.actions import ActionEffects
from governance_desktop.services.dispatch import JobDispatcher, QueuedJob, dispatch_after_commit
from governance_desktop.services.progress import (
    FINAL_EXECUTION,
    FINAL_JOB,
    finish,
    insert_job,
    version_definition,
)
from governance_desktop.store.db import Database
from governance_desktop.store.models import Job, Policy, WorkflowExecution, WorkflowStepRun
from governance_desktop.store.types import utcnow

log = logging.getLogger(__name__)
# A message may arrive a little before its retry time (clock skew, scheduler tick).
EARLY_TOLERANCE = timedelta(seconds=1)
# How many next steps `run_chained` may run in the transaction of the job it was given: more
# steps per durable commit, yet a long workflow holds the write lock only so long.
CHAIN_LIMIT = 4


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 2.0
    max_delay: float = 300.0

    def delay(self, attempt: int) -> float:
        """Exponential back-off with ±20% jitter so retries from many jobs spread out."""
        raw = min(self.max_delay, self.base_delay * (2 ** max(0, attempt - 1)))
        return float(raw * random.uniform(0.8, 1.2))


@dataclass(frozen=True)
class JobOutcome:
    job_id: int
    kind: str
    state: JobState
    execution_id: int | None
    execution_status: str | None
    error: str | None = None
    duplicate: bool = False
    unknown: bool = False  # the message named a job that does not exist


def _outcome(job: Job, execution: WorkflowExecution | None, duplicate: bool = False) -> JobOutcome:
    return JobOutcome(
        job.id,
        job.kind,
        JobState(job.state),
        job.execution_id,
        execution.status if execution else None,
        job.error,
        duplicate,
    )


_jobs = cast(Table, Job.__table__)
_executions = cast(Table, WorkflowExecution.__table__)
_step_runs = cast(Table, WorkflowStepRun.__table__)
# The hot path's statements, built once, run on the session's connection: the ORM unit of
# work cost ~1 ms per flush and ~4 flushes per step (docs/benchmarks.md, part 2).
_JOB_COLUMNS = 8
_LOAD = (
    select(
        _jobs.c.kind,
        _jobs.c.state,
        _jobs.c.attempts,
        _jobs.c.started_at,
        _jobs.c.next_attempt_at,
        _jobs.c.execution_id,
        _jobs.c.step_index,
        _jobs.c.error,
        _executions.c.id.label("ex_id"),
        _executions.c.status,
        _executions.c.current_step,
        _executions.c.step_count,
        _executions.c.workflow_version_id,
        _executions.c.entity_id,
        _executions.c.started_by,
        _executions.c.started_at.label("ex_started_at"),
    )
    .select_from(_jobs.outerjoin(_executions, _executions.c.id == _jobs.c.execution_id))
    .where(_jobs.c.id == bindparam("p_id"))
    .with_for_update(of=_jobs)
)
_DONE = select(_step_runs.c.id).where(
    _step_runs.c.execution_id == bindparam("p_execution"),
    _step_runs.c.step_index == bindparam("p_step"),
)
_INSERT_STEP_RUN = insert(_step_runs)
_UPDATE_JOB = update(_jobs).where(_jobs.c.id == bindparam("p_id"))
_UPDATE_EXECUTION = update(_executions).where(_executions.c.id == bindparam("p_id"))


@dataclass
class _ExecRow:
    """The runner's snapshot of an execution row; changes are written with one UPDATE."""

    id: int
    status: str
    current_step: int
    step_count: int
    workflow_version_id: int
    entity_id: int
    started_by: str
    started_at: datetime | None
    policy: Policy | None = field(default=None, repr=False, compare=False)


@dataclass
class _JobRow:
    """The runner's snapshot of a job row."""

    id: int
    kind: str
    state: str
    attempts: int
    started_at: datetime | None
    next_attempt_at: datetime | None
    execution_id: int | None
    step_index: int | None
    error: str | None
    message: str | None = None

    @classmethod
    def queued(cls, job: QueuedJob, execution: _ExecRow) -> _JobRow:
        """A job row this transaction has just inserted (`insert_job`)."""
        step = execution.current_step
        return cls(job.job_id, job.kind, JobState.QUEUED, 0, None, None, execution.id, step, None)

    def outcome(self, execution: _ExecRow | None, duplicate: bool = False) -> JobOutcome:
        return JobOutcome(
            self.id,
            self.kind,
            JobState(self.state),
            self.execution_id,
            execution.status if execution else None,
            self.error,
            duplicate,
        )


def _advance(conn: Connection, execution: _ExecRow, changes: dict[str, Any]) -> list[QueuedJob]:
    """`progress.advance` on the snapshot: the column changes go into `changes`."""
    now = utcnow()
    execution.current_step += 1
    changes.update(current_step=execution.current_step, updated_at=now)
    if execution.current_step >= execution.step_count:
        execution.status = ExecutionStatus.COMPLETED
        changes.update(status=execution.status, finished_at=now)
        return []
    execution.status = ExecutionStatus.IN_PROGRESS
    changes["status"] = execution.status
    return [insert_job(conn, JobKind.EXECUTE_WORKFLOW_ACTION, execution.id, execution.current_step)]


class JobRunner:
    def __init__(
        self,
        db: Database,
        dispatcher: JobDispatcher,
        effects: ActionEffects,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._db = db
        self._dispatcher = dispatcher
        self._effects = effects
        self.retry = retry or RetryPolicy()

    def run(self, job_id: int, worker_id: str = "") -> JobOutcome:
        """Run one job; its next step, if any, is queued after the commit."""
        return self.run_chained(job_id, worker_id, 0)[0]

    def run_chained(
        self, job_id: int, worker_id: str = "", limit: int = CHAIN_LIMIT
    ) -> list[JobOutcome]:
        """Run one job, then up to `limit` next steps of its execution in the SAME durable
        transaction (group commit), each in a savepoint: every step's effect, step row and
        next job row commit together or not at all. A chained step that fails is rolled back
        to its savepoint and stays queued for the queue to run (and retry) on its own.
        Returns the outcome of the job, then one per chained step that ran."""
        try:
            with self._db.transaction() as session:
                row = session.connection().execute(_LOAD, {"p_id": job_id}).first()
                if row is None:
                    log.warning("message for unknown job %s ignored", job_id)
                    return [
                        JobOutcome(
                            job_id, "", JobState.FAILED, None, None, "unknown job", True, True
                        )
                    ]
                job = _JobRow(job_id, *row[:_JOB_COLUMNS])
                execution = _ExecRow(*row[_JOB_COLUMNS:]) if row.ex_id is not None else None
                if not self._claimable(job):
                    return [job.outcome(execution, duplicate=True)]
                assert execution is not None
                jobs = self._perform(session, job, execution)
                outcomes = [job.outcome(execution)]
                jobs = self._chain(session, execution, jobs, limit, outcomes)
                dispatch_after_commit(session, jobs, self._dispatcher)
                return outcomes
        except (TransientError, OperationalError) as exc:
            return [self._retry_or_fail(job_id, f"{type(exc).__name__}: {exc}")]
        except GovernanceError as exc:
            return [self._fail(job_id, str(exc))]
        except Exception as exc:
            log.exception("job %s failed unexpectedly", job_id)
            return [
                self._fail(
                    job_id, f"unexpected {type(exc).__name__}: {exc}", traceback.format_exc()
                )
            ]

    def _chain(
        self,
        session: Session,
        execution: _ExecRow,
        jobs: list[QueuedJob],
        limit: int,
        outcomes: list[JobOutcome],
    ) -> list[QueuedJob]:
        """Run the single next step job of this execution now, while it is the only one.
        That job row was inserted a moment ago in this transaction: its state is known."""
        while limit > 0 and len(jobs) == 1 and jobs[0].delay == 0:
            if jobs[0].kind != JobKind.EXECUTE_WORKFLOW_ACTION:
                break
            limit -= 1
            job = _JobRow.queued(jobs[0], execution)
            ahead = replace(execution)  # kept only if the step commits to its savepoint
            try:
                with session.begin_nested():
                    after = self._perform(session, job, ahead)
            except Exception as exc:  # rolled back to the savepoint; the queue runs it
                log.info("job %s not chained (%s: %s); queued instead", job.id, type(exc), exc)
                break
            execution = ahead
            outcomes.append(job.outcome(execution))
            jobs = after
        return jobs

    @staticmethod
    def _claimable(job: _JobRow) -> bool:
        if job.state in FINAL_JOB:
            return False
        if job.state == JobState.RETRYING and job.next_attempt_at is not None:
            return job.next_attempt_at <= utcnow() + EARLY_TOLERANCE
        return True

    def _perform(self, session: Session, job: _JobRow, execution: _ExecRow) -> list[QueuedJob]:
        """Do the job's work (Core statements: one UPDATE per row, no ORM flush); returns
        the jobs to queue after the commit."""
        conn = session.connection()
        now = utcnow()
        changes: dict[str, Any] = {}
        jobs: list[QueuedJob] = []
        job.state = JobState.SUCCEEDED
        if execution.status in FINAL_EXECUTION:
            # The execution ended (cancelled, rejected…) after this job was queued.
            job.state = JobState.CANCELLED
            job.message = f"execution already {execution.status}"
        elif job.kind == JobKind.EXECUTE_WORKFLOW:
            execution.started_at = execution.started_at or now
            execution.current_step = -1
            changes["started_at"] = execution.started_at
            jobs = _advance(conn, execution, changes)
            job.message = "started"
        else:
            jobs = self._step(session, conn, job, execution, changes)
        if changes:
            conn.execute(_UPDATE_EXECUTION, {"p_id": execution.id, **changes})
        job.error = None
        conn.execute(
            _UPDATE_JOB,
            {
                "p_id": job.id,
                "attempts": job.attempts + 1,
                "started_at": job.started_at or now,
                "state": job.state,
                "message": job.message,
                "progress": 1.0,
                "error": None,
                "finished_at": now,
                "updated_at": now,
                "lease_owner": None,
            },
        )
        return jobs

    def _step(
        self,
        session: Session,
        conn: Connection,
        job: _JobRow,
        execution: _ExecRow,
        changes: dict[str, Any],
    ) -> list[QueuedJob]:
        step = job.step_index
        assert step is not None
        if execution.current_step != step or execution.status != ExecutionStatus.IN_PROGRESS:
            job.state = JobState.CANCELLED
            job.message = f"stale: execution is at step {execution.current_step}"
            return []
        done = conn.execute(_DONE, {"p_execution": execution.id, "p_step": step}).first()
        if done is not None:  # the effect already happened: never apply it twice
            job.message = "step already done"
            return []
        defn = version_definition(session, execution.workflow_version_id)
        action = defn.actions[step]
        # Held by the snapshot for the chain's next steps: the session's identity map keeps
        # only weak references, and a reload costs a SELECT and ~1 ms of ORM per step.
        policy = execution.policy or session.get(Policy, execution.entity_id)
        execution.policy = policy
        if policy is None:
            raise GovernanceError(f"policy {execution.entity_id} no longer exists")
        waits, result = self._effects.apply(session, execution, step, action, policy)
        session.flush()  # the effect's ORM changes (a policy edit) before the step row
        conn.execute(
            _INSERT_STEP_RUN,
            {
                "execution_id": execution.id,
                "step_index": step,
                "action_type": action.type,
                "status": "waiting" if waits else "completed",
                "result": result,
                "created_at": utcnow(),
            },
        )
        job.message = f"step {step + 1} of {execution.step_count}: {action.type}"
        if waits:
            execution.status = ExecutionStatus.AWAITING_APPROVAL
            changes.update(status=execution.status, updated_at=utcnow())
            return []
        return _advance(conn, execution, changes)

    def _retry_or_fail(self, job_id: int, error: str) -> JobOutcome:
        with self._db.transaction() as session:
            job = session.get(Job, job_id, with_for_update=True)
            if job is None or job.state in FINAL_JOB:
                return self._noop(job_id, job)
            job.attempts += 1
            if job.attempts >= self.retry.max_attempts:
                log.warning("job %s gave up after %s attempts: %s", job_id, job.attempts, error)
                return self._mark_failed(
                    session, job, f"gave up after {job.attempts} attempts: {error}"
                )
            delay = self.retry.delay(job.attempts)
            now = utcnow()
            job.state = JobState.RETRYING
            job.error = error
            job.message = f"attempt {job.attempts} failed; retrying in {delay:.1f} s"
            job.next_attempt_at = now + timedelta(seconds=delay)
            job.lease_owner = None
            job.updated_at = now
            dispatch_after_commit(
                session, [QueuedJob(job.id, JobKind(job.kind), delay)], self._dispatcher
            )
            execution = session.get(WorkflowExecution, job.execution_id)
            return _outcome(job, execution)

    def _fail(self, job_id: int, error: str, trace: str | None = None) -> JobOutcome:
        with self._db.transaction() as session:
            job = session.get(Job, job_id, with_for_update=True)
            if job is None or job.state in FINAL_JOB:
                return self._noop(job_id, job)
            job.attempts += 1
            return self._mark_failed(
                session, job, error if trace is None else f"{error}\n\n{trace}"
            )

    def _mark_failed(self, session: Session, job: Job, error: str) -> JobOutcome:
        now = utcnow()
        job.state = JobState.FAILED
        job.error = error
        job.message = error.splitlines()[0]
        job.finished_at = job.updated_at = now
        job.lease_owner = None
        execution = session.get(WorkflowExecution, job.execution_id)
        if execution is not None and execution.status not in FINAL_EXECUTION:
            where = "start" if job.step_index is None else f"step {job.step_index + 1}"
            finish(execution, ExecutionStatus.FAILED, f"{where}: {job.message}")
        return _outcome(job, execution)

    @staticmethod
    def _noop(job_id: int, job: Job | None) -> JobOutcome:
        if job is None:
            return JobOutcome(job_id, "", JobState.FAILED, None, None, "unknown job", True)
        return JobOutcome(
            job.id, job.kind, JobState(job.state), job.execution_id, None, job.error, duplicate=True
        )
