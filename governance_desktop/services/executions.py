"""A person's control of one execution: cancel it (admin, or the person who started it) or
skip its failed step (admin), each with a reason and its audit event (docs/authority.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance_desktop.domain.authority import Permission, allows, refusal
from governance_desktop.domain.enums import ActionType, EntityType, ExecutionStatus, JobState
from governance_desktop.domain.errors import (
    ConflictError,
    GovernanceError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from governance_desktop.domain.job_states import OPEN_EXECUTION
from governance_desktop.domain.text import COMMENT_MAX, check_text
from governance_desktop.services.audit import AuditService
from governance_desktop.services.authority import Actor, acting_user, require_permission
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.dispatch import JobDispatcher, dispatch_after_commit
from governance_desktop.services.ending import EndedWork, end_executions
from governance_desktop.services.job_rows import advance, insert_job
from governance_desktop.services.workflows import version_definition
from governance_desktop.store.conflicts import retry_conflicts
from governance_desktop.store.db import Database
from governance_desktop.store.models import Job, Policy, WorkflowExecution, WorkflowStepRun
from governance_desktop.store.types import utcnow


@dataclass(frozen=True)
class ExecutionOptions:
    """What `actor` may do to an execution now (the window enables its buttons by it)."""

    cancel: bool
    skip_step: bool


@dataclass(frozen=True)
class SkippedStep:
    """A skipped step and where the execution went: its next step, or completed."""

    execution_id: int
    step_index: int
    next_step: int | None
    status: str


def _reason(reason: str | None, act: str) -> str:
    """The stripped reason; refused if blank or unstorable."""
    text = (reason or "").strip()
    if not text:
        raise ValidationError(f"{act} needs a reason", "reason")
    return check_text(text, "reason", COMMENT_MAX)


def _execution(session: Session, execution_id: int, lock: bool = False) -> WorkflowExecution:
    execution = session.get(WorkflowExecution, execution_id, with_for_update=lock or None)
    if execution is None:
        raise NotFoundError(f"unknown execution {execution_id}")
    return execution


def _check_cancel(session: Session, execution: WorkflowExecution, actor: str) -> Actor:
    """The actor, if they may cancel `execution` now: admin, or an officer who started it."""
    user = acting_user(session, actor)
    if not allows(user.role, Permission.MANAGE_EXECUTIONS):
        if not allows(user.role, Permission.CANCEL_OWN_EXECUTIONS):
            raise PermissionDeniedError(refusal(actor, user.role, Permission.CANCEL_OWN_EXECUTIONS))
        if execution.started_by != actor:
            raise PermissionDeniedError(
                f"'{actor}' is {user.role} and did not start execution {execution.id} "
                f"('{execution.started_by}' did); only admin may cancel it (rule: role)"
            )
    if execution.status not in OPEN_EXECUTION:
        raise ConflictError(
            f"execution {execution.id} is {execution.status}; only a queued, in-progress or "
            "awaiting-approval execution can be cancelled"
        )
    return user


def _failed_step_job(session: Session, execution: WorkflowExecution, lock: bool = False) -> Job:
    """The failed job of the step `execution` failed on; refused if it did not fail on one."""
    if execution.status != ExecutionStatus.FAILED:
        raise ConflictError(
            f"execution {execution.id} is {execution.status}; only a failed step can be skipped"
        )
    query = (
        select(Job)
        .where(Job.execution_id == execution.id, Job.state == JobState.FAILED)
        .order_by(Job.id.desc())
        .limit(1)
    )
    job = session.scalar(query.with_for_update() if lock else query)
    if job is None or job.step_index is None or job.step_index != execution.current_step:
        raise ConflictError(
            f"execution {execution.id} did not fail on a step (it failed to start); "
            "retry its job or cancel it instead"
        )
    return job


class ExecutionControl:
    """Cancel an execution or skip its failed step, each in one transaction with its audit."""

    def __init__(self, db: Database, audit: AuditService, dispatcher: JobDispatcher) -> None:
        self._db = db
        self._cache = DatabaseCache.of(db)
        self._audit = audit
        self._dispatcher = dispatcher

    def options(self, execution_id: int, actor: str) -> ExecutionOptions:
        """Whether `cancel` and `skip_step` would be allowed now (read only)."""
        with self._db.reading() as session:
            execution = _execution(session, execution_id)
            return ExecutionOptions(
                cancel=_passes(lambda: _check_cancel(session, execution, actor)),
                skip_step=_passes(lambda: self._check_skip(session, execution, actor)),
            )

    @retry_conflicts
    def cancel(self, execution_id: int, actor: str, reason: str | None) -> EndedWork:
        """Cancel an open execution: its approvals expire, its tasks and queued jobs end."""
        text = _reason(reason, "cancelling an execution")
        with self._db.transaction() as session:
            execution = _execution(session, execution_id, lock=True)
            _check_cancel(session, execution, actor)
            return end_executions(
                session, self._audit, [execution_id], f"cancelled by {actor}: {text}", actor
            )

    @retry_conflicts
    def skip_step(self, execution_id: int, actor: str, reason: str | None) -> SkippedStep:
        """Mark the failed step skipped, its failed job cancelled, and move on to the next
        step (queued) or complete the execution if it was the last."""
        text = _reason(reason, "skipping a step")
        with self._db.transaction() as session:
            execution = _execution(session, execution_id, lock=True)
            action_type = self._check_skip(session, execution, actor)
            job = _failed_step_job(session, execution, lock=True)
            step = execution.current_step
            now = utcnow()
            result = {"skipped_by": actor, "reason": text, "job_id": job.id}
            run = session.scalar(
                select(WorkflowStepRun).where(
                    WorkflowStepRun.execution_id == execution.id,
                    WorkflowStepRun.step_index == step,
                )
            )
            if run is None:
                run = WorkflowStepRun(
                    execution_id=execution.id,
                    step_index=step,
                    action_type=action_type,
                    created_at=now,
                )
                session.add(run)
            run.status, run.result = "skipped", result
            job.state = JobState.CANCELLED
            job.message = f"step skipped by {actor}"
            job.updated_at = now
            execution.error = None
            execution.finished_at = None
            next_step = advance(execution)
            if next_step is not None:
                queued = insert_job(session.connection(), execution.id, next_step)
                dispatch_after_commit(session, [queued], self._dispatcher)
            code = session.scalar(select(Policy.code).where(Policy.id == execution.entity_id))
            self._audit.record(
                session,
                actor,
                "execution.step_skipped",
                EntityType.POLICY,
                code or str(execution.entity_id),
                {
                    "execution_id": execution.id,
                    "step": step,
                    "action": action_type,
                    "job_id": job.id,
                    "reason": text,
                },
            )
            return SkippedStep(execution.id, step, next_step, execution.status)

    def _check_skip(self, session: Session, execution: WorkflowExecution, actor: str) -> str:
        """Refused unless `actor` is admin and `execution` failed on a step that is not an
        approval; returns the step's action type."""
        require_permission(session, actor, Permission.MANAGE_EXECUTIONS)
        _failed_step_job(session, execution)
        defn = version_definition(session, self._cache, execution.workflow_version_id)
        action = defn.actions[execution.current_step]
        if action.type == ActionType.APPROVAL:
            raise ConflictError(
                f"step {execution.current_step + 1} of execution {execution.id} is an approval; "
                "it cannot be skipped, only cancelled (rule: guarded transition)"
            )
        return str(action.type)


def _passes(check: Callable[[], object]) -> bool:
    """True if calling `check` raises no user-facing error."""
    try:
        check()
    except GovernanceError:
        return False
    return True
