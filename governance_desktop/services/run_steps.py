"""One run's steps with their timings, for the Executions page's details pane: each step's
state, when it started and ended, its attempts and who answered or still has it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance_desktop.domain.enums import ApprovalStatus, ExecutionStatus
from governance_desktop.domain.workflow.definition import WorkflowDefinition
from governance_desktop.store.models import (
    Job,
    Task,
    User,
    WorkflowApproval,
    WorkflowExecution,
    WorkflowStepRun,
)

E = ExecutionStatus
ANSWER_WORDS = {
    ApprovalStatus.PENDING: "to answer",
    ApprovalStatus.APPROVED: "approved",
    ApprovalStatus.REJECTED: "rejected",
    ApprovalStatus.EXPIRED: "expired",
}


@dataclass(frozen=True)
class RunStep:
    index: int  # 0-based
    kind: str  # the action type
    name: str
    state: str  # done, skipped, waiting, running, queued, retrying, failed, rejected, not reached
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    note: str  # who answered, who has the task, the error

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds())


def run_steps(
    session: Session, execution: WorkflowExecution, defn: WorkflowDefinition, names: list[str]
) -> list[RunStep]:
    """Every step of `defn` as `execution` has got on with it."""
    run_id = execution.id
    step_runs = {
        s.step_index: s
        for s in session.scalars(
            select(WorkflowStepRun).where(WorkflowStepRun.execution_id == run_id)
        )
    }
    jobs: dict[int, list[Job]] = defaultdict(list)
    for row in session.scalars(
        select(Job).where(Job.execution_id == run_id, Job.step_index.is_not(None)).order_by(Job.id)
    ):
        jobs[row.step_index or 0].append(row)
    answers: dict[int, list[str]] = defaultdict(list)
    answered_at: dict[int, datetime] = {}
    for approval, name in session.execute(
        select(WorkflowApproval, User.display_name)
        .outerjoin(User, User.username == WorkflowApproval.approver)
        .where(WorkflowApproval.execution_id == run_id)
        .order_by(WorkflowApproval.id)
    ):
        word = ANSWER_WORDS.get(ApprovalStatus(approval.status), approval.status)
        answers[approval.step_index].append(f"{name or approval.approver} {word}")
        at = approval.responded_at
        if at is not None:
            answered_at[approval.step_index] = max(answered_at.get(approval.step_index, at), at)
    tasks: dict[int, list[str]] = defaultdict(list)
    for task, name in session.execute(
        select(Task, User.display_name)
        .outerjoin(User, User.username == Task.assignee)
        .where(Task.execution_id == run_id)
        .order_by(Task.id)
    ):
        who = name or task.assignee or "nobody"
        tasks[int(task.step_index or 0)].append(f"task '{task.title}' ({who}, {task.status})")
    steps = []
    for index, action in enumerate(defn.actions):
        step_jobs = jobs.get(index, [])
        job = step_jobs[-1] if step_jobs else None
        state = _state(execution, index, step_runs.get(index), job)
        started = next((j.started_at for j in step_jobs if j.started_at), None)
        finished = job.finished_at if job is not None and state != "waiting" else None
        if action.type == "approval":
            finished = answered_at.get(index) if state in ("done", "rejected") else None
        note_parts = answers.get(index, []) + tasks.get(index, [])
        if state == "failed" and job is not None and job.error:
            note_parts.append(job.error.strip().splitlines()[0])
        run = step_runs.get(index)
        if run is not None and run.status == "skipped":
            note_parts.append(
                f"skipped by {run.result.get('skipped_by')}: {run.result.get('reason')}"
            )
        steps.append(
            RunStep(
                index,
                str(action.type),
                names[index],
                state,
                started,
                finished,
                sum(j.attempts for j in step_jobs),
                "; ".join(note_parts),
            )
        )
    return steps


def _state(
    execution: WorkflowExecution, index: int, run: WorkflowStepRun | None, job: Job | None
) -> str:
    status = execution.status
    current = execution.current_step
    if run is not None and run.status == "skipped":
        return "skipped"
    if index < current or status == E.COMPLETED:
        return "done"
    if index > current:
        return "not reached"
    if status == E.AWAITING_APPROVAL:
        return "waiting"
    if status == E.FAILED:
        return "failed"
    if status == E.REJECTED:
        return "rejected"
    if status == E.CANCELLED:
        return "cancelled"
    return str(job.state) if job is not None else "queued"
