"""The home page's figures: one read (one transaction, a handful of aggregate queries) of what
an officer looks at first — policies by status, reviews falling due, approvals waiting per
person, failed jobs, stuck runs, and the acting user's own work.

Due dates follow docs/dates-and-times.md: review and task due dates are calendar dates in the
user's zone (today from the injected clock); an approval's due is an instant. What makes a
run *stuck* is said once, in `services/stuck.py` (the Runs page's Stuck view uses it too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from governance_desktop.domain.clock import Clock, local_date, utc_now
from governance_desktop.domain.enums import (
    ApprovalStatus,
    ExecutionStatus,
    JobState,
    PolicyStatus,
    TaskStatus,
)
from governance_desktop.domain.job_states import OPEN_EXECUTION
from governance_desktop.services.delegations import active_delegations
from governance_desktop.services.stuck import stuck_runs
from governance_desktop.store.db import Database
from governance_desktop.store.models import (
    Job,
    Policy,
    Task,
    User,
    WorkflowApproval,
    WorkflowExecution,
)

#: "Reviews due" means a next review date from today to today + this many days.
REVIEW_HORIZON_DAYS = 30


@dataclass(frozen=True)
class PersonWaiting:
    """The approval requests one person has still to answer."""

    person: str
    waiting: int
    overdue: int
    oldest_requested_at: datetime
    #: Whole days since the oldest request (0 on the day it was asked).
    oldest_age_days: int
    #: Who answers in their place today (a delegation in force), if anyone.
    delegate: str | None = None


@dataclass(frozen=True)
class Dashboard:
    """The figures of the home page at one instant (`at`; `today` is the user's date)."""

    at: datetime
    today: date
    #: Every policy status, in lifecycle order, with its count (0 included).
    policies_by_status: dict[str, int]
    #: Next review from today to today + REVIEW_HORIZON_DAYS (not overdue).
    reviews_due: int
    #: Next review before today.
    reviews_overdue: int
    #: Per person, most waiting first (then oldest first).
    approvals_waiting: tuple[PersonWaiting, ...]
    #: Pending requests addressed to the acting user or delegated to them today.
    waiting_for_me: int
    my_open_tasks: int
    my_overdue_tasks: int
    failed_jobs: int
    stuck_runs: int
    #: Runs not ended (queued, in progress, awaiting approval).
    open_runs: int

    @property
    def policies(self) -> int:
        return sum(self.policies_by_status.values())

    @property
    def approvals_waiting_total(self) -> int:
        return sum(p.waiting for p in self.approvals_waiting)


class DashboardService:
    """Reads the home page's figures; the clock is injected so tests pin today."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self._db = db
        self._clock = clock

    def read(self, actor: str) -> Dashboard:
        """Every figure in one read transaction, so they agree with each other."""
        now = self._clock()
        today = local_date(now)
        horizon = today + timedelta(days=REVIEW_HORIZON_DAYS)
        with self._db.reading() as session:
            by_status = dict.fromkeys((s.value for s in PolicyStatus), 0)
            for status, count in session.execute(
                select(Policy.status, func.count()).group_by(Policy.status)
            ):
                by_status[status] = count
            overdue, due = session.execute(
                select(
                    func.count().filter(Policy.next_review_date < today),
                    func.count().filter(Policy.next_review_date >= today),
                ).where(Policy.next_review_date <= horizon)
            ).one()
            delegations = active_delegations(session, today)
            people = [
                PersonWaiting(
                    person=person,
                    waiting=waiting,
                    overdue=late,
                    oldest_requested_at=oldest,
                    oldest_age_days=max(0, (today - local_date(oldest)).days),
                    delegate=delegations[person][0] if person in delegations else None,
                )
                for person, waiting, late, oldest in session.execute(
                    select(
                        WorkflowApproval.approver,
                        func.count(),
                        func.count().filter(WorkflowApproval.due_at < now),
                        func.min(WorkflowApproval.requested_at),
                    )
                    .where(
                        WorkflowApproval.status == ApprovalStatus.PENDING,
                        # Through the (approver, status) index, one user at a time: reads
                        # the pending rows only, not every answered request ever made.
                        WorkflowApproval.approver.in_(select(User.username)),
                    )
                    .group_by(WorkflowApproval.approver)
                )
            ]
            people.sort(key=lambda p: (-p.waiting, p.oldest_requested_at, p.person))
            open_tasks, late_tasks = session.execute(
                select(func.count(), func.count().filter(Task.due_date < today)).where(
                    Task.assignee == actor, Task.status == TaskStatus.OPEN
                )
            ).one()
            failed_jobs = session.scalar(
                select(func.count()).select_from(Job).where(Job.state == JobState.FAILED)
            )
            stuck, open_runs = session.execute(
                select(
                    func.count().filter(stuck_runs(now)),
                    func.count().filter(WorkflowExecution.status.in_(OPEN_EXECUTION)),
                ).where(WorkflowExecution.status.in_((*OPEN_EXECUTION, ExecutionStatus.FAILED)))
            ).one()
        return Dashboard(
            at=now,
            today=today,
            policies_by_status=by_status,
            reviews_due=due,
            reviews_overdue=overdue,
            approvals_waiting=tuple(people),
            waiting_for_me=sum(
                p.waiting for p in people if p.person == actor or p.delegate == actor
            ),
            my_open_tasks=open_tasks,
            my_overdue_tasks=late_tasks,
            failed_jobs=failed_jobs or 0,
            stuck_runs=stuck,
            open_runs=open_runs,
        )
