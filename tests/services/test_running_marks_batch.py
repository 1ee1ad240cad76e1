"""A batch's jobs are marked running together: one short transaction for the batch, not one
per job (team_scaling: the marks cost as much as the steps)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from sqlalchemy import event, select

from governance_desktop.app import AppContext
from governance_desktop.store.models import Job
from tests.helpers.actors import ME
from tests.helpers.workflows import workflow


def test_a_batch_is_marked_running_in_one_commit(
    eng: AppContext, install: Callable[..., None]
) -> None:
    install(workflow("Kickoff", [{"type": "create_task", "title": "review"}]))
    for number in range(2, 5):
        eng.policies.add(ME, f"POL-00{number}", f"Policy {number}", owner="alice")
    for number in range(1, 4):
        eng.policies.change_status(ME, f"POL-00{number}", "in_review")
    eng.policies.change_status(ME, "POL-004", "in_review")
    with eng.db.reading() as session:
        jobs = list(session.scalars(select(Job.id).order_by(Job.id)))
    assert len(jobs) == 4
    eng.runner.run_chained(jobs[-1], "test")  # one already done: not marked again
    commits = itertools.count()
    listener = lambda *_: next(commits)  # noqa: E731
    event.listen(eng.db.engine, "commit", listener)
    try:
        marked = eng.tracker.mark_running_many(jobs, "host:1:w", 15.0)
    finally:
        event.remove(eng.db.engine, "commit", listener)
    assert next(commits) == 1
    assert marked == set(jobs[:-1])
    with eng.db.reading() as session:
        rows = {job.id: job for job in session.scalars(select(Job))}
    for job_id in jobs[:-1]:
        row = rows[job_id]
        assert (row.state, row.lease_owner) == ("running", "host:1:w")
        assert row.lease_expires_at is not None and row.started_at is not None
    assert rows[jobs[-1]].state == "succeeded"
    eng.runner.run_batch(jobs[:-1], "host:1:w")  # the runner takes the jobs marked for it
    with eng.db.reading() as session:
        states = set(session.scalars(select(Job.state).where(Job.id.in_(jobs[:-1]))))
    assert states == {"succeeded"}
