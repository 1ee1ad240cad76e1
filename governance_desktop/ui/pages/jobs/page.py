"""Job monitor: what ran, what waits, what failed and why — retry, cancel, pause, throughput."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
)

from governance_desktop.domain.enums import JobState
from governance_desktop.domain.job_states import CANCELLABLE, FINAL_JOB
from governance_desktop.domain.text import SEARCH_MAX
from governance_desktop.jobs.bus import JobEvent
from governance_desktop.services.changes import Changes
from governance_desktop.services.dto import JobInfo
from governance_desktop.services.job_control import BulkRetryResult
from governance_desktop.services.job_pages import JobDetail, JobFilter
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.page import Page
from governance_desktop.ui.pages.jobs.chart import JobsChart
from governance_desktop.ui.pages.jobs.details import JobDetailsView
from governance_desktop.ui.pages.jobs.model import C_RUN, STATE_NAMES, JobsModel
from governance_desktop.ui.pages.jobs.run_controls import RunControls
from governance_desktop.ui.pages.jobs.status import counts_html, rejections_text
from governance_desktop.ui.pages.jobs.table import make_jobs_table
from governance_desktop.ui.widgets import named

COALESCE_MS = 300
POLL_EXTERNAL_MS = 1000  # the worker is another process: the table is the only news
POLL_EMBEDDED_MS = 5000  # events drive updates; this only catches other writers
HISTORY_MS = 5000
COUNTS_EVERY_S = 1.5


class _Progress(QObject):
    step = Signal(int, int)  # emitted from the writer thread, delivered on the GUI thread


class JobMonitorPage(Page):
    """A live, lazily paged table of jobs with counts, search, details and the worker's
    controls. Engine events (or, with a separate worker, a watermark poll) patch rows."""

    #: "Open run" asks for the Runs page on this run (the window opens it, if there is one).
    open_run = Signal(int)

    def __init__(self, ui: UiContext) -> None:
        super().__init__(
            ui,
            refresh_on=Changes.JOBS | Changes.APPROVALS,
            job_events=True,
            while_shown=True,
            refresh_ms=COALESCE_MS,
        )
        self.service = ui.app.job_pages
        self.commands = ui.app.jobs
        self.model = JobsModel(self.service, ui.background, self)
        self.model.failed.connect(self.show_error)
        self.model.reloaded.connect(self._after_reload)
        self._counts_at = 0.0
        self._counts: dict[str, int] = {}
        self._progress = _Progress(self)
        self._progress.step.connect(self._bulk_step)
        self.timer_while_shown(
            POLL_EMBEDDED_MS if self.embedded else POLL_EXTERNAL_MS, self.schedule_refresh
        )
        self.timer_while_shown(HISTORY_MS, self._load_history)
        # Counts are read at most every COUNTS_EVERY_S; a skipped read is made up later.
        self._counts_due = self.timer_while_shown(
            int(COUNTS_EVERY_S * 1000), self.schedule_refresh, single_shot=True
        )
        self._search_delay = self.timer_while_shown(
            COALESCE_MS, self._apply_filter, single_shot=True
        )
        self._build()
        self.model.reload()

    @property
    def embedded(self) -> bool:
        runtime = self.ui.runtime
        return runtime is not None and runtime.consumer is not None and runtime.started

    # --- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.state_filter = named(QComboBox(), "jobStateFilter")
        self.state_filter.addItem("All states", None)
        for state, name in STATE_NAMES.items():
            self.state_filter.addItem(name, state)
        self.state_filter.currentIndexChanged.connect(self._apply_filter)
        self.search = named(QLineEdit(), "jobSearch")
        self.search.setPlaceholderText("Search by job id, workflow or policy  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMaxLength(SEARCH_MAX)
        self.search.textChanged.connect(lambda _text: self._search_delay.start())
        self.counts = named(QLabel(), "jobStateCounts")
        self.counts.setTextFormat(Qt.TextFormat.RichText)
        top = QHBoxLayout()
        top.addWidget(self.state_filter)
        top.addWidget(self.search, 1)
        top.addSpacing(12)
        top.addWidget(self.counts)

        self.retry_button = self._button(
            "Retry job", "retryJobButton", "Ctrl+R", self.retry_selected
        )
        self.cancel_button = self._button(
            "Cancel job", "cancelJobButton", "Del", self.cancel_selected
        )
        self.retry_all_button = self._button(
            "Retry all failed", "retryAllFailedButton", "Ctrl+Shift+R", self.retry_all_failed
        )
        self.pause_button = self._button(
            "Pause worker", "pauseWorkerButton", "Ctrl+P", self.toggle_pause
        )
        self.open_run_button = self._button(
            "Open run", "openRunButton", "Ctrl+Shift+O", self.open_selected_run
        )
        self.bulk_progress = named(QProgressBar(), "bulkRetryProgress")
        self.bulk_progress.setMaximumWidth(200)
        self.bulk_progress.hide()
        actions = QHBoxLayout()
        for button in (
            self.retry_button,
            self.cancel_button,
            self.retry_all_button,
            self.open_run_button,
        ):
            actions.addWidget(button)
        actions.addWidget(self.bulk_progress)
        self.run_controls = RunControls(self.ui, self.calls, self._after_run_act)
        actions.addWidget(self.run_controls, 1)
        actions.addWidget(self.pause_button)

        self.table = make_jobs_table(self.model)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.table.doubleClicked.connect(self._double_clicked)

        self.details = JobDetailsView()
        self.chart = JobsChart()
        bottom = named(QSplitter(Qt.Orientation.Horizontal), "jobsBottomSplitter")
        bottom.addWidget(self.details)
        bottom.addWidget(self.chart)
        bottom.setSizes([600, 400])
        split = named(QSplitter(Qt.Orientation.Vertical), "jobsSplitter")
        split.addWidget(self.table)
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        self.message = named(QLabel(), "jobMessage")
        self.message.setWordWrap(True)
        self.rejected = named(QLabel(), "rejectedMessages")
        footer = QHBoxLayout()
        footer.addWidget(self.message, 1)
        footer.addWidget(self.rejected)

        page = QVBoxLayout(self)
        page.addLayout(top)
        page.addLayout(actions)
        page.addWidget(split, 1)
        page.addLayout(footer)
        find = QAction("Search jobs", self, shortcut=QKeySequence(QKeySequence.StandardKey.Find))
        find.triggered.connect(lambda: self.search.setFocus())
        reload = QAction(
            "Reload jobs", self, shortcut=QKeySequence(QKeySequence.StandardKey.Refresh)
        )
        reload.triggered.connect(self.model.reload)
        for action in (find, reload):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        self._update_pause()
        self._update_rejections()
        self._update_buttons()

    def _button(self, text: str, name: str, shortcut: str, slot: Any) -> QPushButton:
        button = named(QPushButton(text), name)
        button.setToolTip(f"{text} ({shortcut})")
        button.clicked.connect(slot)
        action = QAction(text, self, shortcut=QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

        def trigger() -> None:
            if button.isEnabled():
                button.click()

        action.triggered.connect(trigger)
        self.addAction(action)
        return button

    # --- live updates: timers run only while the page is shown -------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._load_history()

    def on_job_event(self, event: JobEvent) -> None:
        if event.state in FINAL_JOB:
            self.chart.add_finished(event.at)
        super().on_job_event(event)

    def refresh(self) -> None:
        """Read what changed since the watermark (coalesced: see `schedule_refresh`)."""
        if not self.begin_read(busy=self.model.loading):
            return
        generation, watermark = self.model.generation, self.model.snapshot_extra
        with_counts = time.monotonic() - self._counts_at >= COUNTS_EVERY_S
        if not with_counts and not self._counts_due.isActive():
            self._counts_due.start()
        service = self.service

        waiting = self.model.waiting_ids()

        def run() -> tuple[Any, dict[str, int] | None, list[JobInfo]]:
            return (
                service.changed_since(watermark),
                service.counts() if with_counts else None,
                service.rows(waiting),
            )

        self.calls.read(run, lambda result: self._polled(generation, result), self._poll_failed)

    def _polled(
        self, generation: int, result: tuple[Any, dict[str, int] | None, list[JobInfo]]
    ) -> None:
        changes, counts, waiting = result
        if generation == self.model.generation and not self.model.loading:
            if changes.complete:
                # Rows whose run moved on (an approval answered) first: changed rows win.
                self.model.apply_rows([*waiting, *reversed(changes.rows)])
                self.model.snapshot_extra = changes.watermark
            else:
                self.model.reload()
            if self.details.job_id in {row.id for row in changes.rows}:
                self._load_detail(self.details.job_id)
        if counts is not None:
            self._counts_at = time.monotonic()
            self._show_counts(counts)
        self._update_pause()
        self._update_rejections()
        self._update_buttons()
        self.end_read(later=True)

    def _poll_failed(self, message: str) -> None:
        self.end_read(later=True)
        self.show_error(message)

    def _after_reload(self) -> None:
        self._counts_at = 0.0
        self._update_buttons()
        self.run_pending(later=True)

    def _load_history(self) -> None:
        service, window = self.service, self.chart.window_seconds

        def run() -> tuple[list[datetime], float]:
            now = time.time()
            return service.finished_within(window), now

        self.calls.read(run, lambda r: self.chart.set_history(*r), lambda _e: None)

    # --- filter, counts, selection ----------------------------------------------------------

    def _apply_filter(self) -> None:
        self.model.set_filter(JobFilter(self.state_filter.currentData(), self.search.text()))

    def _show_counts(self, counts: dict[str, int]) -> None:
        self._counts = counts
        html = counts_html(counts)
        if html != self.counts.text():  # a rich-text label lays itself out again on setText
            self.counts.setText(html)
            self.counts.setToolTip(f"{sum(counts.values()):,} jobs in all")

    def selected_job(self) -> JobInfo | None:
        index = self.table.currentIndex()
        return self.model.row_item(index.row()) if index.isValid() else None

    def select_job(self, job_id: int) -> bool:
        """Select the row of a loaded job; False if it is not loaded (or filtered out)."""
        for row in range(min(self.model.rowCount(), 2000)):
            item = self.model.row_item(row)
            if item is not None and item.id == job_id:
                self.table.selectRow(row)
                return True
        return False

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        job = self.model.row_item(current.row()) if current.isValid() else None
        self._update_buttons()
        self.run_controls.show_job(job)
        if job is None:
            self.details.show_detail(None)
        else:
            self._load_detail(job.id)

    def _load_detail(self, job_id: int | None) -> None:
        if job_id is None:
            return
        service = self.service
        self.calls.read(lambda: service.detail(job_id), self._show_detail, self.show_error)

    def _show_detail(self, detail: JobDetail) -> None:
        selected = self.selected_job()
        if selected is not None and selected.id == detail.job.id:
            self.details.show_detail(detail)
            self.run_controls.show_job(detail.job)  # its state may have moved on

    def _update_buttons(self) -> None:
        job = self.selected_job()
        self.open_run_button.setEnabled(job is not None and job.execution_id is not None)
        self.retry_button.setEnabled(job is not None and job.state == JobState.FAILED)
        self.cancel_button.setEnabled(job is not None and job.state in CANCELLABLE)
        failed = self._counts.get(JobState.FAILED, 0)
        busy = not self.bulk_progress.isHidden()
        self.retry_all_button.setEnabled(failed > 0 and not busy)
        self.retry_all_button.setText(
            f"Retry all failed ({failed})" if failed else "Retry all failed"
        )

    def _update_pause(self) -> None:
        runtime = self.ui.runtime
        if not self.embedded or runtime is None:
            self.pause_button.setEnabled(False)
            self.pause_button.setText("Pause worker")
            self.pause_button.setToolTip(
                "The worker runs in another process; pause or stop it there."
            )
            return
        self.pause_button.setEnabled(True)
        self.pause_button.setText("Resume worker" if runtime.paused else "Pause worker")
        self.pause_button.setToolTip(
            ("Resume" if runtime.paused else "Pause")
            + " taking new jobs from the queue (Ctrl+P); running jobs finish"
        )

    def _update_rejections(self) -> None:
        runtime = self.ui.runtime
        text, tooltip = rejections_text(runtime.rejections if runtime is not None else None)
        self.rejected.setText(text)
        self.rejected.setToolTip(tooltip)

    # --- commands ---------------------------------------------------------------------------

    def show_error(self, message: str) -> None:
        self.message.setText(f"⚠ {message}")

    def show_message(self, message: str) -> None:
        self.message.setText(message)

    def _done(self, text: str) -> Any:
        def done(_result: object) -> None:
            self.show_message(text)
            self.schedule_refresh()

        return done

    def _after_run_act(self) -> None:
        self.schedule_refresh()
        self._load_detail(self.details.job_id)

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.column() == C_RUN:
            self.open_selected_run()

    def open_selected_run(self) -> None:
        """Show the selected job's run on the Runs page (in the window, if there is one)."""
        job = self.selected_job()
        if job is None or job.execution_id is None:
            return
        self.open_run.emit(job.execution_id)
        window = self.window()
        opener = getattr(window, "open_page", None) if window is not self else None
        if callable(opener):
            opener("executionsPage", f"run:{job.execution_id}")

    def retry_selected(self) -> None:
        self._on_selected((JobState.FAILED,), self.commands.retry, "retried")

    def cancel_selected(self) -> None:
        self._on_selected(CANCELLABLE, self.commands.cancel, "cancelled")

    def _on_selected(
        self, states: Collection[str], command: Callable[[int, str], object], done: str
    ) -> None:
        """Run `command(job_id, actor)` on the writer for the selected job if its state allows."""
        job = self.selected_job()
        if job is None or job.state not in states:
            return
        actor, job_id = self.ui.actor, job.id
        self.calls.write(
            lambda: command(job_id, actor),
            self._done(f"Job {job_id} {done}"),
            self.show_error,
            Changes.JOBS,
        )

    def retry_all_failed(self) -> None:
        commands, actor = self.commands, self.ui.actor
        self.bulk_progress.setRange(0, 0)
        self.bulk_progress.show()
        self.retry_all_button.setEnabled(False)
        self.show_message("Retrying failed jobs…")
        step = self._progress.step.emit

        def done(result: BulkRetryResult) -> None:
            self.bulk_progress.hide()
            skipped = (
                f"; {len(result.skipped)} skipped ({result.skipped[0]})" if result.skipped else ""
            )
            self._done(f"Retried {result.retried} failed jobs{skipped}")(result)

        def failed(message: str) -> None:
            self.bulk_progress.hide()
            self.show_error(message)
            self._update_buttons()

        self.calls.write(lambda: commands.retry_all_failed(actor, step), done, failed, Changes.JOBS)

    def _bulk_step(self, done: int, total: int) -> None:
        self.bulk_progress.setRange(0, total)
        self.bulk_progress.setValue(done)
        self.bulk_progress.setFormat(f"{done} of {total}")

    def toggle_pause(self) -> None:
        runtime = self.ui.runtime
        if runtime is None or not self.embedded:
            return
        if runtime.paused:
            runtime.resume()
            self.show_message("Worker resumed")
        else:
            runtime.pause()
            self.show_message("Worker paused: queued jobs wait until you resume it")
        self._update_pause()
