"""The engine without the queue: triggers, actions, retries, loops, schedules (approvals:
tests/services/test_approvals.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from governance_desktop.app import AppContext
from governance_desktop.domain.errors import (
    ConflictError,
    TransientError,
)
from governance_desktop.services.sync import execute_workflow
from governance_desktop.store.models import Job, Workflow, WorkflowVersion
from tests.helpers.actors import ME
from tests.helpers.authority import walk_to
from tests.helpers.identity import signer
from tests.helpers.workflows import drain, only_execution, workflow

STEPS = [
    {"type": "assign", "user": "alice"},
    {"type": "create_task", "title": "Review {policy.code}", "due_in_days": 7},
    {"type": "notify", "users": ["bob", "carol"], "title": "{policy.code} is in review"},
]


def test_status_change_creates_execution_and_job_together(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """The matching workflow gets a queued execution and job; others get nothing."""
    install(
        workflow("Kickoff", STEPS),
        workflow("Other", STEPS, trigger={"type": "on_status_change", "to_status": "published"}),
        workflow("Off", STEPS, enabled=False),
    )
    eng.policies.change_status(ME, "POL-001", "in_review")
    execution = only_execution(eng)
    assert (execution.workflow, execution.status, execution.input_data) == (
        "Kickoff",
        "queued",
        {"status": "in_review", "old_status": "draft"},
    )
    assert [j.kind for j in eng.monitor.jobs()] == ["EXECUTE_WORKFLOW"]


def test_refused_move_creates_no_execution(eng: AppContext, install: Callable[..., None]) -> None:
    """A refused status change rolls back with no execution or job."""
    install(workflow("Kickoff", STEPS, trigger={"type": "on_status_change"}))
    with pytest.raises(Exception, match="cannot move"):
        eng.policies.change_status(ME, "POL-001", "published", signer=signer(eng, ME))
    assert eng.monitor.executions() == [] and eng.monitor.jobs() == []


def test_actions_run_once_each(eng: AppContext, install: Callable[..., None]) -> None:
    """assign, create_task and notify each take effect exactly once, even on redelivery."""
    install(workflow("Kickoff", STEPS))
    eng.policies.change_status(ME, "POL-001", "in_review")
    assert drain(eng) == 4
    for job in eng.monitor.jobs():  # every message delivered a second time
        assert eng.runner.run(job.id).duplicate
    execution = only_execution(eng)
    assert (execution.status, execution.current_step) == ("completed", 3)
    assert [(t.title, t.assignee) for t in eng.monitor.tasks()] == [("Review POL-001", "alice")]
    assert sorted(n.user for n in eng.monitor.notifications()) == ["bob", "carol"]
    assert eng.policies.get("POL-001").assignee == "alice"
    assert {j.state for j in eng.monitor.jobs()} == {"succeeded"}


def test_conditions_filter(eng: AppContext, install: Callable[..., None]) -> None:
    """A workflow whose conditions fail does not start."""
    install(
        workflow(
            "Only HR",
            STEPS,
            conditions={"all": [{"field": "title", "op": "contains", "value": "HR"}]},
        )
    )
    eng.policies.change_status(ME, "POL-001", "in_review")
    assert eng.monitor.executions() == []


def test_illegal_set_status_fails_execution(eng: AppContext, install: Callable[..., None]) -> None:
    """set_status through the lifecycle: an illegal move fails with the lifecycle's message."""
    install(workflow("Bad", [{"type": "set_status", "status": "published"}]))
    eng.policies.change_status(ME, "POL-001", "in_review")
    drain(eng)
    execution = only_execution(eng)
    assert execution.status == "failed"
    assert "POL-001: cannot move from in_review to published" in (execution.error or "")
    failed = eng.monitor.jobs(state="failed")  # type: ignore[arg-type]
    assert len(failed) == 1 and failed[0].attempts == 1


def test_retry_failed_job_from_where_it_stopped(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """After fixing the cause, `jobs retry` resumes at the failed step."""
    install(
        workflow(
            "Two",
            [{"type": "create_task", "title": "t"}, {"type": "set_status", "status": "published"}],
        )
    )
    eng.policies.change_status(ME, "POL-001", "in_review")
    drain(eng)
    failed = eng.monitor.jobs(state="failed")[0]  # type: ignore[arg-type]
    with pytest.raises(ConflictError):
        eng.jobs.retry(eng.monitor.jobs(state="succeeded")[0].id, ME)  # type: ignore[arg-type]
    walk_to(eng, "POL-001", "approved")  # the fix: its text approved (Standard approval)
    eng.jobs.retry(failed.id, ME)
    drain(eng)
    [run] = [e for e in eng.monitor.executions() if e.workflow == "Two"]
    assert run.status == "completed"
    assert len(eng.monitor.tasks()) == 1
    assert eng.policies.get("POL-001").status == "published"


def test_retry_all_failed_retries_each_and_reports_progress(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """JobService.retry_all_failed: every failed job re-queued, progress after each one."""
    install(workflow("Bad", [{"type": "set_status", "status": "published"}]))
    eng.policies.add(ME, "POL-002", "Second", owner="alice")
    for code in ("POL-001", "POL-002"):
        eng.policies.change_status(ME, code, "in_review")
    drain(eng)
    assert len(eng.monitor.jobs(state="failed")) == 2  # type: ignore[arg-type]
    steps: list[tuple[int, int]] = []
    result = eng.jobs.retry_all_failed(ME, lambda done, total: steps.append((done, total)))
    assert (result.retried, result.skipped, steps) == (2, [], [(1, 2), (2, 2)])
    assert eng.monitor.jobs(state="failed") == []  # type: ignore[arg-type]
    assert eng.jobs.retry_all_failed(ME).retried == 0


def test_cancel_a_queued_job_cancels_its_execution(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """JobService.cancel: only a job that has not started; its execution ends cancelled."""
    install(workflow("Kickoff", STEPS))
    eng.policies.change_status(ME, "POL-001", "in_review")
    (job,) = eng.monitor.jobs()
    assert eng.jobs.cancel(job.id, ME).state == "cancelled"
    assert only_execution(eng).status == "cancelled"
    with pytest.raises(ConflictError, match="only queued or retrying"):
        eng.jobs.cancel(job.id, ME)
    assert drain(eng) == 0


class Flaky:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def deliver(self, user: str, title: str, body: str) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise TransientError("mail server unreachable")


@pytest.mark.parametrize(("failures", "final"), [(2, "completed"), (5, "failed")])
def test_transient_failures_retry_then_succeed_or_give_up(
    eng: AppContext, install: Callable[..., None], failures: int, final: str
) -> None:
    """Transient errors retry with back-off up to max_attempts; no duplicate effects."""
    flaky = Flaky(failures)
    eng.effects._notifier = flaky
    install(workflow("Notify", [{"type": "notify", "users": ["bob"], "title": "hi"}]))
    eng.policies.change_status(ME, "POL-001", "in_review")
    seen: set[str] = set()
    for _ in range(20):
        drain(eng)
        seen |= {j.state for j in eng.monitor.jobs()}
        if only_execution(eng).status in ("completed", "failed"):
            break
    execution = only_execution(eng)
    assert execution.status == final
    action_job = next(j for j in eng.monitor.jobs() if j.kind == "EXECUTE_WORKFLOW_ACTION")
    if final == "completed":
        assert action_job.attempts == 3 and len(eng.monitor.notifications()) == 1
    else:
        assert action_job.attempts == 3 and "gave up after 3 attempts" in (execution.error or "")
        assert eng.monitor.notifications() == []


def test_loop_protection(eng: AppContext, install: Callable[..., None]) -> None:
    """Workflows bouncing a policy back and forth stop past depth 5 with a clear message."""
    install(
        workflow(
            "To draft",
            [{"type": "set_status", "status": "draft"}],
            allow_triggered_by_workflows=True,
        ),
        workflow(
            "Back to review",
            [{"type": "set_status", "status": "in_review"}],
            trigger={"type": "on_status_change", "to_status": "draft"},
            allow_triggered_by_workflows=True,
        ),
    )
    eng.policies.change_status(ME, "POL-001", "in_review")
    drain(eng)
    rows = sorted(eng.monitor.executions(), key=lambda e: e.id)
    assert [e.depth for e in rows] == [0, 1, 2, 3, 4, 5, 6]
    assert [e.status for e in rows[:-1]] == ["completed"] * 6
    assert rows[-1].status == "failed" and "depth 6" in (rows[-1].error or "")
    assert rows[1].parent_execution_id == rows[0].id


def test_workflow_actions_do_not_trigger_by_default(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """Without allow_triggered_by_workflows, another workflow's change starts nothing."""
    install(
        workflow("To draft", [{"type": "set_status", "status": "draft"}]),
        workflow(
            "Back to review",
            [{"type": "set_status", "status": "in_review"}],
            trigger={"type": "on_status_change", "to_status": "draft"},
        ),
    )
    eng.policies.change_status(ME, "POL-001", "in_review")
    drain(eng)
    assert [e.workflow for e in eng.monitor.executions()] == ["To draft"]


def test_schedule_runs_once_per_tick(eng: AppContext, install: Callable[..., None]) -> None:
    """A due tick starts one execution per matching policy, once; missed ticks run once."""
    install(
        workflow(
            "Daily",
            [{"type": "create_task", "title": "check {policy.code}"}],
            trigger={"type": "on_schedule", "cron": "0 7 * * *"},
        )
    )
    with eng.db.transaction() as session:  # published three days ago
        session.execute(
            update(WorkflowVersion).values(created_at=datetime.now(UTC) - timedelta(days=3))
        )
    now = datetime.now(UTC)
    assert eng.schedules.run_due(now) == 1
    assert eng.schedules.run_due(now) == 0
    assert eng.schedules.run_due(now + timedelta(minutes=5)) == 0
    assert eng.schedules.run_due(now + timedelta(days=1, minutes=1)) == 1
    drain(eng)
    assert len(eng.monitor.tasks()) == 2
    with eng.db.reading() as session:
        assert session.scalar(select(Workflow.last_scheduled_at)) is not None


def test_manual_run_and_sync_execute(eng: AppContext, install: Callable[..., None]) -> None:
    """`workflows run` queues a manual execution; execute_workflow runs one inline."""
    install(workflow("Manual", STEPS, trigger={"type": "manual"}))
    job_id = eng.starter.queue_workflow_execution("Manual", "POL-001", ME)
    assert eng.monitor.jobs()[0].id == job_id
    execution_id = execute_workflow(eng.db, eng.effects, "Manual", "POL-001", ME)
    info, steps = eng.monitor.execution(execution_id)
    assert info.status == "completed" and [s.action_type for s in steps] == [
        "assign",
        "create_task",
        "notify",
    ]


@pytest.mark.sqlite_only("SQLite's EXPLAIN QUERY PLAN")
def test_trigger_lookup_uses_index(eng: AppContext, install: Callable[..., None]) -> None:
    """Finding candidate workflows is an index search, not a scan of every workflow."""
    install(workflow("Kickoff", STEPS))
    with eng.db.reading() as session:
        sql = (
            "EXPLAIN QUERY PLAN SELECT id FROM workflows WHERE entity_type='policy' AND "
            "trigger_type='on_status_change' AND enabled=1 AND "
            "(trigger_to_status='in_review' OR trigger_to_status IS NULL)"
        )
        plan = " ".join(str(r) for r in session.execute(text(sql)))
    assert "ix_workflows_lookup" in plan, plan
    with eng.db.reading() as session:
        assert session.scalar(select(Job.id)) is None
