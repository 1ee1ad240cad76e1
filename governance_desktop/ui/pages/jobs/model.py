"""The job monitor's table model: lazy keyset pages of job rows, patched live."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor

from governance_desktop.domain.enums import JobState
from governance_desktop.services.dto import JobInfo
from governance_desktop.services.job_pages import JobFilter, JobPages
from governance_desktop.ui.background import Background
from governance_desktop.ui.paged_model import PAGE_SIZE, PagedTableModel

KIND_NAMES = {"EXECUTE_WORKFLOW": "Start workflow", "EXECUTE_WORKFLOW_ACTION": "Workflow step"}
STATE_NAMES: dict[str, str] = {
    JobState.QUEUED: "Queued",
    JobState.RUNNING: "Running",
    JobState.RETRYING: "Retrying",
    JobState.SUCCEEDED: "Succeeded",
    JobState.FAILED: "Failed",
    JobState.CANCELLED: "Cancelled",
    JobState.INTERRUPTED: "Interrupted",
}
# Small accents beside the state text; the row itself keeps the palette's colours.
STATE_COLOURS: dict[str, str] = {
    JobState.QUEUED: "#8a8f98",
    JobState.RUNNING: "#2f7bd8",
    JobState.RETRYING: "#d98c1f",
    JobState.SUCCEEDED: "#2e9d5b",
    JobState.FAILED: "#d0433b",
    JobState.CANCELLED: "#6b6f76",
    JobState.INTERRUPTED: "#a06cd5",
}
ProgressRole = Qt.ItemDataRole.UserRole + 1
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_PROGRESS = int(ProgressRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
TEXT_CACHE = 4000  # rows whose display texts are kept; the view shows a few dozen
COLUMNS = (
    "ID",
    "Kind",
    "Workflow",
    "Policy",
    "Run",
    "State",
    "Attempts",
    "Progress",
    "Enqueued",
    "Started",
    "Finished",
    "Duration",
)
(C_ID, C_KIND, C_WORKFLOW, C_ENTITY, C_RUN, C_STATE, C_ATTEMPTS, C_PROGRESS) = range(8)
C_ENQUEUED, C_STARTED, C_FINISHED, C_DURATION = range(8, 12)
RUN_WAITING = "run waiting for approval"
WAITING_COLOUR = "#d98c1f"


def kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, kind.replace("_", " ").capitalize())


def state_name(state: str) -> str:
    return STATE_NAMES.get(state, state.capitalize())


def job_state_text(job: JobInfo) -> str:
    """The job's state, and its run's when the run waits for people on the job's step: an
    approval step's job succeeds once it has asked, long before its run is done."""
    name = state_name(job.state)
    return f"{name} · {RUN_WAITING}" if job.run_waiting else name


def when(at: datetime | None, today: datetime | None = None) -> str:
    """Local time: the time alone for today, the date and time otherwise."""
    if at is None:
        return ""
    local = at.astimezone()
    today = today or datetime.now().astimezone()
    if local.date() == today.date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


def duration(job: JobInfo) -> str:
    if job.started_at is None or job.finished_at is None:
        return ""
    seconds = max(0.0, (job.finished_at - job.started_at).total_seconds())
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


_STATE_QCOLOURS = {state: QColor(colour) for state, colour in STATE_COLOURS.items()}
_WAITING = QColor(WAITING_COLOUR)
_GREY = QColor("#8a8f98")


class JobsModel(PagedTableModel[JobInfo]):
    """Jobs newest first; `set_filter` takes a new snapshot, `apply_rows` patches live."""

    headers = COLUMNS
    roles = frozenset({_DISPLAY, _DECORATION, _TOOLTIP, _ALIGNMENT, _PROGRESS})

    def __init__(
        self, pages: JobPages, background: Background, parent: QObject | None = None
    ) -> None:
        super().__init__(background, parent)
        self._service = pages
        self.filter = JobFilter()
        # A row's texts are formatted once per version of the row, not on every paint:
        # job id → (the JobInfo they were made from, one text per column).
        self._texts: dict[int, tuple[JobInfo, tuple[str, ...]]] = {}
        self._texts_day = datetime.now().astimezone().date()
        self.modelReset.connect(self._texts.clear)

    def set_filter(self, flt: JobFilter) -> None:
        if flt != self.filter:
            self.filter = flt
            self.reload()

    def snapshot_fn(self) -> Callable[[], tuple[int, int, list[JobInfo], Any]]:
        service, flt = self._service, self.filter

        def run() -> tuple[int, int, list[JobInfo], Any]:
            snap = service.snapshot(flt, PAGE_SIZE)
            return snap.total, snap.top_id, snap.first_page, snap.watermark

        return run

    def page_fn(
        self, top_id: int, offset: int, after_id: int | None
    ) -> Callable[[], list[JobInfo]]:
        # The snapshot's count: pages in the lower half are found from the bottom.
        service, flt, total = self._service, self.filter, self._total
        return lambda: service.page(flt, top_id, offset, PAGE_SIZE, after_id, total)

    def accepts(self, row: JobInfo) -> bool:
        return self.filter.matches(row)

    def apply_rows(self, rows: Sequence[JobInfo]) -> None:
        today = datetime.now().astimezone().date()
        if today != self._texts_day:  # "today" shows times alone: re-format after midnight
            self._texts_day = today
            self._texts.clear()
        super().apply_rows(rows)

    def waiting_ids(self, limit: int = 500) -> list[int]:
        """Loaded jobs shown as "run waiting": their run moves on without touching them, so
        a refresh reads them again."""
        found: list[int] = []
        for rows in (self._head, *self._pages.values()):
            found.extend(row.id for row in rows if row.run_waiting)
            if len(found) >= limit:
                break
        return found[:limit]

    def texts(self, job: JobInfo) -> tuple[str, ...]:
        """The row's display texts, formatted once per version of the row."""
        cached = self._texts.get(job.id)
        if cached is not None and cached[0] is job:
            return cached[1]
        if len(self._texts) >= TEXT_CACHE:
            self._texts.clear()
        texts = tuple(self._text(job, column) for column in range(len(COLUMNS)))
        self._texts[job.id] = (job, texts)
        return texts

    def cell(self, job: JobInfo, column: int, role: int) -> Any:
        if role == _DISPLAY:
            return self.texts(job)[column]
        if role == _PROGRESS:
            return round(job.progress * 100) if column == C_PROGRESS else None
        if role == _DECORATION:
            if column != C_STATE:
                return None
            return _WAITING if job.run_waiting else _STATE_QCOLOURS.get(job.state, _GREY)
        if role == _ALIGNMENT:
            return _RIGHT if column in (C_ID, C_RUN, C_ATTEMPTS, C_DURATION) else None
        if role == _TOOLTIP:
            return self._tooltip(job, column)
        return None

    @staticmethod
    def _text(job: JobInfo, column: int) -> str:
        if column == C_ID:
            return str(job.id)
        if column == C_KIND:
            return kind_name(job.kind)
        if column == C_WORKFLOW:
            return job.workflow or ""
        if column == C_ENTITY:
            return job.entity or ""
        if column == C_RUN:
            return str(job.execution_id) if job.execution_id is not None else ""
        if column == C_STATE:
            return job_state_text(job)
        if column == C_ATTEMPTS:
            return str(job.attempts)
        if column == C_PROGRESS:
            return f"{round(job.progress * 100)} %"
        if column == C_ENQUEUED:
            return when(job.enqueued_at)
        if column == C_STARTED:
            return when(job.started_at)
        if column == C_FINISHED:
            return when(job.finished_at)
        return duration(job)

    @staticmethod
    def _tooltip(job: JobInfo, column: int) -> str | None:
        if column == C_KIND and job.step_index is not None:
            return f"Step {job.step_index + 1} of execution {job.execution_id}"
        if column == C_RUN and job.execution_id is not None:
            return f"Run {job.execution_id}: double-click to open it on the Runs page"
        if column == C_STATE:
            return (
                (job.error or job.message or "").splitlines()[0]
                if (job.error or job.message)
                else None
            )
        if column in (C_ENQUEUED, C_STARTED, C_FINISHED):
            at = {C_ENQUEUED: job.enqueued_at, C_STARTED: job.started_at}.get(
                column, job.finished_at
            )
            return at.astimezone().isoformat(sep=" ", timespec="seconds") if at else None
        return None
