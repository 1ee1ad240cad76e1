"""Moving an execution forward: job rows, step advance, finishing. Used by runner and approvals."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Insert, Table, insert
from sqlalchemy.orm import Session

from governance_desktop.domain.enums import ExecutionStatus, JobKind, JobState
from governance_desktop.domain.workflow.definition import WorkflowDefinition, parse_definition
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.dispatch import QueuedJob
from governance_desktop.store.models import Job, WorkflowExecution, WorkflowVersion
from governance_desktop.store.types import utcnow

FINAL_EXECUTION = frozenset(
    {
        ExecutionStatus.COMPLETED,
        ExecutionStatus.FAILED,
        ExecutionStatus.REJECTED,
        ExecutionStatus.CANCELLED,
    }
)
FINAL_JOB = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})


def version_definition(
    session: Session, cache: DatabaseCache, version_id: int
) -> WorkflowDefinition:
    """The parsed definition of a version, cached: versions are immutable once written."""
    definitions = cache.definitions
    cached = definitions.get(version_id)
    if cached is None:
        version = session.get(WorkflowVersion, version_id)
        assert version is not None, f"workflow version {version_id} is missing"
        cached = parse_definition(version.definition)
        if len(definitions) > 2048:
            definitions.clear()
        definitions[version_id] = cached
    return cached


_INSERT_JOB = insert(cast(Table, Job.__table__))


def insert_row(conn: Connection, statement: Insert, params: dict[str, Any]) -> int:
    """Run a one-row Core INSERT; returns the new row's id."""
    key = conn.execute(statement, params).inserted_primary_key
    assert key is not None
    return int(key[0])


def insert_job(
    conn: Connection, kind: JobKind, execution_id: int, step_index: int | None
) -> QueuedJob:
    """One queued Job row by a Core INSERT (no ORM flush)."""
    now = utcnow()
    job_id = insert_row(
        conn,
        _INSERT_JOB,
        {
            "kind": kind,
            "execution_id": execution_id,
            "step_index": step_index,
            "state": JobState.QUEUED,
            "attempts": 0,
            "progress": 0.0,
            "payload": {"execution_id": execution_id, "step_index": step_index},
            "enqueued_at": now,
            "updated_at": now,
        },
    )
    return QueuedJob(job_id, kind)


def advance(session: Session, execution: WorkflowExecution) -> list[QueuedJob]:
    """The current step is done: queue the next one, or complete the execution."""
    now = utcnow()
    execution.current_step += 1
    execution.updated_at = now
    if execution.current_step >= execution.step_count:
        execution.status = ExecutionStatus.COMPLETED
        execution.finished_at = now
        return []
    execution.status = ExecutionStatus.IN_PROGRESS
    step = execution.current_step
    return [insert_job(session.connection(), JobKind.EXECUTE_WORKFLOW_ACTION, execution.id, step)]


def finish(execution: WorkflowExecution, status: ExecutionStatus, error: str | None) -> None:
    now = utcnow()
    execution.status = status
    execution.error = error
    execution.finished_at = now
    execution.updated_at = now
