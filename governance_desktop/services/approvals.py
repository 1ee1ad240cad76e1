"""Answering approval requests. When an approval step's rule is met, the workflow moves on."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance_desktop.domain.clock import local_date
from governance_desktop.domain.enums import (
    ApprovalStatus,
    EntityType,
    ExecutionStatus,
    PolicyStatus,
    Role,
)
from governance_desktop.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from governance_desktop.domain.text import COMMENT_MAX, check_text
from governance_desktop.domain.workflow.definition import ApprovalAction, required_approvals
from governance_desktop.services.audit import AuditService
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.delegations import active_delegate
from governance_desktop.services.dispatch import JobDispatcher, dispatch_after_commit
from governance_desktop.services.document import mark_approved
from governance_desktop.services.dto import ApprovalInfo
from governance_desktop.services.escalation import overdue_days
from governance_desktop.services.job_rows import advance, finish, insert_job
from governance_desktop.services.users import require_user
from governance_desktop.services.workflows import version_definition
from governance_desktop.store.db import Database
from governance_desktop.store.models import (
    Policy,
    Workflow,
    WorkflowApproval,
    WorkflowExecution,
    WorkflowStepRun,
)
from governance_desktop.store.types import utcnow


def approval_info(row: WorkflowApproval, workflow: str, policy: str) -> ApprovalInfo:
    return ApprovalInfo(
        id=row.id,
        execution_id=row.execution_id,
        step_index=row.step_index,
        approver=row.approver,
        status=row.status,
        comment=row.comment,
        workflow=workflow,
        policy=policy,
        policy_version=row.policy_version,
        requested_at=row.requested_at,
        responded_at=row.responded_at,
        responded_by=row.responded_by,
        due_at=row.due_at,
        delegated_from=row.delegated_from,
        overdue_days=overdue_days(row.due_at, utcnow()) if row.status == "pending" else None,
    )


class ApprovalService:
    def __init__(self, db: Database, audit: AuditService, dispatcher: JobDispatcher) -> None:
        self._db = db
        self._cache = DatabaseCache.of(db)
        self._audit = audit
        self._dispatcher = dispatcher

    def approve(self, approval_id: int, actor: str, comment: str | None = None) -> ApprovalInfo:
        return self._answer(approval_id, actor, ApprovalStatus.APPROVED, comment)

    def reject(self, approval_id: int, actor: str, comment: str | None) -> ApprovalInfo:
        if not comment or not comment.strip():
            raise ValidationError("a rejection needs a reason", "comment")
        return self._answer(approval_id, actor, ApprovalStatus.REJECTED, comment.strip())

    def _answer(
        self, approval_id: int, actor: str, answer: ApprovalStatus, comment: str | None
    ) -> ApprovalInfo:
        if comment:
            check_text(comment, "comment", COMMENT_MAX)
        with self._db.transaction() as session:
            user = require_user(session, actor, "actor")
            row = session.get(WorkflowApproval, approval_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"unknown approval {approval_id}")
            execution = session.get(WorkflowExecution, row.execution_id, with_for_update=True)
            assert execution is not None
            policy = session.get(Policy, execution.entity_id)
            workflow = session.get(Workflow, execution.workflow_id)
            assert policy is not None and workflow is not None
            self._check(session, row, execution, policy, user.username, user.role)
            now = utcnow()
            row.status, row.comment = answer, comment
            row.responded_at, row.responded_by = now, actor
            self._audit.record(
                session,
                actor,
                f"approval.{answer.value}",
                EntityType.POLICY,
                policy.code,
                {
                    "approval_id": row.id,
                    "execution_id": execution.id,
                    "workflow": workflow.name,
                    "version": policy.version,
                    "comment": comment,
                    "delegated_from": row.delegated_from,
                },
            )
            self._settle(session, execution, row.step_index, answer, actor, comment)
            return approval_info(row, workflow.name, policy.code)

    def _check(
        self,
        session: Session,
        row: WorkflowApproval,
        execution: WorkflowExecution,
        policy: Policy,
        actor: str,
        role: str,
    ) -> None:
        if row.status != ApprovalStatus.PENDING:
            raise ConflictError(f"approval {row.id} is already {row.status}")
        if execution.status != ExecutionStatus.AWAITING_APPROVAL:
            raise ConflictError(
                f"approval {row.id} is no longer open "
                f"(execution {execution.id} is {execution.status})"
            )
        # A delegate in force today answers in the approver's place (services/delegations.py).
        delegate = actor != row.approver and (
            active_delegate(session, row.approver, local_date(utcnow())) == actor
        )
        row.delegated_from = row.approver if delegate else None
        if actor != row.approver and not delegate and role != Role.ADMIN:
            raise PermissionDeniedError(f"approval {row.id} is for '{row.approver}', not '{actor}'")
        defn = version_definition(session, self._cache, execution.workflow_version_id)
        if actor == execution.started_by and not defn.allow_self_approval:
            raise PermissionDeniedError(
                f"'{actor}' started this change and cannot approve it (segregation of duties)"
            )
        if row.policy_version is not None and policy.version != row.policy_version:
            raise ConflictError(
                f"{policy.code} changed since approval {row.id} was requested "
                f"(version {row.policy_version} → {policy.version}); it cannot carry over"
            )

    def _settle(
        self,
        session: Session,
        execution: WorkflowExecution,
        step: int,
        answer: ApprovalStatus,
        actor: str,
        comment: str | None,
    ) -> None:
        rows = list(
            session.scalars(
                select(WorkflowApproval).where(
                    WorkflowApproval.execution_id == execution.id,
                    WorkflowApproval.step_index == step,
                )
            )
        )
        step_run = session.scalar(
            select(WorkflowStepRun).where(
                WorkflowStepRun.execution_id == execution.id, WorkflowStepRun.step_index == step
            )
        )
        assert step_run is not None
        if answer == ApprovalStatus.REJECTED:
            self._close_others(rows, "rejected by another approver")
            step_run.status = "rejected"
            finish(execution, ExecutionStatus.REJECTED, f"rejected by {actor}: {comment}")
            return
        defn = version_definition(session, self._cache, execution.workflow_version_id)
        action = defn.actions[step]
        assert isinstance(action, ApprovalAction)
        approved = sum(r.status == ApprovalStatus.APPROVED for r in rows)
        if approved < required_approvals(action.rule, len(rows)):
            return
        self._close_others(rows, "not needed: the approval rule was met")
        self._approve_version(session, execution, rows)
        step_run.status = "completed"
        step_run.result = {
            **step_run.result,
            "approved_by": sorted(r.approver for r in rows if r.status == ApprovalStatus.APPROVED),
        }
        next_step = advance(execution)
        if next_step is not None:
            job = insert_job(session.connection(), execution.id, next_step)
            dispatch_after_commit(session, [job], self._dispatcher)

    @staticmethod
    def _approve_version(
        session: Session, execution: WorkflowExecution, rows: list[WorkflowApproval]
    ) -> None:
        """A rule met while the policy awaits approval approves the version it was asked
        about (its pinned content hash), and nothing else: docs/authority.md."""
        policy = session.get(Policy, execution.entity_id)
        asked = {(r.policy_version, r.content_hash) for r in rows}
        if policy is None or policy.status != PolicyStatus.AWAITING_APPROVAL or len(asked) != 1:
            return
        number, digest = asked.pop()
        if number is not None and digest is not None:
            mark_approved(session, policy.id, number, digest, execution.id)

    @staticmethod
    def _close_others(rows: list[WorkflowApproval], reason: str) -> None:
        now = utcnow()
        for other in rows:
            if other.status == ApprovalStatus.PENDING:
                other.status = ApprovalStatus.EXPIRED
                other.comment = reason
                other.responded_at = now

    def list(
        self, approver: str | None = None, status: ApprovalStatus | None = None
    ) -> list[ApprovalInfo]:
        query = (
            select(WorkflowApproval, Workflow.name, Policy.code)
            .join(WorkflowExecution, WorkflowExecution.id == WorkflowApproval.execution_id)
            .join(Workflow, Workflow.id == WorkflowExecution.workflow_id)
            .join(Policy, Policy.id == WorkflowExecution.entity_id)
            .order_by(WorkflowApproval.id)
        )
        if approver is not None:
            query = query.where(WorkflowApproval.approver == approver)
        if status is not None:
            query = query.where(WorkflowApproval.status == status)
        with self._db.reading() as session:
            return [approval_info(*row) for row in session.execute(query)]
