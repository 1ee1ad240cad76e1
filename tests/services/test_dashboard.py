"""The home page's figures on the demo register plus added rows: policies by status, reviews due
and overdue at their day boundaries (injected clock), approvals waiting per person with the
oldest's age, the acting user's tasks, failed jobs and stuck runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from governance_desktop.app import AppContext, open_app
from governance_desktop.config import load_settings
from governance_desktop.domain.clock import local_date, utc_now
from governance_desktop.domain.enums import ExecutionStatus, JobState
from governance_desktop.services.dashboard import Dashboard, DashboardService
from governance_desktop.services.run_overview import RunFilter
from governance_desktop.services.runner import RetryPolicy
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store.models import Job, Policy, WorkflowExecution
from tests.helpers.actors import ME
from tests.helpers.demo import seed
from tests.helpers.identity import signer
from tests.helpers.workflows import drain, workflow

DEMO_STATUSES = {
    "draft": 2,
    "in_review": 3,
    "awaiting_approval": 1,
    "approved": 1,
    "published": 3,
    "retired": 2,
}


@pytest.fixture
def demo(data_dir: Path) -> Iterator[AppContext]:
    """The demo register (no queue: jobs run through `drain`)."""
    seed(data_dir)
    ctx = open_app(load_settings(data_dir=data_dir))
    ctx.runner.retry = RetryPolicy(max_attempts=1, base_delay=0.001, max_delay=0.01)
    yield ctx
    ctx.close()


def _at(ctx: AppContext, moment: datetime, actor: str = "alice") -> Dashboard:
    return DashboardService(ctx.db, lambda: moment).read(actor)


def _set_review(ctx: AppContext, code: str, day: date | None) -> None:
    with ctx.db.transaction() as session:
        session.execute(update(Policy).where(Policy.code == code).values(next_review_date=day))


def _people(board: Dashboard) -> dict[str, tuple[int, int, int]]:
    return {p.person: (p.waiting, p.overdue, p.oldest_age_days) for p in board.approvals_waiting}


def test_the_demo_register_in_figures(demo: AppContext) -> None:
    """The demo: its policies by status, the Standard approval of POL-005 waiting for its three
    approvers, nothing failed or stuck; the service wired in AppContext reads the same."""
    board = demo.dashboard.read("alice")
    assert board.policies_by_status == DEMO_STATUSES
    assert list(board.policies_by_status) == list(DEMO_STATUSES)  # lifecycle order
    assert board.policies == 12
    assert _people(board) == {"bob": (1, 0, 0), "carol": (1, 0, 0), "dave": (1, 0, 0)}
    assert board.approvals_waiting_total == 3
    assert (board.waiting_for_me, board.my_open_tasks, board.my_overdue_tasks) == (0, 0, 0)
    assert (board.failed_jobs, board.stuck_runs) == (0, 0)
    assert demo.dashboard.read("bob").waiting_for_me == 1


def test_reviews_due_and_overdue_at_the_day_boundaries(demo: AppContext) -> None:
    """Due: next review from today to today + 30 days; overdue: before today. A day later the
    review due today is overdue and the one 31 days out is due."""
    now = utc_now()
    today = local_date(now)
    for code in ("POL-001", "POL-002", "POL-007", "POL-011"):  # the demo's dated reviews
        _set_review(demo, code, None)
    _set_review(demo, "POL-002", today - timedelta(days=1))
    _set_review(demo, "POL-007", today)
    _set_review(demo, "POL-011", today + timedelta(days=30))
    _set_review(demo, "POL-001", today + timedelta(days=31))
    demo.policies.add(ME, "POL-100", "Clean desk policy")
    _set_review(demo, "POL-100", today + timedelta(days=12))

    board = _at(demo, now)
    assert (board.reviews_due, board.reviews_overdue) == (3, 1)
    assert board.policies_by_status["draft"] == 3 and board.policies == 13
    tomorrow = _at(demo, now + timedelta(days=1))
    assert (tomorrow.reviews_due, tomorrow.reviews_overdue) == (3, 2)
    assert tomorrow.today == today + timedelta(days=1)


def test_approvals_waiting_per_person_with_age_and_overdue(demo: AppContext) -> None:
    """POL-003 to review asks bob and carol (due in 5 days) and gives alice a task (due in 10):
    ten days later each has two requests waiting, one overdue, the oldest 10 days old; the
    run waiting past its approval's due date is stuck; alice's task is due, not overdue."""
    demo.policies.change_status("alice", "POL-003", "in_review")
    drain(demo)
    now = utc_now()
    board = _at(demo, now)
    assert _people(board) == {"bob": (2, 0, 0), "carol": (2, 0, 0), "dave": (1, 0, 0)}
    assert [p.person for p in board.approvals_waiting] == ["bob", "carol", "dave"]
    assert (board.my_open_tasks, board.my_overdue_tasks, board.stuck_runs) == (1, 0, 0)

    later = now + timedelta(days=10)
    age = (local_date(later) - local_date(board.approvals_waiting[0].oldest_requested_at)).days
    board = _at(demo, later)
    assert _people(board) == {"bob": (2, 1, age), "carol": (2, 1, age), "dave": (1, 0, age)}
    assert (board.my_open_tasks, board.my_overdue_tasks) == (1, 0)  # due today: not overdue
    assert board.stuck_runs == 1 and board.open_runs == 2
    assert _at(demo, now + timedelta(days=11)).my_overdue_tasks == 1
    assert _at(demo, later, actor="carol").waiting_for_me == 2


def test_a_delegate_counts_what_they_answer_in_the_approvers_place(demo: AppContext) -> None:
    """bob's requests delegated to carol today count as waiting for carol (and still for bob,
    who may answer them himself); the person row names the delegate."""
    today = local_date(utc_now())
    demo.delegations.delegate("bob", "carol", today, today + timedelta(days=3), "holiday")
    board = demo.dashboard.read("carol")
    assert board.waiting_for_me == 2
    assert {p.person: p.delegate for p in board.approvals_waiting}["bob"] == "carol"
    assert demo.dashboard.read("bob").waiting_for_me == 1


def test_a_failed_step_is_a_failed_job_and_a_stuck_run(demo: AppContext) -> None:
    """A step that cannot run (an illegal move) fails its job; its run counts as stuck."""
    bad = workflow("Bad move", [{"type": "set_status", "status": "published"}])
    demo.workflows.import_definitions(
        ME, [DefinitionSource("bad.json", data=bad)], signer=signer(demo, ME)
    )
    demo.policies.change_status("alice", "POL-009", "in_review")
    drain(demo)
    board = demo.dashboard.read("alice")
    assert (board.failed_jobs, board.stuck_runs) == (1, 1)
    assert demo.run_overview.count(RunFilter(state="stuck")) == board.stuck_runs


def test_a_run_whose_job_waits_for_a_retry_is_stuck_on_home_and_runs_alike(
    demo: AppContext,
) -> None:
    """Home's stuck count and the Runs page's Stuck view use one definition: a run whose job
    waits for its retry counts on both (before: only the Runs page counted it)."""
    demo.policies.change_status("alice", "POL-009", "in_review")
    with demo.db.transaction() as session:
        session.execute(
            update(Job)
            .where(Job.id == select(func.max(Job.id)).scalar_subquery())
            .values(state=JobState.RETRYING)
        )
    with demo.db.transaction() as session:
        session.execute(
            update(WorkflowExecution)
            .where(WorkflowExecution.id == select(func.max(WorkflowExecution.id)).scalar_subquery())
            .values(status=ExecutionStatus.IN_PROGRESS)
        )
    board = demo.dashboard.read("alice")
    assert board.stuck_runs >= 1
    assert demo.run_overview.count(RunFilter(state="stuck")) == board.stuck_runs
