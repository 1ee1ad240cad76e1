"""What is stuck: every workflow run with its workflow, policy, current step, progress in steps
and what it waits for (approvers still to answer and the rule, open tasks and their assignees,
a retry back-off, a failed step's error), since when and whether it is overdue.

The Runs page reads it through `ui/sorted_model.SortedTableModel`: count, pages and a run's
position under a `RunFilter`, sorted in SQL on any column (services/run_sorts.py), newest
first by default; what a run waits for is built a page at a time with one query per table,
never one per run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from governance_desktop.domain.clock import end_of_local_day, is_overdue
from governance_desktop.domain.enums import (
    ApprovalStatus,
    ExecutionStatus,
    JobState,
    TaskStatus,
)
from governance_desktop.domain.errors import NotFoundError
from governance_desktop.domain.job_states import OPEN_EXECUTION, UNFINISHED
from governance_desktop.domain.workflow.actions import required_approvals
from governance_desktop.domain.workflow.definition import (
    Action,
    ApprovalAction,
    AssignAction,
    CreateTaskAction,
    NotifyAction,
    SetStatusAction,
    WorkflowDefinition,
)
from governance_desktop.domain.workflow.placeholders import render
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.run_sorts import FINISHED, run_sorts
from governance_desktop.services.run_steps import RunStep, run_steps
from governance_desktop.services.search import contains, search_text
from governance_desktop.services.sorted_pages import PAGE_SIZE, Sort, SortedPages
from governance_desktop.services.stuck import stuck_runs
from governance_desktop.services.workflows import version_definition
from governance_desktop.store.db import Database
from governance_desktop.store.models import (
    Job,
    Policy,
    Task,
    User,
    Workflow,
    WorkflowApproval,
    WorkflowExecution,
    WorkflowVersion,
)
from governance_desktop.store.types import utcnow

E = ExecutionStatus
#: The state filter's words and the statuses each covers ("stuck" is a view of its own).
RUN_STATES: dict[str, tuple[ExecutionStatus, ...]] = {
    "running": (E.QUEUED, E.IN_PROGRESS),
    "waiting": (E.AWAITING_APPROVAL,),
    "failed": (E.FAILED,),
    "finished": (E.COMPLETED,),
    "rejected": (E.REJECTED,),
    "cancelled": (E.CANCELLED,),
}
STUCK = "stuck"
KIND_NAMES = {
    "set_status": "Set status",
    "notify": "Notify",
    "assign": "Assign",
    "create_task": "Task",
    "approval": "Approval",
}
#: Newest first: the page opens on it.
NEWEST = Sort("id", descending=True)


@dataclass(frozen=True)
class TaskWait:
    """An open task a run made: who has it and until when."""

    id: int
    title: str
    assignee: str | None  # display name (user name if none)
    due: datetime | None  # the due date's last instant (local calendar date)
    overdue: bool


@dataclass(frozen=True)
class RunRow:
    """One run as the Executions page shows it."""

    id: int
    workflow: str
    workflow_version: int
    policy: str
    policy_title: str
    status: str
    step: int  # the current step, 0-based (step_count once completed)
    step_count: int
    step_kind: str  # its action type ("" once past the last)
    step_name: str
    steps_done: int
    waiting_for: str  # one line: who or what the run waits for
    since: datetime
    due: datetime | None
    overdue: bool
    started_by: str
    started_by_name: str
    error: str | None
    created_at: datetime
    waiting_approvers: tuple[str, ...] = ()  # display names, in the order asked
    rule: str = ""  # e.g. "2 of 3", "any 1 of 2", "all 2"
    approvals_given: int = 0
    approvals_needed: int = 0
    tasks: tuple[TaskWait, ...] = ()
    retry_at: datetime | None = None

    @property
    def progress(self) -> float:
        """Steps done as a fraction of the steps (0 for a run with none)."""
        return self.steps_done / self.step_count if self.step_count else 0.0


@dataclass(frozen=True)
class RunDetail:
    run: RunRow
    steps: list[RunStep] = field(default_factory=list)


@dataclass(frozen=True)
class RunFilter:
    """A state word of RUN_STATES or "stuck" (None: all) and a search over workflow name,
    policy code and title, or a run id ("#12")."""

    state: str | None = None
    search: str = ""

    def conditions(self, now: datetime) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.state == STUCK:
            where.append(stuck_runs(now))
        elif self.state:
            where.append(WorkflowExecution.status.in_(RUN_STATES[self.state]))
        text = search_text(self.search)
        if text:
            found: list[ColumnElement[bool]] = [
                WorkflowExecution.workflow_id.in_(
                    select(Workflow.id).where(contains(Workflow.name, text))
                ),
                WorkflowExecution.entity_id.in_(
                    select(Policy.id).where(
                        or_(contains(Policy.code, text), contains(Policy.title, text))
                    )
                ),
            ]
            digits = text.lstrip("#")
            if digits.isdigit():
                found.append(WorkflowExecution.id == int(digits))
            where.append(or_(*found))
        return where


def _row_query() -> Any:
    return (
        select(
            WorkflowExecution,
            Workflow.name,
            WorkflowVersion.version,
            Policy.code,
            Policy.title,
            User.display_name,
        )
        .join(Workflow, Workflow.id == WorkflowExecution.workflow_id)
        .join(WorkflowVersion, WorkflowVersion.id == WorkflowExecution.workflow_version_id)
        .outerjoin(Policy, Policy.id == WorkflowExecution.entity_id)
        .outerjoin(User, User.username == WorkflowExecution.started_by)
    )


def rule_text(action: ApprovalAction, asked: int) -> str:
    """The approval rule as a person reads it: "2 of 3", "any 1 of 2", "all 3"."""
    if action.rule == "all":
        return f"all {asked}"
    if action.rule == "any":
        return f"any 1 of {asked}"
    return f"{action.required()} of {asked}"


def step_name(action: Action, code: str, title: str) -> str:
    """What a step does, in a few words ("Approval: Board approval of POL-004")."""
    values = {"code": code, "title": title}
    if isinstance(action, SetStatusAction):
        return f"Set status to {action.status}"
    if isinstance(action, NotifyAction):
        return "Notify " + ", ".join(action.users)
    if isinstance(action, AssignAction):
        return f"Assign to {action.user}"
    if isinstance(action, CreateTaskAction):
        return "Task: " + render(action.title, values)
    assert isinstance(action, ApprovalAction)
    named = render(action.title, values)
    return f"Approval: {named}" if named else "Approval"


def first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


class RunOverview:
    """Lazy reads of the workflow runs, filtered and sorted in SQL (services/run_sorts.py)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache = DatabaseCache.of(db)
        self._pages: SortedPages[Any] = SortedPages(
            db,
            _row_query(),
            id_column=WorkflowExecution.id,
            key_column=WorkflowExecution.id,
            sortable=run_sorts(),
            make_row=lambda row: row,
        )

    # --- pages (ui/sorted_model.SortedTableModel's source) ---------------------------------

    def count(self, flt: RunFilter) -> int:
        return self._pages.count(flt.conditions(utcnow()))

    def page(
        self,
        flt: RunFilter,
        sort: Sort = NEWEST,
        offset: int = 0,
        limit: int = PAGE_SIZE,
        total: int | None = None,
    ) -> list[RunRow]:
        """Runs ``offset .. offset+limit`` under the filter in `sort` order (SQL), each with
        what it waits for (one query per table for the page)."""
        now = utcnow()
        with self._db.reading() as session:
            found = self._pages.page_in(session, flt.conditions(now), sort, offset, limit, total)
            return self._build(session, found, now)

    def position(self, flt: RunFilter, sort: Sort, run_id: object) -> int | None:
        """Where run `run_id` is in `sort` order under the filter (0: first), or None."""
        return self._pages.position(flt.conditions(utcnow()), sort, run_id)

    def first(self, flt: RunFilter, limit: int = PAGE_SIZE) -> list[RunRow]:
        """The newest runs under the filter (the CLI and tests)."""
        return self.page(flt, NEWEST, 0, limit)

    def detail(self, run_id: int) -> RunDetail:
        """One run and each of its steps with their timings."""
        now = utcnow()
        with self._db.reading() as session:
            found = session.execute(_row_query().where(WorkflowExecution.id == run_id)).all()
            if not found:
                raise NotFoundError(f"unknown run {run_id}")
            row = self._build(session, found, now)[0]
            execution = found[0][0]
            defn = version_definition(session, self._cache, execution.workflow_version_id)
            names = [step_name(a, row.policy, row.policy_title) for a in defn.actions]
            return RunDetail(row, run_steps(session, execution, defn, names))

    # --- building rows ----------------------------------------------------------------------

    def _build(self, session: Session, rows: Sequence[Any], now: datetime) -> list[RunRow]:
        executions = [row[0] for row in rows]
        awaiting = [e.id for e in executions if e.status == E.AWAITING_APPROVAL]
        running = [e.id for e in executions if e.status in (E.QUEUED, E.IN_PROGRESS)]
        approvals = self._approvals(session, awaiting)
        tasks = self._tasks(session, [e.id for e in executions], now)
        jobs = self._jobs(session, running)
        built = []
        for execution, workflow, version, code, title, starter in rows:
            defn = version_definition(session, self._cache, execution.workflow_version_id)
            built.append(
                self._row(
                    execution,
                    defn,
                    (workflow, int(version), code or str(execution.entity_id), title or ""),
                    starter,
                    approvals.get(execution.id, []),
                    tasks.get(execution.id, []),
                    jobs.get(execution.id),
                    now,
                )
            )
        return built

    @staticmethod
    def _approvals(session: Session, ids: list[int]) -> dict[int, list[tuple[Any, str]]]:
        found: dict[int, list[tuple[Any, str]]] = defaultdict(list)
        if ids:
            query = (
                select(WorkflowApproval, User.display_name)
                .outerjoin(User, User.username == WorkflowApproval.approver)
                .where(WorkflowApproval.execution_id.in_(ids))
                .order_by(WorkflowApproval.id)
            )
            for approval, name in session.execute(query):
                found[approval.execution_id].append((approval, name or approval.approver))
        return found

    @staticmethod
    def _tasks(session: Session, ids: list[int], now: datetime) -> dict[int, list[TaskWait]]:
        found: dict[int, list[TaskWait]] = defaultdict(list)
        if ids:
            query = (
                select(Task, User.display_name)
                .outerjoin(User, User.username == Task.assignee)
                .where(Task.execution_id.in_(ids), Task.status == TaskStatus.OPEN)
                .order_by(Task.id)
            )
            for task, name in session.execute(query):
                due = end_of_local_day(task.due_date) if task.due_date else None
                found[task.execution_id or 0].append(
                    TaskWait(
                        task.id,
                        task.title,
                        name or task.assignee,
                        due,
                        is_overdue(task.due_date, now),
                    )
                )
        return found

    @staticmethod
    def _jobs(session: Session, ids: list[int]) -> dict[int, Job]:
        """The newest unfinished job of each running run."""
        found: dict[int, Job] = {}
        if ids:
            query = (
                select(Job)
                .where(Job.execution_id.in_(ids), Job.state.in_(UNFINISHED))
                .order_by(Job.id)
            )
            for job in session.scalars(query):
                found[int(job.execution_id or 0)] = job
        return found

    @staticmethod
    def _row(
        execution: WorkflowExecution,
        defn: WorkflowDefinition,
        names: tuple[str, int, str, str],
        starter: str | None,
        approvals: list[tuple[Any, str]],
        tasks: list[TaskWait],
        job: Job | None,
        now: datetime,
    ) -> RunRow:
        workflow, version, code, title = names
        status = E(execution.status)
        count = execution.step_count
        step = max(0, execution.current_step)
        action = defn.actions[step] if step < len(defn.actions) else None
        done = count if status == E.COMPLETED else min(step, count)
        waiting: list[str] = []
        since = execution.updated_at
        due: datetime | None = None
        extra: dict[str, Any] = {}
        if status == E.AWAITING_APPROVAL and isinstance(action, ApprovalAction):
            mine = [(a, n) for a, n in approvals if a.step_index == step]
            asked = sum(a.status != ApprovalStatus.EXPIRED for a, _ in mine)
            pending = [(a, n) for a, n in mine if a.status == ApprovalStatus.PENDING]
            given = len({a.responded_by for a, _ in mine if a.status == ApprovalStatus.APPROVED})
            needed = required_approvals(action.rule, asked)
            rule = rule_text(action, asked)
            who = ", ".join(n for _, n in pending) or "nobody"
            waiting.append(f"{who} to answer · {given} of {needed} approved (rule: {rule})")
            if pending:
                since = min(a.requested_at for a, _ in pending)
                dues = [a.due_at for a, _ in pending if a.due_at is not None]
                due = min(dues) if dues else None
            extra = {
                "waiting_approvers": tuple(n for _, n in pending),
                "rule": rule,
                "approvals_given": given,
                "approvals_needed": needed,
            }
        elif status == E.FAILED:
            waiting.append(f"step {step + 1} failed: {first_line(execution.error)}")
        elif status in (E.QUEUED, E.IN_PROGRESS) and job is not None:
            if job.state == JobState.RETRYING:
                at = job.next_attempt_at
                when = at.astimezone().strftime("%H:%M:%S") if at else "soon"
                reason = first_line(job.error)
                waiting.append(
                    f"retry at {when} (attempt {job.attempts + 1})"
                    + (f": {reason}" if reason else "")
                )
                extra["retry_at"] = at
            elif job.state == JobState.INTERRUPTED:
                waiting.append("its worker stopped: the job runs again when a worker starts")
            else:
                waiting.append("the worker" if job.state == JobState.RUNNING else "a worker")
        elif status in (E.REJECTED, E.CANCELLED):
            reason = first_line(execution.error)
            if reason:
                waiting.append(reason)
        if status in FINISHED and execution.finished_at is not None:
            since = execution.finished_at
        for task in tasks:
            with_whom = f" with {task.assignee}" if task.assignee else " (nobody assigned)"
            until = f", due {task.due.astimezone():%Y-%m-%d}" if task.due else ""
            waiting.append(f"task '{task.title}'{with_whom}{until}")
            if task.due is not None and status in OPEN_EXECUTION:
                due = task.due if due is None else min(due, task.due)
        overdue = status in OPEN_EXECUTION and (
            (due is not None and due < now) or any(t.overdue for t in tasks)
        )
        return RunRow(
            id=execution.id,
            workflow=workflow,
            workflow_version=version,
            policy=code,
            policy_title=title,
            status=status.value,
            step=step if status != E.COMPLETED else count,
            step_count=count,
            step_kind=str(action.type) if action is not None and status != E.COMPLETED else "",
            step_name=step_name(action, code, title)
            if action is not None and status != E.COMPLETED
            else "",
            steps_done=done,
            waiting_for=" · ".join(waiting),
            since=since,
            due=due,
            overdue=overdue,
            started_by=execution.started_by,
            started_by_name=starter or execution.started_by,
            error=execution.error,
            created_at=execution.created_at,
            tasks=tuple(tasks),
            **extra,
        )
