"""`governance-desktop worker --burst` as its own process, on queue.db or Redis (--backends
team): it exits when the queue is empty and nothing is due, and waits for a retry that is
due soon (the job table's `has_due_work`: within 60 s) before it exits.

On Redis a worker waits for messages in a blocking pop; that wait once counted as busy, so
`--burst` never exited there: these tests hung (each wait below has a generous limit, so a
hang fails the test instead of the run)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from governance_desktop.app import AppContext, attach_queue
from governance_desktop.domain.enums import JobKind, JobState
from governance_desktop.services.dispatch import NullDispatcher, QueuedJob
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store.models import Job
from governance_desktop.store.types import utcnow
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.processes import start_worker
from tests.helpers.workflows import workflow

#: Far longer than a burst needs (≈ 1–3 s); only a worker that never exits reaches it.
EXIT_LIMIT = 90.0
RETRY_DELAY = 3.0


def test_burst_with_an_empty_queue_exits(ctx: AppContext, data_dir: Path) -> None:
    proc = start_worker(data_dir, "--burst", workers=2)
    try:
        assert proc.wait(timeout=EXIT_LIMIT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_burst_waits_for_a_retry_due_soon_runs_it_then_exits(
    ctx: AppContext, data_dir: Path
) -> None:
    """A job set to retry in 3 s (its message delayed on the queue, as the runner does it):
    the burst worker does not leave before it is due, runs it, then exits 0."""
    steps = [{"type": "create_task", "title": "Review {policy.code}"}]
    ctx.policies.add(ME, "POL-0001", "Policy", owner=ME)
    source = DefinitionSource("burst.json", data=workflow("Burst", steps))
    ctx.workflows.import_definitions(ME, [source], signer=signer(ctx, ME))
    ctx.dispatcher.target = NullDispatcher()  # the row only; its message comes below
    ctx.policies.change_status(ME, "POL-0001", "in_review")
    with ctx.db.transaction() as session:
        job = session.scalars(select(Job)).one()
        job.state = JobState.RETRYING
        job.attempts = 1
        job.next_attempt_at = utcnow() + timedelta(seconds=RETRY_DELAY)
        job_id, kind = job.id, JobKind(job.kind)
    runtime = attach_queue(ctx)
    try:
        runtime.dispatcher.dispatch([QueuedJob(job_id, kind, RETRY_DELAY)])
    finally:
        runtime.close()
    proc = start_worker(data_dir, "--burst", workers=2)
    try:
        assert proc.wait(timeout=EXIT_LIMIT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with ctx.db.reading() as session:
        states = session.scalars(select(Job.state).order_by(Job.id)).all()
    assert states and set(states) == {JobState.SUCCEEDED}, states
    assert [e.status for e in ctx.monitor.executions()] == ["completed"]
