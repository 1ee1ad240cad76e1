"""Plain, immutable results that services hand to the CLI and the GUI."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any


def to_jsonable(value: Any) -> Any:
    """Dataclass → dict with ISO dates, for `--json` output."""
    if hasattr(value, "__dataclass_fields__"):
        return {key: to_jsonable(item) for key, item in asdict(value).items()}
    if isinstance(value, dict):
        return {key: to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class UserInfo:
    username: str
    display_name: str
    role: str
    created_at: datetime
    active: bool = True
    deactivated_at: datetime | None = None


@dataclass(frozen=True)
class DeactivationReport:
    """What `users deactivate` moved to the user named to take over."""

    username: str
    reassigned_to: str
    approvals_moved: int
    approvals_expired: int
    tasks_moved: int
    policies_moved: int


@dataclass(frozen=True)
class PolicyInfo:
    code: str
    title: str
    status: str
    owner: str | None
    assignee: str | None
    body: str | None  # None in lists that do not load bodies (PolicyService.list)
    review_interval_days: int
    next_review_date: date | None
    version: int
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    # The published version in force; `version` is the working revision when greater.
    effective_version: int | None = None


@dataclass(frozen=True)
class WorkflowInfo:
    name: str
    version: int
    enabled: bool
    entity_type: str
    trigger_type: str
    description: str
    updated_at: datetime
    allow_self_approval: bool = False  # shown in red wherever it applies


@dataclass(frozen=True)
class WorkflowVersionInfo:
    name: str
    version: int
    created_by: str
    created_at: datetime
    definition: dict[str, Any]


@dataclass(frozen=True)
class ImportResult:
    name: str
    version: int
    created: bool
    changed: bool


@dataclass(frozen=True)
class AuditEventInfo:
    id: int
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    details: dict[str, Any]
    hash: str


@dataclass(frozen=True)
class AuditVerification:
    ok: bool
    events: int
    head_hash: str
    first_bad_id: int | None = None
    problem: str | None = None
    # Not failures: e.g. an event dated before the one written just before it (the clock
    # went back); each names the event ids.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignatureInfo:
    """An electronic signature as a person reads it (21 CFR 11.50): ``manifestation`` is the
    meaning, printed name, date and time with zone in one line."""

    id: int
    record_kind: str
    record_id: str
    content_hash: str
    meaning: str
    reason: str | None
    signer: str
    printed_name: str
    signed_at: datetime
    manifestation: str


@dataclass(frozen=True)
class ApprovalInfo:
    id: int
    execution_id: int
    step_index: int
    approver: str
    status: str
    comment: str | None
    workflow: str
    policy: str
    policy_version: int | None
    requested_at: datetime
    responded_at: datetime | None
    responded_by: str | None
    due_at: datetime | None
    content_hash: str | None = None  # the text this request is for (docs/authority.md)
    on_behalf_reason: str | None = None  # set when an admin answered for the approver
    delegated_from: str | None = None  # the approver a delegate answered for
    overdue_days: int | None = None  # pending and past due_at: whole days since
    signature: SignatureInfo | None = None  # the answer's electronic signature


@dataclass(frozen=True)
class ExecutionInfo:
    id: int
    workflow: str
    workflow_version: int
    entity_type: str
    entity_id: int
    entity: str
    status: str
    error: str | None
    trigger: str
    current_step: int
    step_count: int
    depth: int
    parent_execution_id: int | None
    started_by: str
    input_data: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class StepInfo:
    step_index: int
    action_type: str
    status: str
    result: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class JobInfo:
    id: int
    kind: str
    state: str
    attempts: int
    execution_id: int | None
    step_index: int | None
    progress: float
    message: str | None
    error: str | None
    workflow: str | None
    entity: str | None
    enqueued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    run_status: str | None = None  # the status of the job's execution (None: no execution)
    run_step: int | None = None  # the execution's current step

    @property
    def run_waiting(self) -> bool:
        """The job's step ran and its run now waits for people on that step (an approval
        step's job succeeds when it has asked; the run goes on when the rule is met)."""
        return (
            self.run_status == "awaiting_approval"
            and self.step_index is not None
            and self.step_index == self.run_step
        )


@dataclass(frozen=True)
class TaskInfo:
    id: int
    title: str
    assignee: str | None
    status: str
    execution_id: int | None
    description: str
    due_date: date | None
    entity: str | None
    created_at: datetime


@dataclass(frozen=True)
class NotificationInfo:
    id: int
    user: str
    title: str
    execution_id: int | None
    body: str
    entity: str | None
    created_at: datetime
    read_at: datetime | None
