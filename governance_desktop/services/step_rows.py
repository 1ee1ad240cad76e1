"""The runner's rows as Core statements: snapshots of a job and its execution, written back
with one statement each (the ORM unit of work cost ~1 ms per flush, ~4 flushes per step:
docs/benchmarks.md, part 2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from governance_desktop.domain.enums import EntityType, ExecutionStatus, JobKind, JobState
from governance_desktop.services.policy_rows import POLICIES, POLICY_COLUMNS, PolicyRow
from governance_desktop.store.models import Job, WorkflowExecution, WorkflowStepRun
from governance_desktop.store.types import utcnow

_jobs = cast(Table, Job.__table__)
_executions = cast(Table, WorkflowExecution.__table__)
_step_runs = cast(Table, WorkflowStepRun.__table__)

JOB_COLUMNS = 9
EXEC_COLUMNS = 8
# Jobs, each with its execution and the execution's policy, in one query (9 columns of the
# job, then 8 of the execution, then the policy's).
LOAD = (
    select(
        _jobs.c.id,
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
STEP_DONE = select(_step_runs.c.id).where(
    _step_runs.c.execution_id == bindparam("p_execution"),
    _step_runs.c.step_index == bindparam("p_step"),
)
INSERT_STEP_RUN = insert(_step_runs)
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
    changes: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # Rows the chain wrote, inserted by `save_executions` with one statement per table.
    step_runs: list[dict[str, Any]] = field(default_factory=list, repr=False, compare=False)
    done_jobs: list[tuple[JobRow, dict[str, Any]]] = field(
        default_factory=list, repr=False, compare=False
    )
    # Its queued jobs that ran, to UPDATE done (one executemany for all executions).
    job_updates: list[dict[str, Any]] = field(default_factory=list, repr=False, compare=False)

    def advance(self) -> int | None:
        """`progress.advance` on the snapshot: the next step to run, or None if done."""
        now = utcnow()
        self.current_step += 1
        self.changes.update(current_step=self.current_step, updated_at=now)
        if self.current_step >= self.step_count:
            self.status = ExecutionStatus.COMPLETED
            self.changes.update(status=self.status, finished_at=now)
            return None
        self.status = ExecutionStatus.IN_PROGRESS
        self.changes["status"] = self.status
        return self.current_step


def save_executions(conn: Connection, executions: list[ExecRow]) -> None:
    """Write what the chains did, one statement per table and shape: all step rows, all
    done job rows (each job's id set from RETURNING, matched by execution and step), the
    queued jobs that ran, and the executions' changes."""
    step_runs = [row for execution in executions for row in execution.step_runs]
    if step_runs:
        conn.execute(INSERT_STEP_RUN, step_runs)
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
    def step(cls, execution: ExecRow, step: int) -> JobRow:
        kind = JobKind.EXECUTE_WORKFLOW_ACTION
        return cls(None, kind, JobState.QUEUED, 0, None, None, execution.id, step, None)


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
    payload = {"execution_id": job.execution_id, "step_index": job.step_index}
    row = {
        "kind": job.kind,
        "execution_id": job.execution_id,
        "step_index": job.step_index,
        "payload": payload,
        "enqueued_at": now,
        **values,
    }
    execution.done_jobs.append((job, row))
