"""The job lifecycle's one `start`/`advance`/`finish`: an ORM execution row and the runner's
snapshot of it move alike, and the snapshot keeps every change for its one UPDATE."""

from __future__ import annotations

from governance_desktop.domain.enums import ExecutionStatus, JobKind, JobState
from governance_desktop.services.job_rows import ExecRow, advance, finish, job_row, start
from governance_desktop.store.models import WorkflowExecution
from governance_desktop.store.types import utcnow


def _pair(steps: int) -> tuple[WorkflowExecution, ExecRow]:
    orm = WorkflowExecution(id=7, status=ExecutionStatus.QUEUED, current_step=0, step_count=steps)
    snapshot = ExecRow(7, ExecutionStatus.QUEUED, 0, steps, 1, 1, "alice", None)
    return orm, snapshot


def test_start_and_advance_move_an_orm_row_and_a_snapshot_alike() -> None:
    orm, snapshot = _pair(2)
    assert start(orm) == start(snapshot) == 0
    assert orm.started_at is not None and snapshot.started_at is not None
    assert advance(orm) == advance(snapshot) == 1
    assert advance(orm) is None and advance(snapshot) is None
    assert (orm.status, orm.current_step) == (snapshot.status, snapshot.current_step)
    assert snapshot.status == ExecutionStatus.COMPLETED and snapshot.current_step == 2
    assert orm.finished_at is not None
    assert snapshot.changes["status"] == ExecutionStatus.COMPLETED
    assert snapshot.changes["current_step"] == 2
    assert snapshot.changes["finished_at"] == snapshot.finished_at
    assert {"started_at", "updated_at"} <= set(snapshot.changes)


def test_finish_ends_both_with_the_error() -> None:
    orm, snapshot = _pair(3)
    finish(orm, ExecutionStatus.FAILED, "step 1: boom")
    finish(snapshot, ExecutionStatus.FAILED, "step 1: boom")
    assert (orm.status, orm.error) == (snapshot.status, snapshot.error)
    assert orm.finished_at is not None
    assert snapshot.changes["status"] == ExecutionStatus.FAILED
    assert snapshot.changes["error"] == "step 1: boom"
    assert snapshot.changes["finished_at"] is not None


def test_a_queued_job_row_names_its_execution_and_step_in_its_payload() -> None:
    row = job_row(JobKind.EXECUTE_WORKFLOW, 7, None, utcnow(), workflow="W", entity="POL-1")
    assert (row["kind"], row["state"], row["attempts"]) == (
        JobKind.EXECUTE_WORKFLOW,
        JobState.QUEUED,
        0,
    )
    assert row["payload"] == {
        "execution_id": 7,
        "step_index": None,
        "workflow": "W",
        "entity": "POL-1",
    }
