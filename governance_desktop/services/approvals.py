"""Answering approval requests: who may answer which request (docs/authority.md), and what a
met rule or a rejection does. When an approval step's rule is met, the workflow moves on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance_desktop.domain.authority import Permission, allows, refusal
from governance_desktop.domain.clock import local_date
from governance_desktop.domain.enums import (
    ApprovalStatus,
    EntityType,
    ExecutionStatus,
    PolicyStatus,
)
from governance_desktop.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from governance_desktop.domain.identity import Meaning, RecordKind
from governance_desktop.domain.text import COMMENT_MAX, check_text
from governance_desktop.domain.workflow.definition import (
    ApprovalAction,
    WorkflowDefinition,
    required_approvals,
)
from governance_desktop.services.audit import AuditService
from governance_desktop.services.authority import Actor, acting_user
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.delegations import active_delegate
from governance_desktop.services.dispatch import JobDispatcher, dispatch_after_commit
from governance_desktop.services.document import barred, mark_approved, version_state
from governance_desktop.services.dto import ApprovalInfo, SignatureInfo
from governance_desktop.services.escalation import overdue_days
from governance_desktop.services.identity import Signer
from governance_desktop.services.job_rows import advance, insert_job
from governance_desktop.services.policies import PolicyService
from governance_desktop.services.policy_rows import PolicyRow, load_policy
from governance_desktop.services.rejection import return_rejected
from governance_desktop.services.signatures import require_signer, sign, signatures_for
from governance_desktop.services.workflows import version_definition
from governance_desktop.store.conflicts import retry_conflicts
from governance_desktop.store.db import Database
from governance_desktop.store.models import (
    Policy,
    Workflow,
    WorkflowApproval,
    WorkflowExecution,
    WorkflowStepRun,
)
from governance_desktop.store.types import utcnow

#: How an admin's answer for another approver is recorded in the audit trail.
ON_BEHALF = "admin for approver"


def approval_info(
    row: WorkflowApproval, workflow: str, policy: str, signature: SignatureInfo | None = None
) -> ApprovalInfo:
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
        content_hash=row.content_hash,
        on_behalf_reason=row.on_behalf_reason,
        delegated_from=row.delegated_from,
        overdue_days=overdue_days(row.due_at, utcnow()) if row.status == "pending" else None,
        signature=signature,
    )


def approval_steps(defn: WorkflowDefinition) -> list[int]:
    """The indexes of ``defn``'s approval steps, in order."""
    return [i for i, action in enumerate(defn.actions) if isinstance(action, ApprovalAction)]


_MEANINGS = {ApprovalStatus.APPROVED: Meaning.APPROVED, ApprovalStatus.REJECTED: Meaning.REJECTED}


class ApprovalService:
    """Approve and reject requests; checks the answering person in the service."""

    def __init__(
        self,
        db: Database,
        audit: AuditService,
        dispatcher: JobDispatcher,
        policies: PolicyService,
    ) -> None:
        self._db = db
        self._cache = DatabaseCache.of(db)
        self._audit = audit
        self._dispatcher = dispatcher
        self._policies = policies  # a met rule moves the policy; a rejection returns it

    def approve(
        self,
        approval_id: int,
        actor: str,
        comment: str | None = None,
        reason: str | None = None,
        *,
        signer: Signer | None = None,
    ) -> ApprovalInfo:
        """Approve, signed by ``signer`` (the actor, who has just given their password);
        ``reason`` is required when an admin answers another approver's request."""
        return self._answer(approval_id, actor, ApprovalStatus.APPROVED, comment, reason, signer)

    def reject(
        self,
        approval_id: int,
        actor: str,
        comment: str | None,
        reason: str | None = None,
        *,
        signer: Signer | None = None,
    ) -> ApprovalInfo:
        if not comment or not comment.strip():
            raise ValidationError("a rejection needs a reason", "comment")
        return self._answer(
            approval_id, actor, ApprovalStatus.REJECTED, comment.strip(), reason, signer
        )

    @retry_conflicts
    def _answer(
        self,
        approval_id: int,
        actor: str,
        answer: ApprovalStatus,
        comment: str | None,
        reason: str | None,
        signer: Signer | None,
    ) -> ApprovalInfo:
        verb = "approving" if answer is ApprovalStatus.APPROVED else "rejecting"
        signer = require_signer(signer, actor, f"{verb} approval {approval_id}")
        if comment:
            check_text(comment, "comment", COMMENT_MAX)
        if reason is not None:
            reason = check_text(reason, "reason", COMMENT_MAX).strip() or None
        with self._db.transaction() as session:
            user = acting_user(session, actor)  # unknown or deactivated: refused
            # Lock order, everywhere: the execution before its approvals.
            execution_id = session.scalar(
                select(WorkflowApproval.execution_id).where(WorkflowApproval.id == approval_id)
            )
            if execution_id is None:
                raise NotFoundError(f"unknown approval {approval_id}")
            execution = session.get(WorkflowExecution, execution_id, with_for_update=True)
            row = session.get(WorkflowApproval, approval_id, with_for_update=True)
            assert execution is not None and row is not None
            policy = load_policy(session.connection(), execution.entity_id)
            workflow = session.get(Workflow, execution.workflow_id)
            assert policy is not None and workflow is not None
            defn = version_definition(session, self._cache, execution.workflow_version_id)
            on_behalf = self._check(session, row, execution, policy, user, reason, defn)
            row.status, row.comment = answer, comment
            row.responded_at, row.responded_by = utcnow(), actor
            row.on_behalf_reason = on_behalf
            details: dict[str, Any] = {
                "approval_id": row.id,
                "execution_id": execution.id,
                "workflow": workflow.name,
                "version": row.policy_version,
                "content_hash": row.content_hash,
                "comment": comment,
                "delegated_from": row.delegated_from,
            }
            if on_behalf is not None:
                details.update(answered_as=ON_BEHALF, on_behalf_of=row.approver, reason=on_behalf)
            meaning = str(_MEANINGS[answer])
            if on_behalf is not None:
                meaning = f"{meaning} (admin for {row.approver})"
            session.flush()
            signature = sign(
                session,
                self._audit,
                signer,
                RecordKind.APPROVAL,
                row.id,
                row.content_hash or "",
                meaning,
                comment,
            )
            details["signature_id"] = signature.id
            code = policy.info.code
            action = f"approval.{answer.value}"
            self._audit.record(session, actor, action, EntityType.POLICY, code, details)
            session.flush()
            self._settle(session, execution, row.step_index, answer, policy, actor, comment, defn)
            return approval_info(row, workflow.name, policy.info.code, signature)

    # --- who may answer -------------------------------------------------------------------

    def _check(
        self,
        session: Session,
        row: WorkflowApproval,
        execution: WorkflowExecution,
        policy: PolicyRow,
        user: Actor,
        reason: str | None,
        defn: WorkflowDefinition,
    ) -> str | None:
        """Refuse an answer the rules do not allow; returns the on-behalf reason, if any."""
        if row.status != ApprovalStatus.PENDING:
            raise ConflictError(f"approval {row.id} is already {row.status}")
        if execution.status != ExecutionStatus.AWAITING_APPROVAL:
            raise ConflictError(
                f"approval {row.id} is no longer open "
                f"(execution {execution.id} is {execution.status})"
            )
        on_behalf = self._answering_for(session, row, user, reason)
        if not defn.allow_self_approval:
            self._check_segregation(session, row, execution, policy, user.username)
        self._check_one_vote(session, row, user.username)
        self._check_text(session, row, policy)
        return on_behalf

    @staticmethod
    def _answering_for(
        session: Session, row: WorkflowApproval, user: Actor, reason: str | None
    ) -> str | None:
        """A person answers the requests addressed to them; an admin may answer another
        approver's with a reason (recorded as "admin for approver"). Returns that reason."""
        actor = user.username
        if row.approver == actor:
            if not allows(user.role, Permission.ANSWER_APPROVALS):
                raise PermissionDeniedError(refusal(actor, user.role, Permission.ANSWER_APPROVALS))
            return None
        # A delegate in force today answers in the approver's place (services/delegations.py).
        if active_delegate(session, row.approver, local_date(utcnow())) == actor:
            if not allows(user.role, Permission.ANSWER_APPROVALS):
                raise PermissionDeniedError(refusal(actor, user.role, Permission.ANSWER_APPROVALS))
            row.delegated_from = row.approver
            return None
        if not allows(user.role, Permission.ANSWER_ON_BEHALF):
            raise PermissionDeniedError(
                f"approval {row.id} is for '{row.approver}', not '{actor}' (rule: role)"
            )
        if not reason:
            raise ValidationError(
                f"answering approval {row.id} for '{row.approver}' needs a reason "
                "(rule: admin for approver)",
                "reason",
            )
        return reason

    @staticmethod
    def _check_segregation(
        session: Session,
        row: WorkflowApproval,
        execution: WorkflowExecution,
        policy: PolicyRow,
        actor: str,
    ) -> None:
        """The requester, the author of the version under approval and anyone who edited the
        text since the last approved version may not answer (on behalf of others neither)."""
        number = row.policy_version if row.policy_version is not None else policy.info.version
        why = barred(session, policy.id, number, execution.started_by).get(actor)
        if why is not None:
            raise PermissionDeniedError(
                f"'{actor}' {why} and cannot answer approval {row.id} (rule: segregation of duties)"
            )

    @staticmethod
    def _check_one_vote(session: Session, row: WorkflowApproval, actor: str) -> None:
        """Within one approval step a person counts once, whoever's request they answer."""
        earlier = session.scalar(
            select(WorkflowApproval.id).where(
                WorkflowApproval.execution_id == row.execution_id,
                WorkflowApproval.step_index == row.step_index,
                WorkflowApproval.responded_by == actor,
                WorkflowApproval.status.in_((ApprovalStatus.APPROVED, ApprovalStatus.REJECTED)),
                WorkflowApproval.id != row.id,
            )
        )
        if earlier is not None:
            raise PermissionDeniedError(
                f"'{actor}' already answered approval {earlier} of this step; a person counts "
                "once per step (rule: one person, one vote)"
            )

    @staticmethod
    def _check_text(session: Session, row: WorkflowApproval, policy: PolicyRow) -> None:
        """The answer is for the text the request pinned (its content hash), nothing else."""
        code, now = policy.info.code, policy.info.version
        if row.content_hash is not None:
            same = version_state(session, policy.id, now).content_hash == row.content_hash
        else:  # a request made before content hashes were pinned
            same = row.policy_version is None or row.policy_version == now
        if not same:
            raise ConflictError(
                f"{code} changed since approval {row.id} was requested "
                f"(version {row.policy_version} → {now}); it cannot carry over"
            )

    # --- what an answer does --------------------------------------------------------------

    def _settle(
        self,
        session: Session,
        execution: WorkflowExecution,
        step: int,
        answer: ApprovalStatus,
        policy: PolicyRow,
        actor: str,
        comment: str | None,
        defn: WorkflowDefinition,
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
            return_rejected(
                session, self._policies, self._audit, execution, policy, actor, comment or "", defn
            )
            return
        action = defn.actions[step]
        assert isinstance(action, ApprovalAction)
        approved = [r for r in rows if r.status == ApprovalStatus.APPROVED and r.responded_by]
        people = {r.responded_by for r in approved}  # one person, one vote
        # A row expired before the rule was met (its approver was deactivated and the user
        # who took over already answers this step) no longer counts towards "all".
        asked = sum(r.status != ApprovalStatus.EXPIRED for r in rows)
        if len(people) < required_approvals(action.rule, asked):
            return
        self._close_others(rows, "not needed: the approval rule was met")
        step_run.status = "completed"
        step_run.result = {
            **step_run.result,
            "approved_by": sorted(str(person) for person in people),
            "answered_for": {
                r.approver: r.responded_by for r in approved if r.responded_by != r.approver
            },
        }
        if step == approval_steps(defn)[-1]:
            self._approve_policy(session, execution, policy, rows, actor)
        next_step = advance(execution)
        if next_step is not None:
            job = insert_job(session.connection(), execution.id, next_step)
            dispatch_after_commit(session, [job], self._dispatcher)

    def _approve_policy(
        self,
        session: Session,
        execution: WorkflowExecution,
        policy: PolicyRow,
        rows: list[WorkflowApproval],
        actor: str,
    ) -> None:
        """The last approval step's rule, met while the policy awaits approval, approves the
        text it was asked about (its pinned content hash) and moves the policy to approved,
        in this transaction: docs/authority.md."""
        asked = {r.content_hash for r in rows}
        if policy.info.status != PolicyStatus.AWAITING_APPROVAL or len(asked) != 1:
            return
        digest = asked.pop()
        if digest is None:
            return
        # The current version, if its text is the one asked about (a request pins content).
        if not mark_approved(session, policy.id, policy.info.version, digest, execution.id):
            return
        self._policies.apply_status(
            session, policy, PolicyStatus.APPROVED, actor, parent_execution_id=execution.id
        )

    @staticmethod
    def _close_others(rows: list[WorkflowApproval], reason: str) -> None:
        now = utcnow()
        for other in rows:
            if other.status == ApprovalStatus.PENDING:
                other.status = ApprovalStatus.EXPIRED
                other.comment = reason
                other.responded_at = now

    # --- reading --------------------------------------------------------------------------

    _LISTED = (
        select(WorkflowApproval, Workflow.name, Policy.code)
        .join(WorkflowExecution, WorkflowExecution.id == WorkflowApproval.execution_id)
        .join(Workflow, Workflow.id == WorkflowExecution.workflow_id)
        .join(Policy, Policy.id == WorkflowExecution.entity_id)
        .order_by(WorkflowApproval.id)
    )

    def list(
        self,
        approver: str | None = None,
        status: ApprovalStatus | None = None,
        *,
        policy: str | None = None,
    ) -> list[ApprovalInfo]:
        query = self._LISTED
        if policy is not None:
            query = query.where(Policy.code == policy)
        if approver is not None:
            query = query.where(WorkflowApproval.approver == approver)
        if status is not None:
            query = query.where(WorkflowApproval.status == status)
        with self._db.reading() as session:
            return _with_signatures(session, [(a, w, p) for a, w, p in session.execute(query)])

    def get(self, approval_id: int) -> ApprovalInfo:
        with self._db.reading() as session:
            found = session.execute(self._LISTED.where(WorkflowApproval.id == approval_id)).first()
            if found is None:
                raise NotFoundError(f"unknown approval {approval_id}")
            approval, workflow, code = found
            return _with_signatures(session, [(approval, workflow, code)])[0]


def _with_signatures(
    session: Session, rows: list[tuple[WorkflowApproval, str, str]]
) -> list[ApprovalInfo]:
    """Each approval with its answer's signature (the latest, if several)."""
    answered = [row.id for row, _w, _p in rows if row.responded_by is not None]
    signed = signatures_for(session, RecordKind.APPROVAL, answered) if answered else {}
    return [
        approval_info(row, workflow, policy, _latest(signed.get(str(row.id))))
        for row, workflow, policy in rows
    ]


def _latest(signatures: list[SignatureInfo] | None) -> SignatureInfo | None:
    return signatures[-1] if signatures else None
