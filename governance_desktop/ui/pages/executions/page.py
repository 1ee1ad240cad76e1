"""Executions page: every workflow run, what it waits for and since when, overdue runs, and
Cancel run… / Skip step… from there. Live: the rows in view and the selected run are read
again on engine events, on approval, task and job changes, and every few seconds."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
)

from governance_desktop.domain.text import SEARCH_MAX
from governance_desktop.services.changes import Changes
from governance_desktop.services.run_overview import RUN_STATES, STUCK, RunDetail, RunFilter, RunRow
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.page import Page
from governance_desktop.ui.pages.executions.details import RunDetailsView
from governance_desktop.ui.pages.executions.model import RunsModel
from governance_desktop.ui.pages.jobs.run_controls import RunControls
from governance_desktop.ui.widgets import named

COALESCE_MS = 300
POLL_MS = 3000  # overdue moments pass and another process may write: read the view again
LIVE_ROWS_MAX = 200
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
COLUMN_WIDTHS = (48, 130, 150, 340, 110, 90, 240, 76, 150, 110)


class ExecutionsPage(Page):
    """A lazily paged table of runs, newest first, with a state/stuck filter, search, the
    selected run's steps, and its cancel/skip controls."""

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
        self.model.failed.connect(self.show_error)
        self.model.reloaded.connect(self._after_reload)
        self.model.dataChanged.connect(self._seek_loaded)
        self._wanted: int | None = None  # a run to select once its row is loaded
        self._wanted_row: int | None = None
        self._selected: int | None = None  # kept across reloads
        self.timer_while_shown(POLL_MS, self.schedule_refresh)
        self._search_delay = self.timer_while_shown(
            COALESCE_MS, self._apply_filter, single_shot=True
        )
        self._build()
        self.model.reload()

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

        self.message = named(QLabel(), "executionMessage")
        self.message.setWordWrap(True)

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
        reload.triggered.connect(self.model.reload)
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
        would hide it)."""
        self._wanted, self._wanted_row = run_id, None
        if self._select_loaded(run_id):
            return
        if self.model.filter != RunFilter():
            self.state_filter.blockSignals(True)
            self.state_filter.setCurrentIndex(0)
            self.state_filter.blockSignals(False)
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)
            self._search_delay.stop()
            self.model.set_filter(RunFilter())  # _after_reload seeks it
            return
        if not self.model.loading:
            self._seek()

    def _select_loaded(self, run_id: int) -> bool:
        row = self.model.row_of(run_id)
        if row is None:
            return False
        self._wanted = self._wanted_row = None
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def _seek(self) -> None:
        """Find the wanted run's row in the snapshot (SQL), then load its page."""
        run_id = self._wanted
        if run_id is None or self._select_loaded(run_id):
            return
        service, flt, top = self.service, self.model.filter, self.model.top_id

        def found(position: int | None) -> None:
            if self._wanted != run_id:
                return
            if position is None:
                self._wanted = None
                self.show_error(f"Run {run_id} is not in this list")
                return
            self._wanted_row = self.model.head_count + position
            self.model.row_item(self._wanted_row)  # requests its page
            self._seek_loaded()

        self.calls.read(lambda: service.position(flt, top, run_id), found, self.show_error)

    def _seek_loaded(self, *_args: object) -> None:
        if self._wanted is not None and self._wanted_row is not None:
            self._select_loaded(self._wanted)

    # --- live updates -----------------------------------------------------------------------

    def _view_ids(self) -> list[int]:
        """The runs in view and the selected one (what a live refresh reads again)."""
        first = max(0, self.table.rowAt(0))
        last = self.table.rowAt(self.table.viewport().height() - 1)
        if last < 0:
            last = self.model.rowCount() - 1
        ids = self.model.loaded_ids(first, min(last, first + LIVE_ROWS_MAX))
        selected = self.selected_run()
        if selected is not None and selected.id not in ids:
            ids.append(selected.id)
        return ids

    def refresh(self) -> None:
        """Read the rows in view and the runs newer than the list again."""
        if not self.begin_read(busy=self.model.loading):
            return
        generation, service, flt = self.model.generation, self.service, self.model.filter
        ids, newest = self._view_ids(), self.model.newest_id()

        def run() -> tuple[list[RunRow], list[RunRow]]:
            return service.rows(ids), service.newer(flt, newest)

        def done(result: tuple[list[RunRow], list[RunRow]]) -> None:
            if generation == self.model.generation and not self.model.loading:
                changed, new = result
                self.model.apply_rows([*changed, *new])
            self._load_detail()
            self.end_read(later=True)

        def failed(message: str) -> None:
            self.end_read(later=True)
            self.show_error(message)

        self.calls.read(run, done, failed)

    def _after_reload(self) -> None:
        if self._wanted is not None:
            self._seek()
        elif self._selected is not None:
            self._select_loaded(self._selected)
        self.run_pending(later=True)

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
                self._selected = None
            self.details.show_detail(None)
            return
        self._selected = run.id
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
        self.message.setText(f"⚠ {message}")

    def _after_run_act(self) -> None:
        self.schedule_refresh()
