"""Audit: the append-only, hash-chained trail, filtered (by actor, action, entity and a range
of local calendar dates), verified, each event shown whole in a details pane, and the
filtered view exported for auditors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
)

from governance_desktop.domain.errors import GovernanceError
from governance_desktop.domain.text import SEARCH_MAX
from governance_desktop.services.audit_pages import AuditFilter, day_bounds
from governance_desktop.services.audit_verify import TrailCheck
from governance_desktop.services.changes import Changes
from governance_desktop.services.dto import AuditEventInfo, AuditVerification
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.page import Page
from governance_desktop.ui.pages.audit.details import EventDetails
from governance_desktop.ui.pages.audit.model import C_DETAILS, C_HASH, C_ID, AuditModel
from governance_desktop.ui.pages.workflows.conditions import error_label
from governance_desktop.ui.widgets import named

COALESCE_MS = 400
POLL_MS = 3000  # another process (CLI, worker) may append events too
DATE_HINT = "YYYY-MM-DD"


class AuditPage(Page):
    """Newest events first, filtered by actor, action and entity; Verify walks the whole
    chain off the GUI thread and names the first event that does not check out."""

    def __init__(self, ui: UiContext) -> None:
        # every change writes an audit event; read while shown (and when shown)
        super().__init__(ui, refresh_on=Changes.ALL, while_shown=True, refresh_ms=COALESCE_MS)
        self.service = ui.app.audit_pages
        self.model = AuditModel(self.service, ui.background, self)
        self.model.failed.connect(self.show_error)
        self._filter_delay = self.timer_while_shown(
            COALESCE_MS, self._apply_filter, single_shot=True
        )
        self.timer_while_shown(POLL_MS, self.schedule_refresh)
        self._build()
        self.model.reload()

    def _build(self) -> None:
        self.actor = self._filter_edit("auditFilterActor", "Actor")
        self.action = self._filter_edit("auditFilterAction", "Action, e.g. policy.status")
        self.entity = self._filter_edit("auditFilterEntity", "Entity, e.g. POL-003")
        self.date_from = self._filter_edit("auditFilterFrom", f"From {DATE_HINT}")
        self.date_to = self._filter_edit("auditFilterTo", f"To {DATE_HINT}")
        for edit, which in ((self.date_from, "first"), (self.date_to, "last")):
            edit.setMaxLength(10)
            edit.setToolTip(f"The {which} local calendar day to show ({DATE_HINT}); empty: any")
            edit.setMaximumWidth(self.fontMetrics().horizontalAdvance(f"From {DATE_HINT}") + 40)
        self.date_error = error_label("auditDateError")
        filters = QHBoxLayout()
        for edit in (self.actor, self.action, self.entity):
            filters.addWidget(edit, 1)
        filters.addWidget(self.date_from)
        filters.addWidget(self.date_to)
        filters.addWidget(self.date_error)

        self.verify_button = named(QPushButton("Verify chain"), "verifyAuditButton")
        self.verify_button.setToolTip(
            "Check that no event was edited, deleted, inserted or reordered (Ctrl+Shift+V)"
        )
        self.verify_button.clicked.connect(self.verify)
        self.anchor = named(QLineEdit(), "auditAnchor")
        self.anchor.setPlaceholderText("Kept head hash (optional)")
        self.anchor.setToolTip(
            "The head hash from an earlier export: Verify then also proves that the trail you\n"
            "saw then is still here, unchanged (no newest events removed, nothing recomputed)"
        )
        self.anchor.setAccessibleName("Head hash kept from an earlier export")
        self.anchor.setMaxLength(64)
        self.anchor.setMinimumWidth(
            self.fontMetrics().horizontalAdvance(self.anchor.placeholderText()) + 40
        )
        self.anchor.setClearButtonEnabled(True)
        self.export_button = named(QPushButton("Export CSV…"), "exportAuditButton")
        self.export_button.setToolTip(
            "Write the events shown (the filters apply; none set: every event) and the "
            "chain's head hash (Ctrl+E)"
        )
        self.export_button.clicked.connect(self._choose_export)
        self.result = named(QLabel("Not verified yet."), "auditVerifyResult")
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.setWordWrap(True)
        actions = QHBoxLayout()
        actions.addWidget(self.verify_button)
        actions.addWidget(self.anchor)
        actions.addWidget(self.export_button)
        actions.addWidget(self.result, 1)

        self.table = named(QTableView(), "auditTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        self._fitted = False  # columns fit the first rows once; then they are the person's
        self.model.modelReset.connect(self._fit_columns)
        self.table.selectionModel().currentRowChanged.connect(self._show_selected)
        self.details = EventDetails()
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([780, 260])

        self.message = named(QLabel(), "auditMessage")
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(actions)
        layout.addWidget(split, 1)
        layout.addWidget(self.message)
        for text, keys, slot in (
            (
                "Filter audit events",
                QKeySequence(QKeySequence.StandardKey.Find),
                self.actor.setFocus,
            ),
            (
                "Reload audit events",
                QKeySequence(QKeySequence.StandardKey.Refresh),
                self.model.reload,
            ),
            ("Verify audit chain", QKeySequence("Ctrl+Shift+V"), self.verify),
            ("Export audit CSV", QKeySequence("Ctrl+E"), self._choose_export),
        ):
            action = QAction(text, self, shortcut=keys)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

    def _filter_edit(self, name: str, placeholder: str) -> QLineEdit:
        edit = named(QLineEdit(), name)
        edit.setPlaceholderText(placeholder)
        edit.setMaxLength(SEARCH_MAX)
        edit.setClearButtonEnabled(True)
        edit.textChanged.connect(lambda _text: self._filter_delay.start())
        return edit

    # --- live updates: events are only ever appended -----------------------------------------

    def refresh(self) -> None:
        """Read the events after the newest one shown."""
        if not self.begin_read(busy=self.model.loading):
            return
        service, after, generation = self.service, self.model.newest_id(), self.model.generation

        def done(events: list[AuditEventInfo]) -> None:
            if generation == self.model.generation:
                if len(events) >= 1000:
                    self.model.reload()
                else:
                    self.model.apply_rows(events)
            self.end_read(later=True)

        def failed(message: str) -> None:
            self.end_read(later=True)
            self.show_error(message)

        self.calls.read(lambda: service.newer(after), done, failed)

    def view_filter(self) -> AuditFilter | None:
        """The filters as typed, or None (and the reason beside the dates) for a date that is
        not a calendar date or a range that ends before it starts."""
        try:
            first, last = _day(self.date_from.text(), "from"), _day(self.date_to.text(), "to")
            since, until = day_bounds(first, last)
        except GovernanceError as exc:
            self.date_error.setText(str(exc))
            self.date_error.show()
            return None
        self.date_error.clear()
        self.date_error.hide()
        return AuditFilter(self.actor.text(), self.action.text(), self.entity.text(), since, until)

    def _apply_filter(self) -> None:
        flt = self.view_filter()
        if flt is None:
            return  # refused beside the dates; the table keeps the last good filter
        if self.message.text().startswith("⚠"):
            self.message.clear()  # it was about the filter before
        self.model.set_filter(flt)

    def _fit_columns(self) -> None:
        """Columns sized to the first rows shown, once: details take the rest."""
        if self._fitted or self.model.rowCount() == 0:
            return
        self._fitted = True
        self.table.resizeColumnsToContents()
        widest = max(120, self.table.viewport().width() // 4)  # long entities stay readable
        for column in range(self.model.columnCount()):
            if column != C_DETAILS:
                self.table.setColumnWidth(column, min(self.table.columnWidth(column), widest))
        self.table.setColumnWidth(C_ID, max(self.table.columnWidth(C_ID), 48))
        self.table.setColumnWidth(C_HASH, self.fontMetrics().horizontalAdvance("0" * 12) + 16)
        used = sum(self.table.columnWidth(c) for c in range(self.model.columnCount()))
        rest = self.table.viewport().width() - used + self.table.columnWidth(C_DETAILS)
        self.table.setColumnWidth(C_DETAILS, max(rest, self.fontMetrics().averageCharWidth() * 30))

    def _show_selected(self, current: object, _previous: object) -> None:
        row = self.table.currentIndex().row()
        self.details.show_event(self.model.row_item(row) if row >= 0 else None)

    # --- verify and export ------------------------------------------------------------------

    def verify(self) -> None:
        self.verify_button.setEnabled(False)
        self.result.setText("Verifying the audit chain…")
        app, anchor = self.ui.app, self.anchor.text().strip().lower() or None
        self.calls.read(
            lambda: app.check_trail(anchor=anchor), self._show_check, self._verify_failed
        )

    def _show_check(self, check: TrailCheck) -> None:
        """The chain's verdict, then the signatures': every problem named by id."""
        self._show_verification(check.chain)
        if check.problems:
            self.result.setText(
                f"✘ {len(check.problems)} problem(s): {check.problems[0]}"
                if check.chain.ok
                else f"{self.result.text()} · {len(check.problems)} more problem(s)"
            )
            self.result.setToolTip("\n".join(check.problems))
        elif check.chain.ok:
            self.result.setText(f"{self.result.text()} · {check.signatures:,} signatures verified")

    def _show_verification(self, result: AuditVerification) -> None:
        self.verify_button.setEnabled(True)
        if result.ok:
            kept = " and the kept head hash is in it" if self.anchor.text().strip() else ""
            warned = (
                f" ⚠ {len(result.warnings)} warning(s): {result.warnings[0]}"
                if result.warnings
                else ""
            )
            self.result.setText(
                f"✔ Chain intact: {result.events:,} events, head hash {result.head_hash[:16]}…"
                + kept
                + warned
            )
            self.result.setToolTip("\n".join([f"Head hash: {result.head_hash}", *result.warnings]))
        elif result.first_bad_id is None:
            self.result.setText(f"✘ {result.problem}")
            self.result.setToolTip("The chain checks out, but it is not the trail you kept.")
        else:
            self.result.setText(f"✘ Event {result.first_bad_id}: {result.problem}")
            self.result.setToolTip(
                f"{result.events:,} events checked; the chain breaks at event "
                f"{result.first_bad_id}. Everything after it cannot be trusted."
            )

    def _verify_failed(self, message: str) -> None:
        self.verify_button.setEnabled(True)
        self.result.setText(f"⚠ Could not verify: {message}")

    def _choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export audit trail", str(Path.home() / "audit.csv"), "CSV files (*.csv)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Export what the table shows (its filters) off the GUI thread; the result names the
        file, the filter and the chain's state."""
        view = self.view_filter()
        if view is None:
            return  # the dates are refused beside them; nothing is written
        self.export_button.setEnabled(False)
        self.message.setText(f"Exporting to {path}…")
        audit = self.ui.app.audit
        shown = "" if view.is_empty else f" shown by the filter ({view.describe()})"

        def done(result: AuditVerification) -> None:
            self.export_button.setEnabled(True)
            state = "chain intact" if result.ok else f"chain broken at event {result.first_bad_id}"
            self.message.setText(f"Exported {result.events:,} events{shown} to {path} ({state})")

        def failed(message: str) -> None:
            self.export_button.setEnabled(True)
            self.show_error(message)

        # The save dialog has already asked before replacing a file, hence force; the data
        # folder, folders and devices are still refused (store/outfile.py).
        protected, actor = self.ui.app.protected, self.ui.actor
        self.calls.read(
            lambda: audit.export_csv(path, protected, actor=actor, force=True, view=view),
            done,
            failed,
        )

    def show_error(self, message: str) -> None:
        self.message.setText(f"⚠ {message}")


def _day(text: str, which: str) -> dt.date | None:
    """A typed local calendar date (YYYY-MM-DD), None when empty."""
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise GovernanceError(f"'{which}' is not a date like 2026-03-31") from None
