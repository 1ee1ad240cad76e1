"""Helpers for engine tests: workflow builder and a deterministic drain of job rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from governance_desktop.app import AppContext
from governance_desktop.domain.enums import JobState
from governance_desktop.services.users import os_username
from governance_desktop.store.models import Job

ME = os_username()


def workflow(name: str, actions: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
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
