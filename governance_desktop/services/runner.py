"""Running one job: claim it, do its step, record it, queue the next — one transaction.

A duplicate or late message finds its job already final and changes nothing. Transient
failures retry with exponential back-off and jitter; permanent ones fail the execution.
"""

from __future__ import annotations

import logging
import random
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from governance_desktop.domain.enums import ExecutionStatus, JobKind, JobState
from governance_desktop.domain.errors import GovernanceError, TransientError
from governance_desktop.domain.job_states import FINAL_EXECUTION, FINAL_JOB
from governance_desktop.services.actions import ActionEffects
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.dispatch import JobDispatcher, QueuedJob, dispatch_after_commit
from governance_desktop.services.ending import ENDED_EXECUTIONS
from governance_desktop.services.job_rows import (
    LOAD,
    STEP_DONE,
    ExecRow,
    JobRow,
    advance,
    await_approval,
    finish,
    insert_job,
    lock_step_rows,
    save_executions,
    save_job,
    start,
)
from governance_desktop.services.policy_rows import PolicyRow, joined_policy, load_policy
from governance_desktop.services.workflows import version_definition
from governance_desktop.store.conflicts import retry_conflicts
from governance_desktop.store.db import Database
from governance_desktop.store.models import Job, WorkflowExecution
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


@dataclass(frozen=True, kw_only=True)
class JobOutcome:
    """What running a job did, for the queue side (events, the monitor)."""

    job_id: int
    kind: str
    state: JobState
    execution_id: int | None
    execution_status: str | None
    error: str | None = None
    duplicate: bool = False
    unknown: bool = False  # the message named a job that does not exist


class _ChainBroken(Exception):
    """A chained step failed after `ran` chained steps had succeeded: the whole transaction
    is rolled back and run again chaining only those (no savepoint per step: they cost a
    SAVEPOINT and a RELEASE each, ~12 % of a step — docs/benchmarks.md, part 2)."""

    def __init__(self, ran: int, step: int, exc: Exception) -> None:
        super().__init__(f"step {step} not chained ({type(exc).__name__}: {exc})")
        self.ran = ran


class _BatchConflict(Exception):
    """Two jobs of a batch share an execution (or are one job): the batch runs one by one."""


@dataclass(frozen=True)
class _Chained:
    """A step run in the transaction of the job before it, and its execution's status after."""

    job: JobRow
    status: str


@dataclass(frozen=True)
class _Ran:
    """A job that ran in a transaction: its execution, its chained steps, the step still to
    queue, and its outcomes (filled once the chained jobs have their ids)."""

    job: JobRow
    execution: ExecRow
    chained: list[_Chained]
    next_step: int | None
    outcomes: list[JobOutcome]


def _outcome(job: Job | JobRow, status: str | None, duplicate: bool = False) -> JobOutcome:
    """The outcome of a job, from its ORM row or its Core row, with its execution's status."""
    assert job.id is not None
    return JobOutcome(
        job_id=job.id,
        kind=job.kind,
        state=JobState(job.state),
        execution_id=job.execution_id,
        execution_status=status,
        error=job.error,
        duplicate=duplicate,
    )


def _unknown(job_id: int, unknown: bool = True) -> JobOutcome:
    """The outcome of a message naming a job with no row (the retry and fail paths, which
    look again after a failure, leave `unknown` unset)."""
    return JobOutcome(
        job_id=job_id,
        kind="",
        state=JobState.FAILED,
        execution_id=None,
        execution_status=None,
        error="unknown job",
        duplicate=True,
        unknown=unknown,
    )


class JobRunner:
    def __init__(
        self,
        db: Database,
        dispatcher: JobDispatcher,
        effects: ActionEffects,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._db = db
        self._cache = DatabaseCache.of(db)
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
        transaction (group commit): every step's effect, step row and next job row commit
        together or not at all. If a chained step fails, the transaction is rolled back and
        run again chaining only the steps before it; the failed step's job row is written
        queued, for the queue to run (and retry) on its own. Returns the outcome of the job,
        then one per chained step that ran."""
        try:
            return self._run_once([job_id], limit)[0]
        except _ChainBroken as broken:
            log.info("job %s: %s; queued instead", job_id, broken)
            return self.run_chained(job_id, worker_id, broken.ran)
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

    def run_batch(
        self, job_ids: Sequence[int], worker_id: str = "", limit: int = CHAIN_LIMIT
    ) -> list[list[JobOutcome]]:
        """Run several jobs, each with its chain (`run_chained`), in ONE durable transaction:
        one commit for messages the queue delivered together. If any of them fails, the
        whole transaction is rolled back and each job runs again on its own, where its
        failure is handled (retry, fail, chain less) without touching the others. Returns
        `run_chained`'s outcomes for each job, in the order given."""
        if len(job_ids) < 2:
            return [self.run_chained(job_id, worker_id, limit) for job_id in job_ids]
        try:
            return self._run_once(job_ids, limit)
        except Exception as exc:
            log.info(
                "batch of %d jobs rolled back (%s: %s); running them one by one",
                len(job_ids),
                type(exc).__name__,
                exc,
            )
        return [self.run_chained(job_id, worker_id, limit) for job_id in job_ids]

    @retry_conflicts
    def _run_once(self, job_ids: Sequence[int], limit: int) -> list[list[JobOutcome]]:
        """`_run_in` in a step runner's transaction, which on PostgreSQL runs beside other
        runners' (store.db.SHARED); if the server picks it as a deadlock victim, it runs
        again (store.conflicts), never counted as the job's failed attempt."""
        with self._db.transaction(shared=True) as session:
            return self._run_in(session, job_ids, limit)

    def _run_in(
        self, session: Session, job_ids: Sequence[int], limit: int
    ) -> list[list[JobOutcome]]:
        """Claim and run each job and its chain in `session`'s transaction; their rows are
        written with one statement per table at the end, their next jobs queued after the
        commit."""
        conn = session.connection()
        lock_step_rows(conn, list(job_ids))
        rows = {row.job_id: row for row in conn.execute(LOAD, {"p_ids": list(job_ids)})}
        ran: list[_Ran] = []
        results: list[list[JobOutcome]] = []
        seen_jobs: set[int | None] = set()
        seen_executions: set[int] = set()
        policies: dict[int, PolicyRow] = {}
        for job_id in job_ids:
            row = rows.get(job_id)
            if row is None:
                log.warning("message for unknown job %s ignored", job_id)
                results.append([_unknown(job_id)])
                continue
            job = JobRow.loaded(row)
            if job.id in seen_jobs or job.execution_id in seen_executions:
                # Read once for the whole batch: a second job of the same execution (or the
                # same job twice) must see the first's rows, so it runs on its own.
                raise _BatchConflict(f"job {job.id} repeats a job or execution of its batch")
            seen_jobs.add(job.id)
            if job.execution_id is not None:
                seen_executions.add(job.execution_id)
            execution = None
            if row.ex_id is not None:
                execution = ExecRow.loaded(row)
                if row.policy_id is not None:  # the step needs it; no second query
                    # One copy per policy: a second run on it sees what the first changed.
                    if row.policy_id not in policies:
                        policies[row.policy_id] = joined_policy(row)
                    execution.policy = policies[row.policy_id]
            if not self._claimable(job):
                status = execution.status if execution else None
                results.append([_outcome(job, status, duplicate=True)])
                continue
            assert execution is not None
            after = self._perform(session, conn, job, execution)
            chained, after = self._chain(session, conn, execution, after, limit)
            results.append([])
            ran.append(_Ran(job, execution, chained, after, results[-1]))
        ended = session.info.get(ENDED_EXECUTIONS)
        if ended and any(each.execution.id in ended for each in ran):
            # A step ended (cancelled) another execution of this batch after it was read.
            raise _BatchConflict("a step of the batch ended another execution of it")
        save_executions(conn, [each.execution for each in ran])
        queued = [
            insert_job(conn, each.execution.id, each.next_step)
            for each in ran
            if each.next_step is not None
        ]
        for each in ran:
            each.outcomes.append(_outcome(each.job, each.execution.status))
            each.outcomes.extend(_outcome(done.job, done.status) for done in each.chained)
        dispatch_after_commit(session, queued, self._dispatcher)
        return results

    def _chain(
        self,
        session: Session,
        conn: Connection,
        execution: ExecRow,
        step: int | None,
        limit: int,
    ) -> tuple[list[_Chained], int | None]:
        """Run the execution's next steps now; their rows wait in the snapshot for
        `save_executions`. Returns each step's job with the execution's status after it,
        and the step still to queue, if any."""
        chained: list[_Chained] = []
        while len(chained) < limit and step is not None:
            job = JobRow.step(execution, step)
            try:
                after = self._perform(session, conn, job, execution)
            except Exception as exc:  # the caller rolls back and chains only those before
                raise _ChainBroken(len(chained), step, exc) from exc
            chained.append(_Chained(job, execution.status))
            step = after
        return chained, step

    @staticmethod
    def _claimable(job: JobRow) -> bool:
        if job.state in FINAL_JOB:
            return False
        if job.state == JobState.RETRYING and job.next_attempt_at is not None:
            return job.next_attempt_at <= utcnow() + EARLY_TOLERANCE
        return True

    def _perform(
        self, session: Session, conn: Connection, job: JobRow, execution: ExecRow
    ) -> int | None:
        """Do the job's work and write its row done; the execution's changes stay in its
        snapshot. Returns the execution's next step to run, if any."""
        now = utcnow()
        after: int | None = None
        job.state = JobState.SUCCEEDED
        if execution.status in FINAL_EXECUTION:
            # The execution ended (cancelled, rejected…) after this job was queued.
            job.state = JobState.CANCELLED
            job.message = f"execution already {execution.status}"
        elif job.kind == JobKind.EXECUTE_WORKFLOW:
            after = start(execution)
            job.message = "started"
        else:
            after = self._step(session, conn, job, execution)
        job.error = None
        save_job(job, now, execution)
        return after

    def _step(
        self, session: Session, conn: Connection, job: JobRow, execution: ExecRow
    ) -> int | None:
        step = job.step_index
        assert step is not None
        if execution.current_step != step or execution.status != ExecutionStatus.IN_PROGRESS:
            job.state = JobState.CANCELLED
            job.message = f"stale: execution is at step {execution.current_step}"
            return None
        # A job from the queue may be a duplicate whose effect happened: never apply it twice.
        # A chained step (no id yet) cannot be: this transaction moved the execution to it.
        if job.id is not None:
            key = {"p_execution": execution.id, "p_step": step}
            if conn.execute(STEP_DONE, key).first() is not None:
                job.message = "step already done"
                return None
        defn = version_definition(session, self._cache, execution.workflow_version_id)
        action = defn.actions[step]
        policy = execution.policy or load_policy(conn, execution.entity_id)
        execution.policy = policy
        if policy is None:
            raise GovernanceError(f"policy {execution.entity_id} no longer exists")
        waits, result = self._effects.apply(session, execution, step, action, policy)
        execution.record_step(step, action.type, "waiting" if waits else "completed", result)
        job.message = f"step {step + 1} of {execution.step_count}: {action.type}"
        if waits:
            await_approval(execution)
            return None
        return advance(execution)

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
            return _outcome(job, execution.status if execution else None)

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
        return _outcome(job, execution.status if execution else None)

    @staticmethod
    def _noop(job_id: int, job: Job | None) -> JobOutcome:
        if job is None:
            return _unknown(job_id, unknown=False)
        return _outcome(job, None, duplicate=True)
