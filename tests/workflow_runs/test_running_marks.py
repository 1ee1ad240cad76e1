"""Late running marks (`jobs/lifecycle.py`) on real Job rows: a slow job is marked with
the time it began; a job its runner already finished or set retrying is never marked."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from governance_desktop.app import AppContext
from governance_desktop.jobs.lifecycle import RunningMarks
from governance_desktop.store.models import Job
from tests.helpers.actors import ME
from tests.helpers.workflows import workflow


def _start_job(eng: AppContext, install: Callable[..., None]) -> int:
    install(workflow("Kickoff", [{"type": "assign", "user": "alice"}]))
    eng.policies.change_status(ME, "POL-001", "in_review")
    with eng.db.reading() as session:
        job_id = session.scalar(select(Job.id).where(Job.kind == "EXECUTE_WORKFLOW"))
    assert job_id is not None
    return job_id


def _row(eng: AppContext, job_id: int) -> tuple[str, datetime | None, str | None]:
    with eng.db.reading() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job.state, job.started_at, job.lease_owner


def test_a_job_still_running_is_marked_with_the_time_it_began(
    eng: AppContext, install: Callable[..., None]
) -> None:
    job_id = _start_job(eng, install)
    marks = RunningMarks(eng.tracker, "host:1:w", 60, after=0.05)
    try:
        marks.begin(job_id)
        began = datetime.now(UTC)
        assert marks.flush(older_than=10) == 0  # not yet due
        deadline = time.monotonic() + 10
        while _row(eng, job_id)[0] != "running" and time.monotonic() < deadline:
            time.sleep(0.01)  # the marks' own thread flushes it
        state, started_at, owner = _row(eng, job_id)
        assert (state, owner) == ("running", "host:1:w")
        assert started_at is not None and abs(started_at - began) < timedelta(seconds=1)
    finally:
        marks.close()
    eng.runner.run(job_id, "host:1:w")
    assert _row(eng, job_id)[0] == "succeeded"


def test_a_late_mark_never_undoes_what_the_runner_wrote(
    eng: AppContext, install: Callable[..., None]
) -> None:
    job_id = _start_job(eng, install)
    marks = RunningMarks(eng.tracker, "host:1:w", 60, after=3600)  # flushed by hand only
    try:
        marks.begin(job_id)
        time.sleep(0.01)  # the runner writes after the job began
        eng.runner.run(job_id, "host:1:w")
        assert marks.flush(older_than=0) == 1  # it tried…
        assert _row(eng, job_id)[0] == "succeeded"  # …and changed nothing
        marks.begin(job_id)
        marks.end(job_id)  # ended before it was due: nothing left to mark
        assert marks.flush(older_than=0) == 0
    finally:
        marks.close()
