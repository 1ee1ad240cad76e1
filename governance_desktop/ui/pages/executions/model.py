"""The Runs page's table model: runs sorted and filtered in SQL, loaded a page at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QFont

from governance_desktop.domain.enums import ExecutionStatus
from governance_desktop.services.run_overview import NEWEST, RunFilter, RunOverview, RunRow
from governance_desktop.ui.background import Background
from governance_desktop.ui.pages.jobs.model import when
from governance_desktop.ui.sorted_model import Column, SortedTableModel

E = ExecutionStatus
STATE_NAMES: dict[str, str] = {
    E.QUEUED: "Queued",
    E.IN_PROGRESS: "Running",
    E.AWAITING_APPROVAL: "Waiting for approval",
    E.COMPLETED: "Finished",
    E.FAILED: "Failed",
    E.REJECTED: "Rejected",
    E.CANCELLED: "Cancelled",
}
STATE_COLOURS: dict[str, str] = {
    E.QUEUED: "#8a8f98",
    E.IN_PROGRESS: "#2f7bd8",
    E.AWAITING_APPROVAL: "#d98c1f",
    E.COMPLETED: "#2e9d5b",
    E.FAILED: "#d0433b",
    E.REJECTED: "#a06cd5",
    E.CANCELLED: "#6b6f76",
}
OVERDUE_COLOUR = "#d0433b"
# The informative columns first: at 1024 px the run, its policy, state, what it waits for and
# when it is due are in view; the rest scroll.
COLUMNS = (
    "Run",
    "Policy",
    "State",
    "Waiting for",
    "Due",
    "Progress",
    "Current step",
    "Since",
    "Workflow",
    "Started by",
)
#: Each column's sort name (services/run_sorts.py).
SORTS = (
    "id",
    "policy",
    "state",
    "waiting",
    "due",
    "progress",
    "step",
    "since",
    "workflow",
    "started_by",
)
(C_ID, C_POLICY, C_STATE, C_WAITING, C_DUE, C_PROGRESS, C_STEP) = range(7)
C_SINCE, C_WORKFLOW, C_STARTED_BY = range(7, 10)
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_QCOLOURS = {state: QColor(colour) for state, colour in STATE_COLOURS.items()}
_OVERDUE = QColor(OVERDUE_COLOUR)
_BOLD = QFont()
_BOLD.setBold(True)


def state_name(status: str) -> str:
    return STATE_NAMES.get(status, status.replace("_", " ").capitalize())


def step_text(run: RunRow) -> str:
    """ "3 of 4 · Approval: Review of POL-003", or "done" past the last step."""
    if not run.step_name:
        return f"all {run.step_count} done" if run.status == E.COMPLETED else ""
    return f"{run.step + 1} of {run.step_count} · {run.step_name}"


def progress_text(run: RunRow) -> str:
    return f"{run.steps_done} of {run.step_count} steps"


def due_text(run: RunRow) -> str:
    if run.due is None:
        return ""
    day = run.due.astimezone().strftime("%Y-%m-%d")
    return f"overdue since {day}" if run.overdue else day


class RunsModel(SortedTableModel[RunRow]):
    """Runs sorted and filtered in SQL (newest first until a header is clicked); what each
    run waits for is built per loaded page by the service."""

    columns = tuple(Column(header, sort) for header, sort in zip(COLUMNS, SORTS, strict=True))
    roles = frozenset({_DISPLAY, _DECORATION, _TOOLTIP, _ALIGNMENT, _FOREGROUND, _FONT})

    def __init__(
        self,
        overview: RunOverview,
        background: Background,
        parent: QObject | None = None,
        flt: RunFilter | None = None,
    ) -> None:
        super().__init__(background, overview, flt or RunFilter(), parent, sort=NEWEST)

    def set_filter(self, filter: Any) -> None:
        if filter != self.filter:
            super().set_filter(filter)

    def row_of(self, run_id: int) -> int | None:
        """The view row of a loaded run (None if its row is not loaded)."""
        row = self.find_loaded(run_id)
        return None if row < 0 else row

    def cell(self, run: RunRow, column: int, role: int) -> Any:
        if role == _DISPLAY:
            return self._text(run, column)
        if role == _DECORATION:
            return _QCOLOURS.get(run.status) if column == C_STATE else None
        if role == _ALIGNMENT:
            return _RIGHT if column == C_ID else None
        if role == _FOREGROUND:
            return _OVERDUE if column == C_DUE and run.overdue else None
        if role == _FONT:
            return _BOLD if column == C_DUE and run.overdue else None
        if role == _TOOLTIP:
            return self._tooltip(run, column)
        return None

    @staticmethod
    def _text(run: RunRow, column: int) -> str:
        if column == C_ID:
            return str(run.id)
        if column == C_WORKFLOW:
            return f"{run.workflow} v{run.workflow_version}"
        if column == C_POLICY:
            return f"{run.policy} {run.policy_title}"
        if column == C_STATE:
            return state_name(run.status) + (" · overdue" if run.overdue else "")
        if column == C_STEP:
            return step_text(run)
        if column == C_PROGRESS:
            return progress_text(run)
        if column == C_WAITING:
            return run.waiting_for
        if column == C_SINCE:
            return when(run.since)
        if column == C_DUE:
            return due_text(run)
        return run.started_by_name

    @staticmethod
    def _tooltip(run: RunRow, column: int) -> str | None:
        if column == C_WAITING and run.waiting_for:
            return run.waiting_for.replace(" · ", "\n")
        if column == C_STATE and run.error:
            return run.error.strip().splitlines()[0]
        if column in (C_SINCE, C_DUE):
            at: datetime | None = run.since if column == C_SINCE else run.due
            return at.astimezone().isoformat(sep=" ", timespec="seconds") if at else None
        if column == C_STARTED_BY:
            return run.started_by
        return None
