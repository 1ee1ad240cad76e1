"""The Executions page's read model (services/run_overview.py) over real runs of the demo
workflows: who still has to answer and by which rule, open tasks, progress in steps, overdue,
failed steps, the state/stuck/text filters and a run's position."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from governance_desktop.app import AppContext
from governance_desktop.domain.enums import ApprovalStatus
from governance_desktop.services.run_overview import RunFilter, RunRow
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.workflows import drain, workflow


@pytest.fixture
def demo(ctx: AppContext) -> AppContext:
    """The demo register; POL-003 moved into review (Review kickoff: a task for alice, then
    bob or carol to approve) and POL-004 on to awaiting approval (Board approval: 2 of 3)."""
    ctx.load_demo(ME, signer(ctx, ME))
    ctx.policies.change_status("alice", "POL-003", "in_review")
    ctx.policies.change_status(ME, "POL-004", "awaiting_approval")
    drain(ctx)
    return ctx


def _run(ctx: AppContext, workflow_name: str, policy: str) -> RunRow:
    rows = ctx.run_overview.snapshot(RunFilter(search=policy))[2]
    return next(r for r in rows if r.workflow == workflow_name and r.policy == policy)


def _approve(ctx: AppContext, code: str, approver: str) -> None:
    row = next(
        a
        for a in ctx.approvals.list(status=ApprovalStatus.PENDING)
        if a.policy == code and a.approver == approver
    )
    ctx.approvals.approve(row.id, approver, "fine", signer=signer(ctx, approver))


def test_waiting_approvers_by_name_and_the_rule(demo: AppContext) -> None:
    """A board approval waits for Bob Chen, Carol Diaz and Dave Okafor under "2 of 3"; after
    Bob approves it waits for the other two with 1 of 2 given."""
    run = _run(demo, "Board approval", "POL-004")
    assert run.status == "awaiting_approval"
    assert run.waiting_approvers == ("Bob Chen", "Carol Diaz", "Dave Okafor")
    assert run.rule == "2 of 3"
    assert (run.approvals_given, run.approvals_needed) == (0, 2)
    assert "Bob Chen, Carol Diaz, Dave Okafor to answer" in run.waiting_for
    assert "rule: 2 of 3" in run.waiting_for
    assert run.step_name == "Approval: Board approval of POL-004"
    assert (run.step, run.step_count, run.steps_done) == (0, 2, 0)

    _approve(demo, "POL-004", "bob")
    run = _run(demo, "Board approval", "POL-004")
    assert run.waiting_approvers == ("Carol Diaz", "Dave Okafor")
    assert (run.approvals_given, run.approvals_needed) == (1, 2)


def test_task_waits_and_progress_in_steps(demo: AppContext) -> None:
    """Review kickoff is at step 3 of 4 (2 done: ½, not 0 or 100 %), waits for Bob Chen or
    Carol Diaz (any 1 of 2) and names its open task and Alice Martin; once approved it runs
    to the end (4 of 4) and still names the open task."""
    run = _run(demo, "Review kickoff", "POL-003")
    assert (run.step, run.step_count, run.steps_done, run.progress) == (2, 4, 2, 0.5)
    assert run.rule == "any 1 of 2"
    assert [(t.title, t.assignee) for t in run.tasks] == [
        ("Review POL-003: Data Retention Policy", "Alice Martin")
    ]
    assert "task 'Review POL-003: Data Retention Policy' with Alice Martin" in run.waiting_for
    assert run.started_by_name == "Alice Martin"
    assert run.workflow_version == 1 and run.policy_title == "Data Retention Policy"

    _approve(demo, "POL-003", "carol")
    drain(demo)
    run = _run(demo, "Review kickoff", "POL-003")
    assert run.status == "completed"
    assert (run.steps_done, run.step_count, run.progress) == (4, 4, 1.0)
    assert "Alice Martin" in run.waiting_for and not run.overdue


def test_overdue_approval_and_task(ctx: AppContext) -> None:
    """Runs whose approval and task fell due in the past read overdue and show in the stuck
    view; a run in time does not."""
    ctx.load_demo(ME, signer(ctx, ME))
    real = ctx.effects.clock
    ctx.effects.clock = lambda: datetime.now(UTC) - timedelta(days=30)  # asked 30 days ago
    ctx.policies.change_status("alice", "POL-003", "in_review")
    drain(ctx)
    ctx.effects.clock = real
    ctx.policies.change_status(ME, "POL-004", "awaiting_approval")
    drain(ctx)
    late = _run(ctx, "Review kickoff", "POL-003")
    assert late.overdue and late.due is not None and late.due < datetime.now(UTC)
    assert late.tasks[0].overdue
    in_time = _run(ctx, "Board approval", "POL-004")
    assert not in_time.overdue
    stuck = ctx.run_overview.snapshot(RunFilter("stuck"))[2]
    assert [r.id for r in stuck] == [late.id]


def test_failed_step_error_and_filters(eng: AppContext, install: Callable[..., Any]) -> None:
    """A failed step names its step and error and is stuck; the state and text filters and a
    run's position in the list are answered in SQL."""
    install(
        workflow(
            "Bad step",
            [
                {"type": "set_status", "status": "published"},
                {"type": "notify", "users": ["bob"], "title": "hi"},
            ],
        )
    )
    eng.policies.change_status("alice", "POL-001", "in_review")
    drain(eng)
    _total, top, rows = eng.run_overview.snapshot(RunFilter())
    (run,) = rows
    assert run.status == "failed" and run.steps_done == 0
    assert run.waiting_for.startswith("step 1 failed: ")
    assert run.error and run.waiting_for.endswith(run.error.splitlines()[0])
    assert [r.id for r in eng.run_overview.snapshot(RunFilter("stuck"))[2]] == [run.id]
    assert [r.id for r in eng.run_overview.snapshot(RunFilter("failed", "bad"))[2]] == [run.id]
    assert eng.run_overview.snapshot(RunFilter("waiting"))[0] == 0
    assert eng.run_overview.snapshot(RunFilter(search="nothing like it"))[0] == 0
    assert eng.run_overview.snapshot(RunFilter(search=f"#{run.id}"))[0] == 1
    assert eng.run_overview.position(RunFilter(), top, run.id) == 0
    assert eng.run_overview.position(RunFilter("finished"), top, run.id) is None
    detail = eng.run_overview.detail(run.id)
    assert [(s.index, s.state) for s in detail.steps] == [(0, "failed"), (1, "not reached")]
    assert detail.steps[0].attempts >= 1 and detail.steps[0].note


def test_pages_newer_and_rows(demo: AppContext) -> None:
    """Pages are keyset pages newest first; `newer` gives the runs above a known id; `rows`
    re-reads chosen runs."""
    total, top, first = demo.run_overview.snapshot(RunFilter(), page_size=3)
    assert [r.id for r in first] == [top, top - 1, top - 2]
    second = demo.run_overview.page(RunFilter(), top, 3, 3, after_id=first[-1].id)
    assert [r.id for r in second] == [top - 3, top - 4, top - 5]
    assert [r.id for r in demo.run_overview.newer(RunFilter(), top - 2)] == [top, top - 1]
    assert [r.id for r in demo.run_overview.rows([top - 1, top])] == [top, top - 1]
    assert total == len(demo.run_overview.snapshot(RunFilter())[2])
