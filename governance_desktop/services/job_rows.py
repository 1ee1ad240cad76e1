"""Job and execution rows, the one home of the job lifecycle: new execution and queued job
rows; `start`, `advance` and `finish` of an execution (on its ORM row or on the runner's
snapshot of it); and the runner's snapshots, read with one query and written back with one
Core statement per table (no ORM unit of work on the runner's path: docs/benchmarks.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, bindparam, insert, select, update

from governance_desktop.domain.enums import EntityType, ExecutionStatus, JobKind, JobState
from governance_desktop.services.dispatch import QueuedJob
from governance_desktop.services.policy_rows import POLICIES, POLICY_COLUMNS, PolicyRow
from governance_desktop.store.models import Job, WorkflowExecution, WorkflowStepRun
from governance_desktop.store.types import utcnow

_jobs = cast(Table, Job.__table__)
_executions = cast(Table, WorkflowExecution.__table__)
_step_runs = cast(Table, WorkflowStepRun.__table__)

# --- new rows -------------------------------------------------------------------------------


def execution_row(
    *,
    workflow_id: int,
    version_id: int,
    entity_id: int,
    trigger: str,
    data: dict[str, Any],
    step_count: int,
    depth: int,
    parent_id: int | None,
    actor: str,
    now: datetime,
    error: str | None = None,
) -> dict[str, Any]:
    """The values of a new execution row of a policy, queued; with an `error`, failed at once."""
    return {
        "workflow_id": workflow_id,
        "workflow_version_id": version_id,
        "entity_type": EntityType.POLICY,
        "entity_id": entity_id,
        "trigger": trigger,
        "input_data": dict(data),
        "status": ExecutionStatus.QUEUED if error is None else ExecutionStatus.FAILED,
        "current_step": 0,
        "step_count": step_count,
        "depth": depth,
        "parent_execution_id": parent_id,
        "started_by": actor,
        "created_at": now,
        "updated_at": now,
        "finished_at": None if error is None else now,
        "error": error,
    }


def job_row(
    kind: JobKind, execution_id: int, step_index: int | None, now: datetime, **payload: Any
) -> dict[str, Any]:
    """The values of a new queued job row; `payload` adds to its message payload."""
    return {
        "kind": kind,
        "execution_id": execution_id,
        "step_index": step_index,
        "state": JobState.QUEUED,
        "attempts": 0,
        "progress": 0.0,
        "payload": {"execution_id": execution_id, "step_index": step_index, **payload},
        "enqueued_at": now,
        "updated_at": now,
    }


_INSERT_JOB = insert(_jobs)
_INSERT_JOBS = insert(_jobs).returning(_jobs.c.id, sort_by_parameter_order=True)
_INSERT_EXECUTIONS = insert(_executions).returning(_executions.c.id, sort_by_parameter_order=True)


def insert_job(conn: Connection, execution_id: int, step: int) -> QueuedJob:
    """Queue an execution's step: one job row by a Core INSERT."""
    kind = JobKind.EXECUTE_WORKFLOW_ACTION
    row = job_row(kind, execution_id, step, utcnow())
    key = conn.execute(_INSERT_JOB, row).inserted_primary_key
    assert key is not None
    return QueuedJob(int(key[0]), kind)


def insert_jobs(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT job rows (from `job_row`) with one statement; their ids, in the rows' order."""
    return list(conn.execute(_INSERT_JOBS, rows).scalars().all())


def insert_executions(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT execution rows (from `execution_row`) with one statement; their ids, in order."""
    return list(conn.execute(_INSERT_EXECUTIONS, rows).scalars().all())


# --- moving an execution --------------------------------------------------------------------


def _write(execution: ExecRow | WorkflowExecution, **values: Any) -> None:
    """Set `values` on the row; a snapshot also keeps them for `save_executions`."""
    for name, value in values.items():
        setattr(execution, name, value)
    if isinstance(execution, ExecRow):
        execution.changes.update(values)


def advance(execution: ExecRow | WorkflowExecution) -> int | None:
    """The current step is done: the next step to run, or None once the execution completed."""
    now = utcnow()
    step = execution.current_step + 1
    if step >= execution.step_count:
        status = ExecutionStatus.COMPLETED
        _write(execution, current_step=step, status=status, finished_at=now, updated_at=now)
        return None
    _write(execution, current_step=step, status=ExecutionStatus.IN_PROGRESS, updated_at=now)
    return step


def start(execution: ExecRow | WorkflowExecution) -> int | None:
    """The start job ran: the execution begins at its first step (None if it has none)."""
    _write(execution, started_at=execution.started_at or utcnow(), current_step=-1)
    return advance(execution)


def await_approval(execution: ExecRow | WorkflowExecution) -> None:
    """The step asked for approvals: the execution waits for their answers."""
    _write(execution, status=ExecutionStatus.AWAITING_APPROVAL, updated_at=utcnow())


def finish(
    execution: ExecRow | WorkflowExecution, status: ExecutionStatus, error: str | None
) -> None:
    """End the execution before its last step (failed, rejected, cancelled)."""
    now = utcnow()
    _write(execution, status=status, error=error, finished_at=now, updated_at=now)


def cancelled_job(message: str, now: datetime) -> dict[str, Any]:
    """The values that end a job before it ran: cancelled, leased by no worker, no retry due
    (a late message finds it final and changes nothing)."""
    return {
        "state": JobState.CANCELLED,
        "message": message,
        "finished_at": now,
        "updated_at": now,
        "lease_owner": None,
        "next_attempt_at": None,
    }


# --- the runner's snapshots -----------------------------------------------------------------

# Jobs, each with its execution and the execution's policy, in one query; every column is
# labelled (`job_…`, `ex_…`, `policy_…`) and read by its label.
LOAD = (
    select(
        _jobs.c.id.label("job_id"),
        _jobs.c.kind.label("job_kind"),
        _jobs.c.state.label("job_state"),
        _jobs.c.attempts.label("job_attempts"),
        _jobs.c.started_at.label("job_started_at"),
        _jobs.c.next_attempt_at.label("job_next_attempt_at"),
        _jobs.c.execution_id.label("job_execution_id"),
        _jobs.c.step_index.label("job_step_index"),
        _jobs.c.error.label("job_error"),
        _executions.c.id.label("ex_id"),
        _executions.c.status.label("ex_status"),
        _executions.c.current_step.label("ex_current_step"),
        _executions.c.step_count.label("ex_step_count"),
        _executions.c.workflow_version_id.label("ex_workflow_version_id"),
        _executions.c.entity_id.label("ex_entity_id"),
        _executions.c.started_by.label("ex_started_by"),
        _executions.c.started_at.label("ex_started_at"),
        *POLICY_COLUMNS,
    )
    .select_from(
        _jobs.outerjoin(_executions, _executions.c.id == _jobs.c.execution_id).outerjoin(
            POLICIES,
            (POLICIES.c.id == _executions.c.entity_id)
            & (_executions.c.entity_type == str(EntityType.POLICY)),
        )
    )
    .where(_jobs.c.id.in_(bindparam("p_ids", expanding=True)))
    .with_for_update(of=_jobs)
)
# Step runners run side by side on PostgreSQL (store.db.SHARED). Before reading its jobs
# with LOAD, a runner locks their policies, then their executions, each in id order: two
# runners never wait on each other in a circle, a duplicate message of a job waits for the
# runner that has it, and LOAD then reads the rows as the last commit left them.
_BATCH_EXECUTIONS = select(_jobs.c.execution_id).where(
    _jobs.c.id.in_(bindparam("p_ids", expanding=True))
)
_LOCK_POLICIES = (
    select(POLICIES.c.id)
    .where(
        POLICIES.c.id.in_(
            select(_executions.c.entity_id).where(
                _executions.c.id.in_(_BATCH_EXECUTIONS),
                _executions.c.entity_type == str(EntityType.POLICY),
            )
        )
    )
    .order_by(POLICIES.c.id)
    .with_for_update()
)
_LOCK_EXECUTIONS = (
    select(_executions.c.id)
    .where(_executions.c.id.in_(_BATCH_EXECUTIONS))
    .order_by(_executions.c.id)
    .with_for_update()
)


def lock_step_rows(conn: Connection, job_ids: list[int]) -> None:
    """Lock the policies and executions of these jobs for the rest of the transaction, in
    one order for every runner (PostgreSQL; a SQLite writer is alone already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(_LOCK_POLICIES, {"p_ids": job_ids})
        conn.execute(_LOCK_EXECUTIONS, {"p_ids": job_ids})


STEP_DONE = select(_step_runs.c.id).where(
    _step_runs.c.execution_id == bindparam("p_execution"),
    _step_runs.c.step_index == bindparam("p_step"),
)
_INSERT_STEP_RUN = insert(_step_runs)
# Matched back by (execution, step), so SQLite may insert them with one statement (with
# sort_by_parameter_order it ran one INSERT per row).
_INSERT_DONE_JOBS = insert(_jobs).returning(_jobs.c.id, _jobs.c.execution_id, _jobs.c.step_index)
_UPDATE_JOB = update(_jobs).where(_jobs.c.id == bindparam("p_id"))
_UPDATE_EXECUTION = update(_executions).where(_executions.c.id == bindparam("p_id"))


@dataclass
class ExecRow:
    """A snapshot of an execution row; `changes` are written by `save_executions`."""

    id: int
    status: str
    current_step: int
    step_count: int
    workflow_version_id: int
    entity_id: int
    started_by: str
    started_at: datetime | None
    # Held for the chain's next steps (kept equal to the row by `write_policy`).
    policy: PolicyRow | None = field(default=None, repr=False, compare=False)
    # Set by `advance` and `finish` for `save_executions` (not read).
    updated_at: datetime | None = field(default=None, repr=False, compare=False)
    finished_at: datetime | None = field(default=None, repr=False, compare=False)
    error: str | None = field(default=None, repr=False, compare=False)
    changes: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # Rows the chain wrote, inserted by `save_executions` with one statement per table.
    step_runs: list[dict[str, Any]] = field(default_factory=list, repr=False, compare=False)
    done_jobs: list[tuple[JobRow, dict[str, Any]]] = field(
        default_factory=list, repr=False, compare=False
    )
    # Its queued jobs that ran, to UPDATE done (one executemany for all executions).
    job_updates: list[dict[str, Any]] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def loaded(cls, row: Row[*tuple[Any, ...]]) -> ExecRow:
        """The execution of a `LOAD` row (whose `ex_id` is not None)."""
        return cls(
            id=row.ex_id,
            status=row.ex_status,
            current_step=row.ex_current_step,
            step_count=row.ex_step_count,
            workflow_version_id=row.ex_workflow_version_id,
            entity_id=row.ex_entity_id,
            started_by=row.ex_started_by,
            started_at=row.ex_started_at,
        )

    def record_step(self, step: int, action_type: str, status: str, result: Any) -> None:
        """Keep the step's row for `save_executions`."""
        self.step_runs.append(
            {
                "execution_id": self.id,
                "step_index": step,
                "action_type": action_type,
                "status": status,
                "result": result,
                "created_at": utcnow(),
            }
        )


@dataclass
class JobRow:
    """A snapshot of a job row; `id` is None for a step job not written yet."""

    id: int | None
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
    def loaded(cls, row: Row[*tuple[Any, ...]]) -> JobRow:
        """The job of a `LOAD` row."""
        return cls(
            id=row.job_id,
            kind=row.job_kind,
            state=row.job_state,
            attempts=row.job_attempts,
            started_at=row.job_started_at,
            next_attempt_at=row.job_next_attempt_at,
            execution_id=row.job_execution_id,
            step_index=row.job_step_index,
            error=row.job_error,
        )

    @classmethod
    def step(cls, execution: ExecRow, step: int) -> JobRow:
        """The job of a step the runner chains (run now, its row written done)."""
        return cls(
            id=None,
            kind=JobKind.EXECUTE_WORKFLOW_ACTION,
            state=JobState.QUEUED,
            attempts=0,
            started_at=None,
            next_attempt_at=None,
            execution_id=execution.id,
            step_index=step,
            error=None,
        )


def save_job(job: JobRow, now: datetime, execution: ExecRow) -> None:
    """Keep the job as done (its state and message set) for `save_executions`: an UPDATE of
    its row, or, for a step run straight away, its row to INSERT with the execution's."""
    values = {
        "attempts": job.attempts + 1,
        "started_at": job.started_at or now,
        "state": job.state,
        "message": job.message,
        "progress": 1.0,
        "error": None,
        "finished_at": now,
        "updated_at": now,
        "lease_owner": None,
    }
    if job.id is not None:
        execution.job_updates.append({"p_id": job.id, **values})
        return
    assert job.execution_id is not None
    row = job_row(JobKind(job.kind), job.execution_id, job.step_index, now) | values
    execution.done_jobs.append((job, row))


def save_executions(conn: Connection, executions: list[ExecRow]) -> None:
    """Write what the chains did, one statement per table and shape: all step rows, all
    done job rows (each job's id set from RETURNING, matched by execution and step), the
    queued jobs that ran, and the executions' changes."""
    step_runs = [row for execution in executions for row in execution.step_runs]
    if step_runs:
        conn.execute(_INSERT_STEP_RUN, step_runs)
    done = [pair for execution in executions for pair in execution.done_jobs]
    if done:
        returned = conn.execute(_INSERT_DONE_JOBS, [values for _, values in done])
        ids = {(ex_id, step): new_id for new_id, ex_id, step in returned}
        if len(ids) != len(done):  # a chain runs each step of an execution once
            raise RuntimeError("done jobs share an execution and step")
        for job, _ in done:
            job.id = ids[(job.execution_id, job.step_index)]
    job_updates = [values for execution in executions for values in execution.job_updates]
    if job_updates:
        conn.execute(_UPDATE_JOB, job_updates)
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for execution in executions:
        if execution.changes:
            values = {"p_id": execution.id, **execution.changes}
            by_shape.setdefault(tuple(values), []).append(values)
        execution.step_runs, execution.done_jobs, execution.job_updates = [], [], []
        execution.changes = {}
    for rows in by_shape.values():
        conn.execute(_UPDATE_EXECUTION, rows)
