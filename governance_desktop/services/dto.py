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


@dataclass(frozen=True)
class PolicyInfo:
    code: str
    title: str
    status: str
    owner: str | None
    assignee: str | None
    body: str
    review_interval_days: int
    next_review_date: date | None
    version: int
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class WorkflowInfo:
    name: str
    version: int
    enabled: bool
    entity_type: str
    trigger_type: str
    description: str
    updated_at: datetime


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
