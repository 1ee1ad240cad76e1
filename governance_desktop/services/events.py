"""Entity events that start workflows. PolicyService emits them inside its transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from governance_desktop.domain.enums import TriggerType


@dataclass(frozen=True)
class EntityEvent:
    entity_type: str
    entity_id: int
    trigger: TriggerType
    actor: str
    data: dict[str, Any] = field(default_factory=dict)
    parent_execution_id: int | None = None


class EventSink(Protocol):
    """Receives an event in the same transaction as the change that caused it."""

    def __call__(self, session: Session, event: EntityEvent) -> None: ...
