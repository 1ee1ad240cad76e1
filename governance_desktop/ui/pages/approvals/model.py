"""The inbox's tables: pending requests (every column sorted in SQL, overdue rows tinted and
saying "Overdue 3 days") and answered ones with their signatures."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from governance_desktop.domain.clock import utc_now
from governance_desktop.services.inbox import ApprovalItem
from governance_desktop.ui.pages.policies.models import Column, Index, RecordTableModel, show
from governance_desktop.ui.pages.workflows.models import SELF_APPROVAL_COLOUR

#: Shown, in red, with a request whose workflow version lets people approve their own change.
SELF_APPROVAL = "self-approval allowed by this workflow"
#: A translucent red under overdue rows: readable on light and dark palettes. Never the only
#: sign: the Due cell says "Overdue 3 days" too.
OVERDUE_BACKGROUND = QColor(239, 68, 68, 56)


def overdue_text(days: int | None) -> str:
    """``Overdue 3 days`` (empty when not overdue)."""
    if days is None:
        return ""
    return f"Overdue {days} day{'s' if days != 1 else ''}"


def age_text(item: ApprovalItem) -> str:
    """How long the request has waited, as of the last load: ``5 min``, ``3 h``, ``2 days``."""
    now = item.loaded_at or utc_now()
    seconds = max(0, int((now - item.requested_at).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''}"


def due_text(due: object, days: int | None) -> str:
    """The due time, and "Overdue N days" after it once it has passed."""
    when = show(due)
    late = overdue_text(days)
    return f"{when} · {late}" if when and late else when


def _note(a: ApprovalItem) -> str:
    """The SLA note, and the self-approval warning where it applies."""
    warning = SELF_APPROVAL if a.self_approval_allowed else ""
    return " · ".join(part for part in (a.note, warning) if part)


def version_text(a: ApprovalItem) -> str:
    if a.policy_version is None:
        return ""
    if a.policy_version != a.current_version:
        return f"v{a.policy_version} (now v{a.current_version})"
    return f"v{a.policy_version}"


#: (header, getter), and beside each the name `InboxService.approvals` sorts it by.
PENDING_COLUMNS: list[Column] = [
    ("Policy", lambda a: f"{a.policy} — {a.policy_title}"),
    ("What changed", lambda a: f"{a.change}, {version_text(a)}"),
    ("Asked by", lambda a: a.asked_by),
    ("Approver", lambda a: a.approver),
    ("Workflow", lambda a: a.workflow),
    ("Step", lambda a: f"{a.step_title} ({a.step_index + 1} of {a.step_count})"),
    ("Age", age_text),
    ("Requested", lambda a: a.requested_at),
    ("Due", lambda a: due_text(a.due_at, a.overdue_days)),
    ("Note", _note),  # delegated, overdue, escalated (services/inbox.sla_note), self-approval
]
PENDING_SORTS = [
    "policy",
    "change",
    "asked_by",
    "approver",
    "workflow",
    "step",
    "age",
    "requested",
    "due",
    "note",
]
AGE_COLUMN = PENDING_SORTS.index("age")
DUE_COLUMN = PENDING_SORTS.index("due")


def signature_text(a: ApprovalItem) -> str:
    """The answer's manifestation (21 CFR 11.50): "Approved by Bob Chen on 2026-12-03
    18:23:58 UTC"; an answer given before signatures existed says so."""
    if a.signature is not None:
        return a.signature.manifestation
    return "not signed (answered before signatures)" if a.responded_by else ""


ANSWERED_COLUMNS: list[Column] = [
    ("Policy", lambda a: f"{a.policy} — {a.policy_title}"),
    ("Answer", lambda a: a.status),
    ("Signature", signature_text),
    ("Comment", lambda a: a.comment),
    ("Answered by", lambda a: a.responded_by),
    ("When", lambda a: a.responded_at),
    ("Approver", lambda a: a.approver),
    ("Workflow", lambda a: f"{a.workflow}: {a.step_title}"),
    ("Version", version_text),
    ("Note", _note),
]


class ApprovalsModel(RecordTableModel[ApprovalItem]):
    """Approval rows; those from a workflow that allows self-approval are drawn in red,
    overdue ones on a red tint (and their Due cell says how late)."""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        item = self.row(index.row())
        if role == Qt.ItemDataRole.ForegroundRole and item.self_approval_allowed:
            return SELF_APPROVAL_COLOUR
        if role == Qt.ItemDataRole.BackgroundRole and item.overdue_days is not None:
            return OVERDUE_BACKGROUND
        return super().data(index, role)
