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
from governance_desktop.services.run_overview import NEWEST, RunFilter, RunRow
from governance_desktop.services.run_sorts import run_sorts
from governance_desktop.services.sorted_pages import Sort
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
    rows = ctx.run_overview.first(RunFilter(search=policy))
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
    stuck = ctx.run_overview.first(RunFilter("stuck"))
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
    (run,) = eng.run_overview.first(RunFilter())
    assert run.status == "failed" and run.steps_done == 0
    assert run.waiting_for.startswith("step 1 failed: ")
    assert run.error and run.waiting_for.endswith(run.error.splitlines()[0])
    assert [r.id for r in eng.run_overview.first(RunFilter("stuck"))] == [run.id]
    assert [r.id for r in eng.run_overview.first(RunFilter("failed", "bad"))] == [run.id]
    assert eng.run_overview.count(RunFilter("waiting")) == 0
    assert eng.run_overview.count(RunFilter(search="nothing like it")) == 0
    assert eng.run_overview.count(RunFilter(search=f"#{run.id}")) == 1
    assert eng.run_overview.position(RunFilter(), NEWEST, run.id) == 0
    assert eng.run_overview.position(RunFilter("finished"), NEWEST, run.id) is None
    detail = eng.run_overview.detail(run.id)
    assert [(s.index, s.state) for s in detail.steps] == [(0, "failed"), (1, "not reached")]
    assert detail.steps[0].attempts >= 1 and detail.steps[0].note


def test_pages_in_sql_order_on_every_column(demo: AppContext) -> None:
    """Pages are read in SQL order, newest first by default; every column's sort name sorts
    (both ways, the id breaking ties) and a run's position follows the order."""
    overview = demo.run_overview
    total = overview.count(RunFilter())
    first = overview.page(RunFilter(), NEWEST, 0, 3)
    top = first[0].id
    assert [r.id for r in first] == [top, top - 1, top - 2]
    assert [r.id for r in overview.page(RunFilter(), NEWEST, 3, 3)] == [top - 3, top - 4, top - 5]
    assert total == len(overview.first(RunFilter())) >= 6
    for name in run_sorts():
        for descending in (False, True):
            sort = Sort(name, descending)
            rows = overview.page(RunFilter(), sort, 0, total)
            assert sorted(r.id for r in rows) == list(range(top - total + 1, top + 1))
            assert overview.position(RunFilter(), sort, rows[-1].id) == total - 1
            # The last page is read from the end: the same rows as reading forward.
            tail = overview.page(RunFilter(), sort, total - 2, 2, total)
            assert [r.id for r in tail] == [r.id for r in rows[-2:]]
    board = _run(demo, "Board approval", "POL-004")
    by_state = overview.page(RunFilter(), Sort("state"), 0, total)
    assert by_state[-1].status == "awaiting_approval"  # "Waiting for approval" sorts last
    by_waiting = overview.page(RunFilter(), Sort("waiting", True), 0, total)
    keys = [waits_on(r) for r in by_waiting]
    assert keys == sorted(keys, reverse=True) and "Bob Chen" in keys
    assert board.id in {r.id for r in by_waiting}


def waits_on(run: RunRow) -> str:
    """Whom a run waits for first, as the "waiting" sort orders it."""
    if run.waiting_approvers:
        return run.waiting_approvers[0]
    if run.tasks:
        return run.tasks[0].assignee or ""
    return run.error or ""
