"""Group commit (`JobRunner.run_chained`): a job and its execution's next steps in one
transaction; a chained step that fails is rolled back alone and left queued."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from governance_desktop.app import AppContext
from governance_desktop.domain.errors import TransientError
from governance_desktop.store.models import Job, WorkflowStepRun
from tests.helpers.actors import ME
from tests.helpers.workflows import drain, workflow

STEPS = [
    {"type": "assign", "user": "alice"},
    {"type": "create_task", "title": "Review {policy.code}", "due_in_days": 7},
    {"type": "notify", "users": ["bob"], "title": "{policy.code} is in review"},
]


class FailsOnce:
    def __init__(self) -> None:
        self.calls = 0

    def deliver(self, user: str, title: str, body: str) -> None:
        self.calls += 1
        if self.calls == 1:
            raise TransientError("mail server unreachable")


def _start_job(eng: AppContext) -> int:
    with eng.db.reading() as session:
        job_id = session.scalar(select(Job.id).where(Job.kind == "EXECUTE_WORKFLOW"))
    assert job_id is not None
    return job_id


def test_chain_runs_every_step_once_in_one_call(
    eng: AppContext, install: Callable[..., None]
) -> None:
    install(workflow("Kickoff", STEPS))
    eng.policies.change_status(ME, "POL-001", "in_review")
    outcomes = eng.runner.run_chained(_start_job(eng))
    assert [(o.kind, o.state) for o in outcomes] == [("EXECUTE_WORKFLOW", "succeeded")] + [
        ("EXECUTE_WORKFLOW_ACTION", "succeeded")
    ] * 3
    assert outcomes[-1].execution_status == "completed"
    jobs = eng.monitor.jobs()
    assert sorted(j.id for j in jobs) == sorted(o.job_id for o in outcomes)
    assert {(j.state, j.attempts) for j in jobs} == {("succeeded", 1)}
    execution = eng.monitor.executions()[0]
    assert (execution.status, execution.current_step) == ("completed", 3)
    assert len(eng.monitor.tasks()) == 1 and len(eng.monitor.notifications()) == 1
    for outcome in outcomes:  # every message delivered again: nothing changes
        assert eng.runner.run_chained(outcome.job_id)[0].duplicate
    assert drain(eng) == 0 and len(eng.monitor.tasks()) == 1
    assert eng.audit.verify().ok


def test_failed_chained_step_is_rolled_back_and_left_queued(
    eng: AppContext, install: Callable[..., None]
) -> None:
    notifier = FailsOnce()
    eng.effects._notifier = notifier
    install(workflow("Kickoff", STEPS))
    eng.policies.change_status(ME, "POL-001", "in_review")
    outcomes = eng.runner.run_chained(_start_job(eng))
    assert len(outcomes) == 3  # start, assign, create_task; notify failed and was rolled back
    execution = eng.monitor.executions()[0]
    assert (execution.status, execution.current_step) == ("in_progress", 2)
    assert eng.monitor.notifications() == [] and len(eng.monitor.tasks()) == 1
    queued = [j for j in eng.monitor.jobs() if j.state == "queued"]
    assert [(j.kind, j.attempts) for j in queued] == [("EXECUTE_WORKFLOW_ACTION", 0)]
    with eng.db.reading() as session:
        steps = session.scalars(select(WorkflowStepRun.step_index).order_by("step_index"))
        assert list(steps) == [0, 1]
    assert drain(eng) == 1  # the queue runs it on its own
    execution = eng.monitor.executions()[0]
    assert (execution.status, execution.current_step) == ("completed", 3)
    assert len(eng.monitor.notifications()) == 1 and notifier.calls == 2
    assert eng.policies.get("POL-001").assignee == "alice"
    assert eng.audit.verify().ok
