"""Names shared by every layer. Values are the lower-case names used in JSON and the CLI."""

from enum import StrEnum


class PolicyStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    PUBLISHED = "published"
    RETIRED = "retired"


class Role(StrEnum):
    OFFICER = "officer"
    APPROVER = "approver"
    ADMIN = "admin"
    AUDITOR = "auditor"


class EntityType(StrEnum):
    POLICY = "policy"


class TriggerType(StrEnum):
    ON_CREATE = "on_create"
    ON_UPDATE = "on_update"
    ON_STATUS_CHANGE = "on_status_change"
    ON_SCHEDULE = "on_schedule"
    MANUAL = "manual"


class ActionType(StrEnum):
    SET_STATUS = "set_status"
    NOTIFY = "notify"
    ASSIGN = "assign"
    CREATE_TASK = "create_task"
    APPROVAL = "approval"


class ExecutionStatus(StrEnum):
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    AWAITING_APPROVAL = "awaiting_approval"
    COMPLETED = "completed"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class JobKind(StrEnum):
    EXECUTE_WORKFLOW = "EXECUTE_WORKFLOW"
    EXECUTE_WORKFLOW_ACTION = "EXECUTE_WORKFLOW_ACTION"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"
