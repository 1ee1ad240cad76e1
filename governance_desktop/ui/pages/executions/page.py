"""Runs page (executionsPage): every workflow run, what it waits for and since when, overdue
runs, and Cancel run… / Skip step… from there. The table is sorted and filtered in SQL on any
column (ui/sorted_model.py); live: the list is read again in the same order on engine events,
on approval, task and job changes, and every few seconds, keeping the selected run."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
)

from governance_desktop.domain.text import SEARCH_MAX
from governance_desktop.services.changes import Changes
from governance_desktop.services.run_overview import RUN_STATES, STUCK, RunDetail, RunFilter, RunRow
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.messages import InlineMessage
from governance_desktop.ui.page import Page
from governance_desktop.ui.pages.executions.details import RunDetailsView
from governance_desktop.ui.pages.executions.model import C_ID, RunsModel
from governance_desktop.ui.pages.jobs.run_controls import RunControls
from governance_desktop.ui.widgets import named

COALESCE_MS = 300
POLL_MS = 3000  # overdue moments pass and another process may write: read the view again
FILTERS: tuple[tuple[str, str | None], ...] = (
    ("All runs", None),
    ("Stuck (failed or past due)", STUCK),
    ("Running", "running"),
    ("Waiting for approval", "waiting"),
    ("Failed", "failed"),
    ("Finished", "finished"),
    ("Rejected", "rejected"),
    ("Cancelled", "cancelled"),
)
COLUMN_WIDTHS = (48, 210, 150, 380, 96, 90, 240, 76, 150, 110)


class ExecutionsPage(Page):
    """A lazy table of runs (newest first until a header is clicked) with a state/stuck
    filter, search, the selected run's steps, and its cancel/skip controls."""

    #: A run was selected (its id); tests and other pages can follow it.
    run_selected = Signal(int)

    def __init__(self, ui: UiContext) -> None:
        super().__init__(
            ui,
            refresh_on=Changes.JOBS | Changes.APPROVALS | Changes.TASKS,
            job_events=True,
            while_shown=True,
            refresh_ms=COALESCE_MS,
        )
        self.service = ui.app.run_overview
        self.model = RunsModel(self.service, ui.background, self)
        self.model.failed.connect(self._failed)
        self.model.reloaded.connect(self._after_reload)
        self.model.located.connect(self._on_located)
        self._wanted: int | None = None  # a run asked for (`run:<id>`) until it is located
        self.timer_while_shown(POLL_MS, self.schedule_refresh)
        self._search_delay = self.timer_while_shown(
            COALESCE_MS, self._apply_filter, single_shot=True
        )
        self._build()
        # Newest first; turning sorting on reads the first snapshot (model.sort).
        self.table.horizontalHeader().setSortIndicator(C_ID, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)

    # --- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.state_filter = named(QComboBox(), "executionStateFilter")
        for text, value in FILTERS:
            self.state_filter.addItem(text, value)
        self.state_filter.currentIndexChanged.connect(self._apply_filter)
        self.search = named(QLineEdit(), "executionSearch")
        self.search.setPlaceholderText("Search by workflow, policy or run id  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMaxLength(SEARCH_MAX)
        self.search.textChanged.connect(lambda _text: self._search_delay.start())
        top = QHBoxLayout()
        top.addWidget(self.state_filter)
        top.addWidget(self.search, 1)

        self.run_controls = RunControls(self.ui, self.calls, self._after_run_act)

        self.table = named(QTableView(), "executionsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        for column, width in enumerate(COLUMN_WIDTHS):
            if width:
                self.table.setColumnWidth(column, width)
        self.table.setIconSize(QSize(9, 9))  # the state colour is a small dot
        self.table.selectionModel().currentRowChanged.connect(self._on_current)

        self.details = RunDetailsView()
        split = named(QSplitter(Qt.Orientation.Vertical), "executionsSplitter")
        split.addWidget(self.table)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        self.message = InlineMessage("executionMessage")
        self.message.clear_on(
            self.table.selectionModel().selectionChanged,
            self.search.textEdited,
            self.state_filter.activated,
        )

        page = QVBoxLayout(self)
        page.addLayout(top)
        page.addWidget(self.run_controls)
        page.addWidget(split, 1)
        page.addWidget(self.message)
        find = QAction("Search runs", self, shortcut=QKeySequence(QKeySequence.StandardKey.Find))
        find.triggered.connect(lambda: self.search.setFocus())
        reload = QAction(
            "Reload runs", self, shortcut=QKeySequence(QKeySequence.StandardKey.Refresh)
        )
        reload.triggered.connect(self.model.refresh)
        for action in (find, reload):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)

    # --- views a tile or another page opens -------------------------------------------------

    def open_with(self, view: str) -> None:
        """``stuck``, ``waiting`` (or another state word of the filter), or ``run:<id>``."""
        if view.startswith("run:"):
            digits = view.removeprefix("run:")
            if digits.isdigit():
                self.select_run(int(digits))
            return
        for index in range(self.state_filter.count()):
            if self.state_filter.itemData(index) == view:
                self.search.clear()
                self.state_filter.setCurrentIndex(index)
                self._apply_filter()
                return

    def select_run(self, run_id: int) -> None:
        """Select run `run_id`, wherever it is in the list (the filter is cleared if it
        would hide it): its row is found in SQL (`located`)."""
        self._wanted = run_id
        if self._select_loaded(run_id):
            return
        self.model.follow(run_id)
        if self.model.filter != RunFilter():
            self.state_filter.blockSignals(True)
            self.state_filter.setCurrentIndex(0)
            self.state_filter.blockSignals(False)
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)
            self._search_delay.stop()
            self.model.set_filter(RunFilter())
        else:
            self.model.refresh()

    def _select_loaded(self, run_id: int) -> bool:
        row = self.model.row_of(run_id)
        if row is None:
            return False
        self._wanted = None
        self._select_row(row)
        return True

    def _select_row(self, row: int) -> None:
        with self.message.kept():  # not a selection the person made
            if self.table.currentIndex().row() != row:
                self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    def _on_located(self, row: int) -> None:
        """Every snapshot says where the followed run is now (-1: not in this list)."""
        wanted, self._wanted = self._wanted, None
        if row >= 0:
            self._select_row(row)
            self._load_detail()
        elif wanted is not None:
            self.show_error(f"Run {wanted} is not in this list")
        elif self.selected_run() is None:  # the selected run left the list
            self.details.show_detail(None)
            self.run_controls.show_execution(None)

    # --- live updates -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the list again in the same order (rows change in place when none came or
        went; the selected run is found again either way)."""
        if not self.begin_read(busy=self.model.loading):
            return
        self.model.refresh()

    def _after_reload(self) -> None:
        if self.reading:
            self.end_read(later=True)
        else:
            self.run_pending(later=True)

    def _failed(self, message: str) -> None:
        self.show_error(message)
        self._after_reload()

    # --- filter, selection ------------------------------------------------------------------

    def _apply_filter(self) -> None:
        flt = RunFilter(self.state_filter.currentData(), self.search.text())
        if flt.state not in (None, STUCK, *RUN_STATES):
            return
        self.message.clear()
        self.model.set_filter(flt)

    def selected_run(self) -> RunRow | None:
        index = self.table.currentIndex()
        return self.model.row_item(index.row()) if index.isValid() else None

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        run = self.model.row_item(current.row()) if current.isValid() else None
        self.run_controls.show_execution(run.id if run is not None else None)
        if run is None:
            if not self.model.loading:
                self.model.follow(None)
            self.details.show_detail(None)
            return
        self.model.follow(run.id)
        self.run_selected.emit(run.id)
        self._load_detail()

    def _load_detail(self) -> None:
        run = self.selected_run()
        if run is None:
            return
        service, run_id = self.service, run.id
        self.calls.read(lambda: service.detail(run_id), self._show_detail, self.show_error)

    def _show_detail(self, detail: RunDetail) -> None:
        selected = self.selected_run()
        if selected is not None and selected.id == detail.run.id:
            self.details.show_detail(detail)
            self.run_controls.show_execution(detail.run.id)  # its state may have moved on

    # --- messages and acts ------------------------------------------------------------------

    def show_error(self, message: str) -> None:
        self.message.error(f"⚠ {message}")

    def _after_run_act(self) -> None:
        self.schedule_refresh()
