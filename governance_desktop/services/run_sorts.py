"""The Runs page's sort keys: one SQL expression per column, so any column sorts in SQL.

The columns that are computed per page in Python (what a run waits for, since when, its due
date, progress) sort by an SQL expression that gives the same order as the text shown:

* Waiting for: the first approver still to answer (display name), else the first open
  task's assignee, else the run's error or reason;
* Due: the earliest due date of a pending approval of the waiting step, else of an open task
  (open runs only: a finished run has no due date);
* Since: when the run finished, else when its waiting step was asked, else its last change;
* Progress: steps done as a fraction of the steps; Current step: its index;
* State: the state's name as shown (Cancelled, Failed, Finished, Queued, …).

Every order has the run id as its tiebreaker (services/sorted_pages.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, case, cast, func, literal, select
from sqlalchemy.orm import aliased

from governance_desktop.domain.enums import ApprovalStatus, ExecutionStatus, TaskStatus
from governance_desktop.domain.job_states import OPEN_EXECUTION
from governance_desktop.store.models import (
    Policy,
    Task,
    User,
    Workflow,
    WorkflowApproval,
    WorkflowExecution,
)

E = ExecutionStatus
RUN = WorkflowExecution
FINISHED = (E.COMPLETED, E.FAILED, E.REJECTED, E.CANCELLED)
#: The states in the alphabetical order of their shown names (ui/pages/executions/model.py).
STATE_ORDER = (
    E.CANCELLED,
    E.FAILED,
    E.COMPLETED,
    E.QUEUED,
    E.REJECTED,
    E.IN_PROGRESS,
    E.AWAITING_APPROVAL,
)


def _pending(column: Any) -> Any:
    """`column` of the waiting step's pending approvals (the first asked)."""
    return (
        select(column)
        .select_from(WorkflowApproval)
        .where(
            WorkflowApproval.execution_id == RUN.id,
            WorkflowApproval.step_index == RUN.current_step,
            WorkflowApproval.status == ApprovalStatus.PENDING,
        )
        .correlate(RUN)
    )


def _open_tasks(column: Any) -> Any:
    return (
        select(column)
        .select_from(Task)
        .where(Task.execution_id == RUN.id, Task.status == TaskStatus.OPEN)
        .correlate(RUN)
    )


def _waiting_key() -> Any:
    # Own aliases: the row query joins User for the starter, and these must not correlate.
    approver_user, assignee_user = aliased(User), aliased(User)
    approver = (
        _pending(func.coalesce(approver_user.display_name, WorkflowApproval.approver))
        .outerjoin(approver_user, approver_user.username == WorkflowApproval.approver)
        .order_by(WorkflowApproval.id)
        .limit(1)
        .scalar_subquery()
    )
    assignee = (
        _open_tasks(func.coalesce(assignee_user.display_name, Task.assignee))
        .outerjoin(assignee_user, assignee_user.username == Task.assignee)
        .order_by(Task.id)
        .limit(1)
        .scalar_subquery()
    )
    awaiting = RUN.status == E.AWAITING_APPROVAL
    return func.coalesce(case((awaiting, approver)), assignee, RUN.error, literal(""))


def _due_key() -> Any:
    approval = _pending(func.min(WorkflowApproval.due_at)).scalar_subquery()
    task = _open_tasks(func.min(Task.due_date)).scalar_subquery()
    waiting = case((RUN.status == E.AWAITING_APPROVAL, approval))
    return case((RUN.status.in_(OPEN_EXECUTION), func.coalesce(waiting, task)))


def _since_key() -> Any:
    asked = _pending(func.min(WorkflowApproval.requested_at)).scalar_subquery()
    return case(
        (RUN.status.in_(FINISHED) & RUN.finished_at.is_not(None), RUN.finished_at),
        (RUN.status == E.AWAITING_APPROVAL, func.coalesce(asked, RUN.updated_at)),
        else_=RUN.updated_at,
    )


def _progress_key() -> Any:
    return case(
        (RUN.step_count == 0, literal(0.0)),
        (RUN.status == E.COMPLETED, literal(1.0)),
        else_=cast(RUN.current_step, Float) / RUN.step_count,
    )


def _state_key() -> Any:
    return case({state.value: rank for rank, state in enumerate(STATE_ORDER)}, value=RUN.status)


def run_sorts() -> dict[str, Any]:
    """Sort name → SQL expression (over the row query's joins: Workflow, Policy, User)."""
    return {
        "id": RUN.id,
        "policy": Policy.code,
        "state": _state_key(),
        "waiting": _waiting_key(),
        "due": _due_key(),
        "progress": _progress_key(),
        "step": RUN.current_step,
        "since": _since_key(),
        "workflow": Workflow.name,
        "started_by": func.coalesce(User.display_name, RUN.started_by),
    }
