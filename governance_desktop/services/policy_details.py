"""Everything that happened to one policy: its executions, tasks and audit events."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from governance_desktop.domain.enums import EntityType
from governance_desktop.services.audit import AuditService
from governance_desktop.services.dto import AuditEventInfo, ExecutionInfo, TaskInfo
from governance_desktop.services.inbox import task_info
from governance_desktop.services.read_models import MonitorService
from governance_desktop.store.db import Database
from governance_desktop.store.models import Policy, Task


@dataclass(frozen=True)
class PolicyDetails:
    code: str
    executions: list[ExecutionInfo]
    tasks: list[TaskInfo]
    events: list[AuditEventInfo]


class PolicyDetailsService:
    """One read for the lower half of the policies page (newest first, capped)."""

    def __init__(self, db: Database, audit: AuditService, monitor: MonitorService) -> None:
        self._db = db
        self._audit = audit
        self._monitor = monitor

    def tasks(self, code: str, limit: int = 500) -> list[TaskInfo]:
        query = (
            select(Task)
            .join(Policy, Policy.id == Task.entity_id)
            .where(Task.entity_type == EntityType.POLICY, Policy.code == code)
            .order_by(Task.id.desc())
            .limit(limit)
        )
        with self._db.reading() as session:
            return [task_info(t, code) for t in session.scalars(query)]

    def details(self, code: str, limit: int = 500) -> PolicyDetails:
        return PolicyDetails(
            code=code,
            executions=self._monitor.executions(entity=code, limit=limit),
            tasks=self.tasks(code, limit),
            events=self._audit.events(EntityType.POLICY, code, limit),
        )
