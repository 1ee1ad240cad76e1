"""The inbox's tables: pending requests (a lazy table sorted and filtered in SQL, overdue rows
tinted and saying "Overdue 3 days") and answered ones with their signatures.

`InboxModel` is `ui/sorted_model.SortedTableModel` with (header, getter) columns, the overdue
tint, and the row look-ups the inbox pages use over the loaded rows; the tasks page uses it
too. `lazy_table` is its view: sizing columns reads only the rows on screen."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from governance_desktop.domain.clock import utc_now
from governance_desktop.services.inbox import ApprovalItem
from governance_desktop.services.sorted_pages import Sort
from governance_desktop.ui.background import Background
from governance_desktop.ui.pages.policies.models import Column, Index, RecordTableModel, show
from governance_desktop.ui.pages.workflows.models import SELF_APPROVAL_COLOUR
from governance_desktop.ui.sorted_model import Column as SortColumn
from governance_desktop.ui.sorted_model import PageSource, SortedTableModel
from governance_desktop.ui.widgets import named

T = TypeVar("T")
ROLE = Qt.ItemDataRole

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


class InboxModel(SortedTableModel[T]):
    """A lazy inbox table: `getters` beside `columns`; `overdue(row)` tints a row and `bold(row)`
    sets it in bold (both optional)."""

    roles = frozenset(
        int(r) for r in (ROLE.DisplayRole, ROLE.ToolTipRole, ROLE.FontRole, ROLE.BackgroundRole)
    )

    def __init__(
        self,
        background: Background,
        source: PageSource[T],
        filter: Any,
        parent: QObject | None,
        *,
        columns: Sequence[Column],
        sorts: Sequence[str],
        sort: Sort,
        overdue: Callable[[T], bool] = lambda _row: False,
        bold: Callable[[T], bool] = lambda _row: False,
    ) -> None:
        super().__init__(background, source, filter, parent, sort=sort)
        self.columns = tuple(
            SortColumn(header, name) for (header, _), name in zip(columns, sorts, strict=True)
        )
        self._getters = [getter for _, getter in columns]
        self._overdue = overdue
        self._bold = bold

    def cell(self, row: T, column: int, role: int) -> Any:
        if role in (ROLE.DisplayRole, ROLE.ToolTipRole):
            return show(self._getters[column](row))
        if role == ROLE.BackgroundRole and self._overdue(row):
            return OVERDUE_BACKGROUND
        if role == ROLE.FontRole and self._bold(row):
            font = QFont()
            font.setBold(True)
            return font
        return None

    # --- look-ups over the loaded rows (the page's selection, tests) -------------------------

    def row(self, number: int) -> T:
        """The row's item; LookupError while its page loads."""
        item = self.row_item(number)
        if item is None:
            raise LookupError(f"row {number} is not loaded yet")
        return item

    def rows(self) -> list[T]:
        """Every row that is loaded, in table order (asks for the others; for small tables
        and tests)."""
        found = (self.row_item(number) for number in range(self.rowCount()))
        return [item for item in found if item is not None]

    def find(self, key: Hashable) -> int:
        """The row number of the loaded row with `key`, or -1."""
        return self.find_loaded(key)


class PendingModel(InboxModel[ApprovalItem]):
    """Pending requests (the acting user's own in bold); those from a workflow that allows
    self-approval are drawn in red, overdue ones on a red tint."""

    roles = InboxModel.roles | {int(ROLE.ForegroundRole)}

    def cell(self, row: ApprovalItem, column: int, role: int) -> Any:
        if role == ROLE.ForegroundRole:
            return SELF_APPROVAL_COLOUR if row.self_approval_allowed else None
        return super().cell(row, column, role)


def lazy_table(model: SortedTableModel[Any], name: str) -> QTableView:
    """A read-only view selecting rows (several with Shift/Ctrl), sorted by clicking a header;
    columns sized once from the rows on screen only (not by reading every row)."""
    view = named(QTableView(), name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    header.setResizeContentsPrecision(0)  # the visible rows only
    header.setSectionsClickable(True)
    header.setSortIndicatorShown(True)
    return view


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
