"""Collecting the evidence record of one policy for an auditor: the policy, every version with
its signatures and its diff from the one before, every approval request with its signature's
manifestation, its workflow executions with their steps, its audit events with their hashes,
and the audit chain's head at export time.

Everything is read in one read transaction (on SQLite one snapshot), so the events listed,
the records they describe and the chain head agree. Exporting needs `Permission.EXPORT`
(officers, auditors, admins). Rendering is elsewhere: the PDF in ui/evidence (Qt), the CSV
bundle in services/evidence_files.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from governance_desktop.domain.authority import Permission
from governance_desktop.domain.clock import Clock, utc_now
from governance_desktop.domain.enums import EntityType
from governance_desktop.domain.identity import RecordKind
from governance_desktop.services.approvals import approval_info
from governance_desktop.services.audit import GENESIS, AuditService
from governance_desktop.services.authority import require_permission
from governance_desktop.services.dto import (
    ApprovalInfo,
    ExecutionInfo,
    PolicyInfo,
    SignatureInfo,
    StepInfo,
)
from governance_desktop.services.policies import policy_info, require_policy
from governance_desktop.services.policy_versions import (
    VersionDiff,
    VersionInfo,
    VersionText,
    diff_texts,
)
from governance_desktop.services.read_models import execution_info
from governance_desktop.services.signatures import signatures_for
from governance_desktop.store.db import Database
from governance_desktop.store.models import (
    AuditEvent,
    Job,
    Policy,
    PolicyVersion,
    Workflow,
    WorkflowApproval,
    WorkflowExecution,
    WorkflowStepRun,
    WorkflowVersion,
)


@dataclass(frozen=True)
class VersionEvidence:
    """One saved version, its signatures (in ``info``) and what changed from the one before
    (``diff.from_version`` None for the first)."""

    info: VersionInfo
    title: str
    body: str
    diff: VersionDiff


@dataclass(frozen=True)
class StepEvidence:
    """One step that ran, with the timings of the job that ran it (None: no job row)."""

    step: StepInfo
    job_state: str | None
    attempts: int | None
    enqueued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class ExecutionEvidence:
    execution: ExecutionInfo
    steps: tuple[StepEvidence, ...]


@dataclass(frozen=True)
class AuditRecord:
    """One audit event as stored, with both links of the chain."""

    id: int
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainState:
    """The audit chain at export time: ``events`` events ending at ``head_hash``; ``ok`` is
    the verdict of walking it (``problem`` names the first bad event)."""

    events: int
    head_hash: str
    ok: bool
    problem: str | None


@dataclass(frozen=True)
class Evidence:
    """Everything the evidence export holds for one policy."""

    policy: PolicyInfo
    exported_at: datetime
    exported_by: str
    exported_by_name: str
    versions: tuple[VersionEvidence, ...]
    approvals: tuple[ApprovalInfo, ...]
    executions: tuple[ExecutionEvidence, ...]
    audit: tuple[AuditRecord, ...]
    chain: ChainState


def when(value: datetime | None) -> str:
    """A time as the evidence prints it: UTC to the second, with the zone; empty if None."""
    if value is None:
        return ""
    if value.tzinfo is None:  # stored times are UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class EvidenceService:
    """Reads one policy's evidence record (`collect`); writes nothing."""

    def __init__(self, db: Database, audit: AuditService, clock: Clock = utc_now) -> None:
        self._db = db
        self._audit = audit
        self._clock = clock

    def collect(self, actor: str, code: str) -> Evidence:
        """The evidence of ``code``, if ``actor`` may export (Permission.EXPORT)."""
        with self._db.reading() as session:
            user = require_permission(session, actor, Permission.EXPORT)
            policy = require_policy(session, code)
            versions = _versions(session, policy)
            approvals = _approvals(session, policy)
            executions = _executions(session, policy)
            audit = _audit(session, policy, approvals)
            count, head = _head(session)
            exported_at = self._clock()
            info = policy_info(policy)
        # The chain is walked after the snapshot: its head must still be in an intact chain.
        verdict = self._audit.verify(anchor=head) if count else None
        chain = ChainState(
            count,
            head,
            verdict.ok if verdict is not None else True,
            verdict.problem if verdict is not None else None,
        )
        return Evidence(
            policy=info,
            exported_at=exported_at,
            exported_by=user.username,
            exported_by_name=user.display_name,
            versions=versions,
            approvals=approvals,
            executions=executions,
            audit=audit,
            chain=chain,
        )


def _head(session: Session) -> tuple[int, str]:
    count = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    head = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return count, head or GENESIS


def _versions(session: Session, policy: Policy) -> tuple[VersionEvidence, ...]:
    rows = list(
        session.scalars(
            select(PolicyVersion)
            .where(PolicyVersion.policy_id == policy.id)
            .order_by(PolicyVersion.number)
        )
    )
    signed = signatures_for(session, RecordKind.POLICY_VERSION, [r.id for r in rows])
    effective = policy.effective_version
    working = policy.version if policy.version > (effective or 0) else None
    out: list[VersionEvidence] = []
    previous: VersionText | None = None
    for row in rows:
        text = VersionText(
            number=row.number,
            content_hash=row.content_hash,
            created_by=row.created_by,
            created_at=row.created_at,
            approved_at=row.approved_at,
            published_at=row.published_at,
            is_effective=row.number == effective,
            is_working=row.number == working and policy.status != "retired",
            signatures=tuple(signed.get(str(row.id), ())),
            title=row.title,
            body=row.body,
            owner=row.owner,
            review_interval_days=row.review_interval_days,
        )
        diff = diff_texts(policy.code, previous, text)
        out.append(VersionEvidence(diff.to_version, row.title, row.body, diff))
        previous = text
    return tuple(out)


def _approvals(session: Session, policy: Policy) -> tuple[ApprovalInfo, ...]:
    rows = list(
        session.execute(
            select(WorkflowApproval, Workflow.name)
            .join(WorkflowExecution, WorkflowExecution.id == WorkflowApproval.execution_id)
            .join(Workflow, Workflow.id == WorkflowExecution.workflow_id)
            .where(
                WorkflowExecution.entity_type == EntityType.POLICY,
                WorkflowExecution.entity_id == policy.id,
            )
            .order_by(WorkflowApproval.id)
        )
    )
    answered = [row.id for row, _ in rows if row.responded_by is not None]
    signed = signatures_for(session, RecordKind.APPROVAL, answered) if answered else {}
    return tuple(
        approval_info(row, workflow, policy.code, _latest(signed.get(str(row.id), [])))
        for row, workflow in rows
    )


def _latest(signatures: list[SignatureInfo]) -> SignatureInfo | None:
    """An answer's signature: the latest, if several."""
    return signatures[-1] if signatures else None


def _executions(session: Session, policy: Policy) -> tuple[ExecutionEvidence, ...]:
    found = session.execute(
        select(WorkflowExecution, Workflow.name, WorkflowVersion.version)
        .join(Workflow, Workflow.id == WorkflowExecution.workflow_id)
        .join(WorkflowVersion, WorkflowVersion.id == WorkflowExecution.workflow_version_id)
        .where(
            WorkflowExecution.entity_type == EntityType.POLICY,
            WorkflowExecution.entity_id == policy.id,
        )
        .order_by(WorkflowExecution.id)
    )
    out: list[ExecutionEvidence] = []
    for execution, name, version in found:
        info = execution_info(execution, name, version, policy.code)
        out.append(ExecutionEvidence(info, _steps(session, execution.id)))
    return tuple(out)


def _steps(session: Session, execution_id: int) -> tuple[StepEvidence, ...]:
    jobs: dict[int, Job] = {}
    for job in session.scalars(
        select(Job).where(Job.execution_id == execution_id).order_by(Job.id)
    ):
        if job.step_index is not None:
            jobs[job.step_index] = job  # the latest job of a step ran it
    steps = session.scalars(
        select(WorkflowStepRun)
        .where(WorkflowStepRun.execution_id == execution_id)
        .order_by(WorkflowStepRun.step_index)
    )
    out: list[StepEvidence] = []
    for s in steps:
        step = StepInfo(s.step_index, s.action_type, s.status, dict(s.result), s.created_at)
        ran = jobs.get(s.step_index)
        out.append(
            StepEvidence(
                step,
                ran.state if ran else None,
                ran.attempts if ran else None,
                ran.enqueued_at if ran else None,
                ran.started_at if ran else None,
                ran.finished_at if ran else None,
            )
        )
    return tuple(out)


def _audit(
    session: Session,
    policy: Policy,
    approvals: Sequence[ApprovalInfo],
) -> tuple[AuditRecord, ...]:
    """Events about the policy, and the signature events on its versions and approvals."""
    version_ids = [
        str(i)
        for i in session.scalars(
            select(PolicyVersion.id).where(PolicyVersion.policy_id == policy.id)
        )
    ]
    about = [(AuditEvent.entity_type == EntityType.POLICY) & (AuditEvent.entity_id == policy.code)]
    if version_ids:
        about.append(
            (AuditEvent.entity_type == RecordKind.POLICY_VERSION)
            & AuditEvent.entity_id.in_(version_ids)
        )
    approval_ids = [str(a.id) for a in approvals]
    if approval_ids:
        about.append(
            (AuditEvent.entity_type == RecordKind.APPROVAL) & AuditEvent.entity_id.in_(approval_ids)
        )
    rows = session.scalars(select(AuditEvent).where(or_(*about)).order_by(AuditEvent.id))
    return tuple(
        AuditRecord(
            r.id,
            r.occurred_at,
            r.actor,
            r.action,
            r.entity_type,
            r.entity_id,
            dict(r.details),
            r.prev_hash,
            r.hash,
        )
        for r in rows
    )
