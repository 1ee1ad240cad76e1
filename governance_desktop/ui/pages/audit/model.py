"""The audit page's table model: lazy keyset pages of audit events, newest first."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt

from governance_desktop.services.audit_pages import AuditFilter, AuditPages
from governance_desktop.services.dto import AuditEventInfo
from governance_desktop.ui.background import Background
from governance_desktop.ui.paged_model import PAGE_SIZE, PagedTableModel
from governance_desktop.ui.pages.jobs.model import when

#: The informative columns first; the id and hash (full in the details pane) last.
COLUMNS = ("When", "Actor", "Action", "Entity", "Details", "ID", "Hash")
C_WHEN, C_ACTOR, C_ACTION, C_ENTITY, C_DETAILS, C_ID, C_HASH = range(7)


def details_text(details: dict[str, Any]) -> str:
    """`key: value` pairs on one line, the way a person would read them."""
    return ", ".join(
        f"{key}: {value if isinstance(value, str | int | float) else json.dumps(value)}"
        for key, value in details.items()
    )


class AuditModel(PagedTableModel[AuditEventInfo]):
    """Audit events newest first; `set_filter` takes a new snapshot, `apply_rows` appends."""

    headers = COLUMNS

    def __init__(
        self, pages: AuditPages, background: Background, parent: QObject | None = None
    ) -> None:
        super().__init__(background, parent)
        self._service = pages
        self.filter = AuditFilter()

    def set_filter(self, flt: AuditFilter) -> None:
        if flt != self.filter:
            self.filter = flt
            self.reload()

    def snapshot_fn(self) -> Callable[[], tuple[int, int, list[AuditEventInfo], Any]]:
        service, flt = self._service, self.filter

        def run() -> tuple[int, int, list[AuditEventInfo], Any]:
            snap = service.snapshot(flt, PAGE_SIZE)
            return snap.total, snap.top_id, snap.first_page, None

        return run

    def page_fn(
        self, top_id: int, offset: int, after_id: int | None
    ) -> Callable[[], list[AuditEventInfo]]:
        service, flt = self._service, self.filter
        return lambda: service.page(flt, top_id, offset, PAGE_SIZE, after_id)

    def accepts(self, row: AuditEventInfo) -> bool:
        return self.filter.matches(row)

    def cell(self, event: AuditEventInfo, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == C_ID:
                return str(event.id)
            if column == C_WHEN:
                return when(event.occurred_at)
            if column == C_ACTOR:
                return event.actor
            if column == C_ACTION:
                return event.action
            if column == C_ENTITY:
                return f"{event.entity_type} {event.entity_id}"
            if column == C_DETAILS:
                return details_text(event.details)
            return event.hash[:12]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == C_WHEN:
                return event.occurred_at.astimezone().isoformat(sep=" ", timespec="seconds")
            if column == C_DETAILS:
                return json.dumps(event.details, indent=2, ensure_ascii=False)
            if column == C_HASH:
                return event.hash
        if role == Qt.ItemDataRole.TextAlignmentRole and column == C_ID:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
