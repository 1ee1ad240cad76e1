"""SQLAlchemy models for every entity in DESIGN.md. Enums are stored as their lower-case names."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from governance_desktop.store.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

USERNAME = String(64)
STATE = String(32)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(USERNAME, unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(STATE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A deactivated user cannot act, be named in a new workflow version or be assigned.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The credential (services/identity.py): an argon2id hash, never the password itself.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SigningKey(Base):
    """A user's Ed25519 key pair; the private key is wrapped (AES-GCM) under a key derived
    from the user's password. A retired key stays: older signatures verify against it."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username"), index=True)
    public_key: Mapped[str] = mapped_column(String(64))  # raw 32 bytes, hex
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    kdf_salt: Mapped[bytes] = mapped_column(LargeBinary)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    kdf: Mapped[str] = mapped_column(String(100))  # e.g. "argon2id:t=3,m=65536,p=4"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Signature(Base):
    """An electronic signature (21 CFR 11.50/11.70): who signed which record, meaning what.

    ``signature`` is Ed25519 over domain.identity.signed_payload of the other fields, so it
    cannot be moved to another record or changed without `audit verify` noticing."""

    __tablename__ = "signatures"
    __table_args__ = (Index("ix_signatures_record", "record_kind", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_kind: Mapped[str] = mapped_column(STATE)
    record_id: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    meaning: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str | None] = mapped_column(Text)
    signer: Mapped[str] = mapped_column(USERNAME)
    printed_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"))
    signature: Mapped[str] = mapped_column(String(128))  # 64 bytes, hex


class AuditCheckpoint(Base):
    """A verified prefix of the audit chain: `audit verify` re-checks from the latest one."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    events: Mapped[int] = mapped_column(Integer)
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Policy(Base):
    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(STATE, index=True)
    owner: Mapped[str | None] = mapped_column(ForeignKey("users.username"))
    assignee: Mapped[str | None] = mapped_column(ForeignKey("users.username"))
    review_interval_days: Mapped[int] = mapped_column(Integer, default=365)
    next_review_date: Mapped[date | None] = mapped_column(Date, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(USERNAME)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(USERNAME)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # The published version in force (None until the first publication, and once retired);
    # `version` is the newest saved version, the working revision when it is greater.
    effective_version: Mapped[int | None] = mapped_column(Integer)


class PolicyVersion(Base):
    """One saved text of a policy: immutable once written, identified by its content hash.

    ``approved_at`` / ``approved_execution_id`` are set when an approval rule is met for
    exactly this content while the policy awaits approval (the latest such round);
    ``published_at`` when it takes effect."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("policy_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str | None] = mapped_column(USERNAME)
    review_interval_days: Mapped[int] = mapped_column(Integer)
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(USERNAME)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_execution_id: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Delegation(Base):
    """``delegator`` lets ``delegate`` answer their approvals from ``starts_on`` to ``ends_on``
    (both included, the delegator's calendar dates)."""

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delegator: Mapped[str] = mapped_column(ForeignKey("users.username"), index=True)
    delegate: Mapped[str] = mapped_column(ForeignKey("users.username"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(USERNAME)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Workflow(Base):
    """A named workflow; its definitions live in immutable WorkflowVersion rows.

    trigger_type / trigger_to_status copy the current version's trigger so the engine finds
    candidate workflows with one indexed lookup instead of scanning every definition.
    """

    __tablename__ = "workflows"
    __table_args__ = (
        Index("ix_workflows_lookup", "entity_type", "trigger_type", "enabled", "trigger_to_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    entity_type: Mapped[str] = mapped_column(STATE)
    trigger_type: Mapped[str] = mapped_column(STATE)
    trigger_to_status: Mapped[str | None] = mapped_column(STATE)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    # The last cron tick this schedule ran for; a tick is claimed by moving this forward.
    last_scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Generation(Base):
    """A named counter a write moves by one in its own transaction (``store.generations``):
    a cache of what such writes change is checked against it with one primary-key read."""

    __tablename__ = "generations"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class WorkflowVersion(Base):
    __tablename__ = "workflow_versions"
    __table_args__ = (UniqueConstraint("workflow_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(USERNAME)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WorkflowExecution(Base):
    __tablename__ = "workflow_executions"
    __table_args__ = (Index("ix_workflow_executions_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id"), index=True)
    workflow_version_id: Mapped[int] = mapped_column(ForeignKey("workflow_versions.id"))
    entity_type: Mapped[str] = mapped_column(STATE)
    entity_id: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(STATE)
    input_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(STATE, index=True)
    current_step: Mapped[int] = mapped_column(Integer, default=0)
    step_count: Mapped[int] = mapped_column(Integer, default=0)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    parent_execution_id: Mapped[int | None] = mapped_column(ForeignKey("workflow_executions.id"))
    started_by: Mapped[str] = mapped_column(USERNAME)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WorkflowStepRun(Base):
    """One row per (execution, step): the idempotency key of an action's effect."""

    __tablename__ = "workflow_step_runs"
    __table_args__ = (UniqueConstraint("execution_id", "step_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("workflow_executions.id"))
    step_index: Mapped[int] = mapped_column(Integer)
    action_type: Mapped[str] = mapped_column(STATE)
    status: Mapped[str] = mapped_column(STATE)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WorkflowApproval(Base):
    __tablename__ = "workflow_approvals"
    __table_args__ = (
        Index("ix_workflow_approvals_approver_status", "approver", "status"),
        UniqueConstraint("execution_id", "step_index", "approver"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("workflow_executions.id"))
    step_index: Mapped[int] = mapped_column(Integer)
    approver: Mapped[str] = mapped_column(ForeignKey("users.username"))
    status: Mapped[str] = mapped_column(STATE)
    comment: Mapped[str | None] = mapped_column(Text)
    policy_version: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_by: Mapped[str | None] = mapped_column(USERNAME)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The content hash of the policy version this request is for; an answer to other text
    # is refused, and meeting the rule approves exactly this content.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # Set when an admin answered for the approver (the reason is required), or a delegate did.
    on_behalf_reason: Mapped[str | None] = mapped_column(Text)
    delegated_from: Mapped[str | None] = mapped_column(USERNAME)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_assignee_status", "assignee", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(Text, default="")
    assignee: Mapped[str | None] = mapped_column(ForeignKey("users.username"))
    status: Mapped[str] = mapped_column(STATE)
    due_date: Mapped[date | None] = mapped_column(Date)
    entity_type: Mapped[str | None] = mapped_column(STATE)
    entity_id: Mapped[int | None] = mapped_column(Integer)
    execution_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflow_executions.id"), index=True
    )
    step_index: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(ForeignKey("users.username"))
    title: Mapped[str] = mapped_column(String(2000))
    body: Mapped[str] = mapped_column(Text, default="")
    entity_type: Mapped[str | None] = mapped_column(STATE)
    entity_id: Mapped[int | None] = mapped_column(Integer)
    execution_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflow_executions.id"), index=True
    )
    step_index: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Job(Base):
    """The monitor's record of one queued unit of work; the source of truth, not the queue."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_execution_step", "execution_id", "step_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(STATE)
    execution_id: Mapped[int | None] = mapped_column(ForeignKey("workflow_executions.id"))
    step_index: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(STATE, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class AuditEvent(Base):
    """Append-only; each row carries the hash of its content chained to the previous row."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(USERNAME)
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(STATE)
    entity_id: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
