"""QueueRuntime with the real services: a status change runs to completion on the queue."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from governance_desktop.app import AppContext
from governance_desktop.jobs.bus import JobEvent
from governance_desktop.jobs.runtime import QueueRuntime
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.waiting import wait_for

WORKFLOW = {
    "schema_version": 1,
    "name": "Kickoff",
    "trigger": {"type": "on_status_change", "to_status": "in_review"},
    "actions": [
        {"type": "create_task", "title": "Review {policy.code}", "assignee": "alice"},
        {"type": "notify", "users": ["alice"], "title": "{policy.code} is in review"},
    ],
}


@pytest.fixture
def app(ctx: AppContext) -> AppContext:
    from governance_desktop.services.workflows import DefinitionSource

    ctx.users.add(ME, "alice", "Alice", "officer")  # type: ignore[arg-type]
    ctx.policies.add(ME, "POL-001", "Information Security Policy", owner="alice")
    ctx.workflows.import_definitions(
        ME, [DefinitionSource("k.json", data=WORKFLOW)], signer=signer(ctx, ME)
    )
    return ctx


@pytest.fixture
def runtime(app: AppContext) -> Iterator[QueueRuntime]:
    rt = QueueRuntime.open(app.settings, workers=2)
    rt.attach(runner=app.runner, tracker=app.tracker, schedules=app.schedules)
    app.dispatcher.target = rt.dispatcher
    yield rt
    rt.stop(5.0)
    rt.close()


def _done(app: AppContext) -> bool:
    return [e.status for e in app.monitor.executions()] == ["completed"]


def test_embedded_runtime_completes_an_execution(app: AppContext, runtime: QueueRuntime) -> None:
    """Status change → EXECUTE_WORKFLOW → two actions, each once; events reach the bus."""
    events: list[JobEvent] = []
    runtime.bus.subscribe(events.append)
    runtime.start()
    app.policies.change_status(ME, "POL-001", "in_review")
    assert wait_for(lambda: _done(app), timeout=8)
    assert [j.state for j in app.monitor.jobs()] == ["succeeded"] * 3
    assert {e.state for e in events} >= {"queued", "running", "succeeded"}
    assert runtime.stop(5.0)


def test_worker_burst_finds_work_committed_before_it_started(
    app: AppContext, runtime: QueueRuntime
) -> None:
    """Rows committed while no queue was attached are reconciled, run, and burst exits 0."""
    app.dispatcher.target = type(app.dispatcher)().target  # a NullDispatcher: rows only
    app.policies.change_status(ME, "POL-001", "in_review")
    app.dispatcher.target = runtime.dispatcher
    code = runtime.run_worker(burst=True, has_due_work=app.tracker.has_due_work)
    assert code == 0
    assert _done(app)


def test_messages_waiting_together_run_in_batches_each_step_once(
    app: AppContext, runtime: QueueRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    """Twelve executions queued while paused are taken together; each step runs once."""
    codes = [f"POL-{n:03d}" for n in range(2, 14)]
    for code in codes:
        app.policies.add(ME, code, f"Policy {code}", owner="alice")
    runtime.start()
    runtime.pause()
    for code in ["POL-001", *codes]:
        app.policies.change_status(ME, code, "in_review")
    caplog.set_level("INFO", logger="governance_desktop.jobs")
    runtime.resume()
    assert wait_for(lambda: {e.status for e in app.monitor.executions()} == {"completed"}, 10)
    assert any("job messages together" in r.getMessage() for r in caplog.records)
    jobs = app.monitor.jobs()
    assert len(jobs) == 13 * 3 and {(j.state, j.attempts) for j in jobs} == {("succeeded", 1)}
    assert len(app.monitor.tasks()) == 13 and len(app.monitor.notifications()) == 13
    assert app.audit.verify().ok
