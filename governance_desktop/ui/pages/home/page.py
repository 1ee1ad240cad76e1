"""The home page: what needs attention, as figures an officer looks at rather than reads —
reviews falling due, what waits for them, stuck runs and failed jobs, policies by status and
approvals waiting per person. Every tile opens the page it counts, filtered (`open_requested`,
connected by the main window to `MainWindow.open_page`).

Live: it reloads on policy, approval, task and job changes and on engine events (coalesced by
`Page`), and every minute while shown, since reviews fall due with the date.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.domain.enums import PolicyStatus
from governance_desktop.services.changes import Changes
from governance_desktop.services.dashboard import REVIEW_HORIZON_DAYS, Dashboard, PersonWaiting
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.page import Page
from governance_desktop.ui.pages.home.tiles import ALERT, BarRow, FigureTile, Tile
from governance_desktop.ui.pages.policies.models import STATUS_COLOURS, status_label
from governance_desktop.ui.widgets import named

SHOWN = Changes.POLICIES | Changes.APPROVALS | Changes.TASKS | Changes.JOBS
#: Reviews fall due with the date: read again this often while shown.
TICK_MS = 60_000
#: Person rows shown; the rest are summed in one last row.
MAX_PEOPLE = 8

#: How a screen reader reads a status bar: "Policies in draft: 12".
STATUS_PHRASES: dict[str, str] = {
    PolicyStatus.DRAFT: "Policies in draft",
    PolicyStatus.IN_REVIEW: "Policies in review",
    PolicyStatus.AWAITING_APPROVAL: "Policies awaiting approval",
    PolicyStatus.APPROVED: "Policies approved",
    PolicyStatus.PUBLISHED: "Policies published",
    PolicyStatus.RETIRED: "Policies retired",
}


def stuck_target(pages: Collection[str]) -> tuple[str, str]:
    """The Executions page's stuck runs; the job monitor's failed jobs where that page is not
    among `pages` (the window's)."""
    if "executionsPage" in pages:
        return ("executionsPage", "stuck")
    return ("jobMonitorPage", "failed")


def days(n: int) -> str:
    return "today" if n == 0 else "1 day" if n == 1 else f"{n} days"


def _panel(name: str, title: str) -> tuple[QFrame, QVBoxLayout]:
    frame = named(QFrame(), name)
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    column = QVBoxLayout(frame)
    column.setSpacing(2)
    heading = named(QLabel(title), f"{name}Title")
    font = heading.font()
    font.setBold(True)
    heading.setFont(font)
    column.addWidget(heading)
    return frame, column


class HomePage(Page):
    """Tiles over one `DashboardService.read`; `loaded` is emitted after each is shown.
    `pages` names the window's pages (ui/pages/__init__.py), which the tiles open."""

    open_requested = Signal(str, str)
    loaded = Signal()

    def __init__(self, ui: UiContext, pages: Collection[str] = ()) -> None:
        super().__init__(ui, refresh_on=SHOWN, job_events=True, while_shown=True, refresh_ms=500)
        self.board: Dashboard | None = None

        self.summary = named(QLabel(), "homeSummary")
        self.message = named(QLabel(), "homeMessage")
        self.message.setWordWrap(True)
        self.message.hide()

        self.reviews_due = self._figure(
            "reviewsDueTile",
            f"Reviews due in {REVIEW_HORIZON_DAYS} days",
            "policiesPage",
            "review:due",
        )
        self.reviews_overdue = self._figure(
            "reviewsOverdueTile", "Reviews overdue", "policiesPage", "review:overdue"
        )
        self.waiting_for_me = self._figure(
            "waitingForMeTile", "Approvals waiting for you", "approvalsPage", "waiting"
        )
        self.my_tasks = self._figure("myTasksTile", "Your open tasks", "tasksPage", "open")
        self.stuck = self._figure("stuckRunsTile", "Stuck runs", *stuck_target(pages))
        self.failed_jobs = self._figure("failedJobsTile", "Failed jobs", "jobMonitorPage", "failed")
        figures = QGridLayout()
        figures.setSpacing(8)
        for index, tile in enumerate(
            (
                self.reviews_due,
                self.reviews_overdue,
                self.waiting_for_me,
                self.my_tasks,
                self.stuck,
                self.failed_jobs,
            )
        ):
            figures.addWidget(tile, index // 3, index % 3)

        self.status_panel, status_column = _panel("policiesByStatus", "Policies by status")
        self.status_bars: dict[str, BarRow] = {}
        for status in PolicyStatus:
            bar = self._bar(f"{status.value}StatusBar", "policiesPage", f"status:{status.value}")
            self.status_bars[status.value] = bar
            status_column.addWidget(bar)
        status_column.addStretch(1)

        self.people_panel, self.people_column = _panel(
            "approvalsByPerson", "Approvals waiting, per person"
        )
        self.nobody_waiting = named(QLabel("No approvals are waiting."), "nobodyWaiting")
        self.people_column.addWidget(self.nobody_waiting)
        self.people_rows: list[BarRow] = []
        self.people_legend = named(
            QLabel("A red bar: some of that person's are overdue."), "peopleLegend"
        )
        self.people_legend.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.people_column.addWidget(self.people_legend)
        self.people_column.addStretch(1)

        panels = QHBoxLayout()
        panels.setSpacing(8)
        panels.addWidget(self.status_panel, 1)
        panels.addWidget(self.people_panel, 1)

        self.dashboard = QWidget()
        column = QVBoxLayout(self.dashboard)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(figures)
        column.addLayout(panels)
        column.addStretch(1)

        self.empty = self._empty_register()
        self.empty.hide()

        content = QWidget()
        body = QVBoxLayout(content)
        body.addWidget(self.summary)
        body.addWidget(self.message)
        body.addWidget(self.empty)
        body.addWidget(self.dashboard)
        body.addStretch(1)
        scroll = named(QScrollArea(), "homeScroll")
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

        self.timer_while_shown(TICK_MS, self.schedule_refresh)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence.StandardKey.Refresh, self, self.refresh, context=context)
        self.refresh()

    # --- building ----------------------------------------------------------------------------

    def _figure(self, name: str, caption: str, page: str, view: str) -> FigureTile:
        tile = FigureTile(name, caption)
        self._aim(tile, page, view)
        return tile

    def _bar(self, name: str, page: str, view: str) -> BarRow:
        bar = BarRow(name)
        self._aim(bar, page, view)
        return bar

    def _aim(self, tile: Tile, page: str, view: str) -> None:
        tile.target = (page, view)
        tile.open_requested.connect(self.open_requested)  # signal to signal: no closure

    def _empty_register(self) -> QFrame:
        frame, column = _panel("homeEmpty", "The register is empty")
        text = named(
            QLabel(
                "There are no policies yet, so there is nothing to count. Load the demo data "
                "(above) to look around, add the first policy on the Policies page, or import "
                "your organisation's workflows on the Workflows page."
            ),
            "homeEmptyText",
        )
        text.setWordWrap(True)
        column.addWidget(text)
        row = QHBoxLayout()
        self.open_policies = named(QPushButton("Go to Policies"), "homeOpenPolicies")
        self.open_policies.setToolTip("Add the first policy")
        self.open_policies.clicked.connect(self._go_to_policies)
        self.open_workflows = named(QPushButton("Go to Workflows"), "homeOpenWorkflows")
        self.open_workflows.setToolTip("Import workflows")
        self.open_workflows.clicked.connect(self._go_to_workflows)
        row.addWidget(self.open_policies)
        row.addWidget(self.open_workflows)
        row.addStretch(1)
        column.addLayout(row)
        return frame

    def _go_to_policies(self) -> None:
        self.open_requested.emit("policiesPage", "")

    def _go_to_workflows(self) -> None:
        self.open_requested.emit("workflowsPage", "")

    # --- reading -----------------------------------------------------------------------------

    def refresh(self) -> None:
        if not self.begin_read():
            return
        service, actor = self.ui.app.dashboard, self.ui.actor
        self.calls.read(lambda: service.read(actor), self._loaded, self._failed)

    def _failed(self, message: str) -> None:
        self.message.setText(f"The figures could not be read: {message}")
        self.message.show()
        self.end_read(later=True)

    def _loaded(self, board: Dashboard) -> None:
        self.board = board
        self.message.hide()
        self.show_board(board)
        self.end_read(later=True)
        self.loaded.emit()

    # --- showing -----------------------------------------------------------------------------

    def show_board(self, board: Dashboard) -> None:
        empty = board.policies == 0
        self.empty.setVisible(empty)
        self.dashboard.setVisible(not empty)
        self.summary.setVisible(not empty)
        at = board.at.astimezone().strftime("%H:%M")
        self.summary.setText(
            f"{_count(board.policies, 'policy', 'policies')} · "
            f"{_count(board.open_runs, 'run', 'runs')} under way · as of {at}"
        )
        self._show_figures(board)
        self._show_statuses(board)
        self._show_people(board.approvals_waiting)

    def _show_figures(self, board: Dashboard) -> None:
        def show(
            tile: FigureTile, value: int, detail: str, tip: str, *, alert: bool, late: int = 0
        ) -> None:
            tile.set_figure(value, detail, alert=alert, late=late > 0)
            said = f"{tile.caption}: {value}" + (f", {late} overdue" if late else "")
            tile.describe(said, tip)

        show(
            self.reviews_due,
            board.reviews_due,
            f"next review by {_day(board, REVIEW_HORIZON_DAYS)}",
            "Open the policies whose review falls due in the next 30 days",
            alert=False,
        )
        show(
            self.reviews_overdue,
            board.reviews_overdue,
            "review date passed",
            "Open the policies whose review date has passed",
            alert=True,
        )
        late = sum(
            p.overdue
            for p in board.approvals_waiting
            if p.person == self.ui.actor or p.delegate == self.ui.actor
        )
        show(
            self.waiting_for_me,
            board.waiting_for_me,
            f"{late:,} overdue" if late else "none overdue",
            "Open the approvals waiting for you",
            alert=False,
            late=late,
        )
        show(
            self.my_tasks,
            board.my_open_tasks,
            f"{board.my_overdue_tasks:,} overdue" if board.my_overdue_tasks else "none overdue",
            "Open your open tasks",
            alert=False,
            late=board.my_overdue_tasks,
        )
        show(
            self.stuck,
            board.stuck_runs,
            "failed, or waiting past a due date",
            "Open the runs that failed or wait past a due date",
            alert=True,
        )
        show(
            self.failed_jobs,
            board.failed_jobs,
            "retry them from the job monitor",
            "Open the failed jobs in the job monitor",
            alert=True,
        )

    def _show_statuses(self, board: Dashboard) -> None:
        peak = max(board.policies_by_status.values(), default=0) or 1
        for status, count in board.policies_by_status.items():
            bar = self.status_bars[status]
            colour = STATUS_COLOURS.get(status, QColor("#8a8a8a"))
            bar.set_bar(status_label(status), f"{count:,}", count / peak, colour)
            phrase = STATUS_PHRASES.get(status, f"Policies {status_label(status).lower()}")
            bar.describe(f"{phrase}: {count}", f"Open the {phrase.lower()}")

    def _show_people(self, people: tuple[PersonWaiting, ...]) -> None:
        shown = list(people[:MAX_PEOPLE])
        rest = people[MAX_PEOPLE:]
        rows = len(shown) + (1 if rest else 0)
        while len(self.people_rows) < rows:
            bar = self._bar(f"waitingPerson{len(self.people_rows)}", "approvalsPage", "waiting")
            self.people_column.insertWidget(len(self.people_rows) + 2, bar)
            self.people_rows.append(bar)
        self.nobody_waiting.setVisible(not people)
        self.people_legend.setVisible(any(p.overdue for p in people))
        peak = max((p.waiting for p in people), default=0) or 1
        highlight = self.palette().color(QPalette.ColorRole.Highlight)
        for bar, person in zip(self.people_rows, shown, strict=False):
            who = person.person + (f" → {person.delegate}" if person.delegate else "")
            age = days(person.oldest_age_days)
            figure = f"{person.waiting:,} · oldest {age}"
            colour = ALERT if person.overdue else highlight
            bar.set_bar(who, figure, person.waiting / peak, colour)
            late = f", {person.overdue} overdue" if person.overdue else ""
            spoken = f"Approvals waiting for {who}: {person.waiting}, oldest {age}{late}"
            bar.describe(spoken, "Open the approvals page")
            bar.show()
        if rest:
            bar = self.people_rows[len(shown)]
            count = sum(p.waiting for p in rest)
            label = f"{len(rest)} more people"
            bar.set_bar(label, f"{count:,}", count / peak, highlight)
            bar.describe(f"Approvals waiting for {label}: {count}", "Open the approvals page")
            bar.show()
        for bar in self.people_rows[rows:]:
            bar.hide()


def _day(board: Dashboard, ahead: int) -> str:
    day = board.today + timedelta(days=ahead)
    return f"{day.day} {day:%b}"


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"
