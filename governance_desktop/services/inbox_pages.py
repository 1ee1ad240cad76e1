"""The inbox pages' lazy tables: pending approvals and tasks counted, paged and sorted in SQL.

`ApprovalPages` and `TaskPages` answer `ui/sorted_model.SortedTableModel` (count / page /
position) with `services/sorted_pages.SortedPages`, under an `ApprovalFilter` or `TaskFilter`
turned into SQL conditions. Sort names are those of `services/inbox.APPROVAL_SORTS` and
`TASK_SORTS`; rows without a due date (or policy, or escalation) sort last either way.

An approvals page is read as ids in the chosen order, then the few hundred `ApprovalItem`s of
that page are built by `InboxService.approvals(ids=…)` (the workflow step, rule and SLA note
of each need the definitions and today's delegations, which a plain row does not carry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select

from governance_desktop.domain.clock import Clock, local_date, utc_now
from governance_desktop.domain.enums import ApprovalStatus, Role, TaskStatus
from governance_desktop.services.delegations import active_delegations
from governance_desktop.services.dto import TaskInfo
from governance_desktop.services.inbox import (
    APPROVAL_SORTS,
    TASK_SORTS,
    ApprovalItem,
    InboxService,
    task_info,
)
from governance_desktop.services.sorted_pages import PAGE_SIZE, Sort, SortedPages
from governance_desktop.services.users import require_user
from governance_desktop.store.db import Database
from governance_desktop.store.models import (
    Policy,
    Task,
    Workflow,
    WorkflowApproval,
    WorkflowExecution,
)


@dataclass(frozen=True)
class ApprovalFilter:
    """The pending requests `actor` may answer (an admin: everyone's; a person: theirs and
    those delegated to them today); `overdue_only`: those past their due time."""

    actor: str
    overdue_only: bool = False


@dataclass(frozen=True)
class TaskFilter:
    """Tasks of `assignee` (None: everyone's); `open_only`; `overdue_only`: open ones whose
    due date has passed."""

    assignee: str | None
    open_only: bool = False
    overdue_only: bool = False

    def conditions(self, clock: Clock = utc_now) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.assignee is not None:
            where.append(Task.assignee == self.assignee)
        if self.open_only or self.overdue_only:
            where.append(Task.status == TaskStatus.OPEN)
        if self.overdue_only:
            where += [Task.due_date.is_not(None), Task.due_date < local_date(clock())]
        return where


class ApprovalPages:
    """count / page / position of the pending approvals under an `ApprovalFilter`."""

    def __init__(self, db: Database, inbox: InboxService, clock: Clock = utc_now) -> None:
        self._db = db
        self._inbox = inbox
        self._clock = clock
        query = (
            select(WorkflowApproval.id)
            .join(WorkflowExecution, WorkflowExecution.id == WorkflowApproval.execution_id)
            .join(Workflow, Workflow.id == WorkflowExecution.workflow_id)
            .join(Policy, Policy.id == WorkflowExecution.entity_id)
        )
        self._pages: SortedPages[int] = SortedPages(
            db,
            query,
            id_column=WorkflowApproval.id,
            key_column=WorkflowApproval.id,
            sortable=APPROVAL_SORTS,
            make_row=lambda row: int(row[0]),
            nulls_last=("due", "note"),
        )

    def scope(self, actor: str) -> str | None:
        """Whose requests `actor` sees: None (an admin: everyone's) or `actor`."""
        return None if self._inbox.is_admin(actor) else actor

    def _where(self, filter: ApprovalFilter) -> list[ColumnElement[bool]]:
        now = self._clock()
        where: list[ColumnElement[bool]] = [WorkflowApproval.status == ApprovalStatus.PENDING]
        with self._db.reading() as session:
            if require_user(session, filter.actor, "actor").role != Role.ADMIN:
                delegations = active_delegations(session, local_date(now))
                names = [filter.actor]
                names += [d for d, (to, _) in delegations.items() if to == filter.actor]
                where.append(WorkflowApproval.approver.in_(names))
        if filter.overdue_only:
            where += [WorkflowApproval.due_at.is_not(None), WorkflowApproval.due_at < now]
        return where

    def count(self, filter: ApprovalFilter) -> int:
        return self._pages.count(self._where(filter))

    def page(
        self,
        filter: ApprovalFilter,
        sort: Sort,
        offset: int,
        limit: int = PAGE_SIZE,
        total: int | None = None,
    ) -> list[ApprovalItem]:
        ids = self._pages.page(self._where(filter), sort, offset, limit, total)
        if not ids:
            return []
        items = self._inbox.approvals(self.scope(filter.actor), pending=True, ids=ids)
        by_id = {item.id: item for item in items}
        # A request answered between the two reads is left out; the next refresh recounts.
        return [by_id[i] for i in ids if i in by_id]

    def position(self, filter: ApprovalFilter, sort: Sort, approval_id: object) -> int | None:
        return self._pages.position(self._where(filter), sort, approval_id)


def _task(row: Any) -> TaskInfo:
    return task_info(row[0], row[1])


class TaskPages:
    """count / page / position of the tasks under a `TaskFilter`."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._pages: SortedPages[TaskInfo] = SortedPages(
            db,
            select(Task, Policy.code).outerjoin(Policy, Policy.id == Task.entity_id),
            id_column=Task.id,
            key_column=Task.id,
            sortable=TASK_SORTS,
            make_row=_task,
            nulls_last=("due", "policy"),
        )

    def count(self, filter: TaskFilter) -> int:
        return self._pages.count(filter.conditions(self._clock))

    def page(
        self,
        filter: TaskFilter,
        sort: Sort,
        offset: int,
        limit: int = PAGE_SIZE,
        total: int | None = None,
    ) -> list[TaskInfo]:
        return self._pages.page(filter.conditions(self._clock), sort, offset, limit, total)

    def position(self, filter: TaskFilter, sort: Sort, task_id: object) -> int | None:
        return self._pages.position(filter.conditions(self._clock), sort, task_id)

    def open_count(self, filter: TaskFilter) -> int:
        """How many open tasks the filter shows (the page's label)."""
        where = [*filter.conditions(self._clock), Task.status == TaskStatus.OPEN]
        return self._pages.count(where)
