"""Workflow definitions for tests, and running their job rows without a queue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from governance_desktop.app import AppContext
from governance_desktop.domain.enums import JobState
from governance_desktop.services.read_models import ExecutionInfo
from governance_desktop.store.models import Job


def workflow(name: str, actions: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A definition run when a policy moves to in_review; `extra` adds or replaces keys."""
    return {
        "schema_version": 1,
        "name": name,
        "trigger": {"type": "on_status_change", "to_status": "in_review"},
        "actions": actions,
        **extra,
    }


def drain(ctx: AppContext, limit: int = 1000) -> int:
    """Run every due job row through the real runner until none is left (no queue)."""
    ran = 0
    while ran < limit:
        with ctx.db.reading() as session:
            job_id = session.scalar(
                select(Job.id)
                .where(Job.state.in_((JobState.QUEUED, JobState.RETRYING)))
                .order_by(Job.id)
                .limit(1)
            )
        if job_id is None:
            return ran
        ctx.runner.run(job_id, "test")
        ran += 1
    raise AssertionError("jobs did not drain")


def only_execution(ctx: AppContext) -> ExecutionInfo:
    """The one workflow execution in the register (fails if there is not exactly one)."""
    rows = ctx.monitor.executions()
    assert len(rows) == 1, rows
    return rows[0]
