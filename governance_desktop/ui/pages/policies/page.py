"""The policy register: filter, edit, move through the lifecycle, see what happened to it."""

from __future__ import annotations

from PySide6.QtCore import (
    QByteArray,
    QItemSelectionModel,
    QModelIndex,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
)

from governance_desktop.domain.enums import PolicyStatus
from governance_desktop.services.changes import Changes
from governance_desktop.services.dto import PolicyInfo, UserInfo
from governance_desktop.services.policy_details import PolicyDetails
from governance_desktop.services.policy_pages import PolicyFilter
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.evidence.button import EvidenceExport
from governance_desktop.ui.page import Page
from governance_desktop.ui.pages.policies.details import PolicyDetailsTabs, fit_columns
from governance_desktop.ui.pages.policies.editor import PolicyEditor
from governance_desktop.ui.pages.policies.models import PoliciesModel, status_label
from governance_desktop.ui.pages.policies.run_workflow import RunWorkflow
from governance_desktop.ui.pages.policies.versions import VersionsTab
from governance_desktop.ui.widgets import named

SHOWN = Changes.POLICIES | Changes.AUDIT | Changes.TASKS | Changes.APPROVALS | Changes.USERS
TYPING_MS = 150  # the filter waits this long for typing to stop
REVIEWS = (("All reviews", None), ("Review due (30 days)", "due"), ("Review overdue", "overdue"))


class PoliciesPage(Page):
    """Reads go through `ui.background`; refreshes after job events are coalesced."""

    loaded = Signal()  # the table (and the selected policy's details) were reloaded

    def __init__(self, ui: UiContext) -> None:
        super().__init__(ui, refresh_on=SHOWN, job_events=True)
        self.details_service = ui.app.policy_details
        self.model = PoliciesModel(ui.background, ui.app.policy_pages, PolicyFilter(), self)
        self.model.located.connect(self._located)
        self.model.reloaded.connect(self._reloaded)
        self.model.failed.connect(self._load_failed)
        self._typing = QTimer(self, singleShot=True, interval=TYPING_MS)
        self._typing.timeout.connect(self._apply_filter)
        self._selecting = False  # a selection the page makes itself: no unsaved-edits prompt

        self.filter = named(QLineEdit(), "policiesFilter")
        self.filter.setPlaceholderText("Filter by code, title or owner (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._typing.start)
        self.status_filter = named(QComboBox(), "policiesStatusFilter")
        self.status_filter.addItem("All statuses", None)
        for status in PolicyStatus:
            self.status_filter.addItem(status_label(status), status.value)
        self.status_filter.currentIndexChanged.connect(self._apply_filter)
        self.review_filter = named(QComboBox(), "policiesReviewFilter")
        for label, review in REVIEWS:
            self.review_filter.addItem(label, review)
        self.review_filter.currentIndexChanged.connect(self._apply_filter)
        self.count = named(QLabel(), "policiesCount")
        self.count.setMinimumWidth(1)  # its text must not widen the window's minimum
        self.add_button = named(QPushButton("Add policy…"), "addPolicyButton")
        self.add_button.setToolTip("Add a policy (Ctrl+N)")
        self.add_button.clicked.connect(self.open_add)
        top = QHBoxLayout()
        top.addWidget(self.filter, 2)
        top.addWidget(self.status_filter)
        top.addWidget(self.review_filter)
        top.addWidget(self.count, 1)
        top.addWidget(self.add_button)
        self.run_button = named(QPushButton("Run workflow…"), "runWorkflowButton")
        self.run_button.setToolTip("Run workflow on this policy… (a manual workflow, now)")
        self.run_button.setEnabled(False)
        self.run_button.clicked.connect(self.open_run_workflow)
        top.addWidget(self.run_button)
        self.evidence = EvidenceExport(ui, self.selected_code)
        top.addWidget(self.evidence)

        self.add_frame = self._build_add_frame()
        self.message = named(QLabel(), "policiesMessage")
        self.message.hide()

        self.table = named(QTableView(), "policiesTable")
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)  # the model sorts in SQL (this asks the first rows)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)

        self.editor = named(PolicyEditor(ui), "policyEditor")
        self.editor.changed.connect(self._edited)
        # A fixed floor: the window's minimum width must not grow when a policy's move
        # buttons appear (the window's remembered size would no longer fit).
        self.editor.setMinimumWidth(300)
        self.details = PolicyDetailsTabs()
        self.versions = VersionsTab(ui)
        self.details.addTab(self.versions, "Versions")
        self.details.setMinimumWidth(300)  # nor when the tab titles gain their row counts

        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(self.table)
        upper.addWidget(self.editor)
        upper.setStretchFactor(0, 3)
        upper.setStretchFactor(1, 2)
        self.splitter = named(QSplitter(Qt.Orientation.Vertical), "policiesSplitter")
        self.splitter.addWidget(upper)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.upper = upper
        upper.setSizes([750, 250])
        self.splitter.setSizes([500, 200])

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.add_frame)
        layout.addWidget(self.message)
        layout.addWidget(self.splitter, 1)

        for keys, slot in (
            (QKeySequence.StandardKey.Find, self._focus_filter),
            (QKeySequence.StandardKey.New, self.open_add),
            (QKeySequence.StandardKey.Refresh, self.refresh),
        ):
            QShortcut(keys, self, slot, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        self.run_workflow = RunWorkflow(ui, self)
        self.run_workflow.message.connect(self._show_message)
        self._restore_layout()
        self._load_users()

    # --- add a policy ---------------------------------------------------------------------

    def _build_add_frame(self) -> QFrame:
        frame = named(QFrame(), "newPolicyForm")
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(frame)
        self.new_code = named(QLineEdit(), "newPolicyCode")
        self.new_code.setPlaceholderText("Code, e.g. POL-013")
        self.new_code.setMaximumWidth(160)
        self.new_title = named(QLineEdit(), "newPolicyTitle")
        self.new_title.setPlaceholderText("Title")
        self.new_title.returnPressed.connect(self.create_policy)
        self.create_button = named(QPushButton("Create"), "createPolicyButton")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.create_policy)
        cancel = named(QPushButton("Cancel"), "cancelNewPolicyButton")
        cancel.clicked.connect(frame.hide)
        self.new_message = named(QLabel(), "newPolicyMessage")
        self.new_message.setWordWrap(True)
        row.addWidget(QLabel("New policy:"))
        row.addWidget(self.new_code)
        row.addWidget(self.new_title, 1)
        row.addWidget(self.create_button)
        row.addWidget(cancel)
        row.addWidget(self.new_message, 1)
        frame.hide()
        return frame

    def open_add(self) -> None:
        if not self.add_button.isEnabled():  # Ctrl+N for a role that may not author
            return
        self.add_frame.show()
        self.new_message.clear()
        self.new_code.setFocus()

    def create_policy(self) -> None:
        code, title = self.new_code.text().strip(), self.new_title.text().strip()
        ui = self.ui
        self.create_button.setEnabled(False)

        def done(info: PolicyInfo) -> None:
            self.create_button.setEnabled(True)
            self.new_code.clear()
            self.new_title.clear()
            self.add_frame.hide()
            self.select_code(info.code)

        def failed(error: str) -> None:
            self.create_button.setEnabled(True)
            self.new_message.setText(f"Not added: {error}")

        self.calls.write(
            lambda: ui.app.policies.add(ui.actor, code, title), done, failed, Changes.POLICIES
        )

    # --- loading --------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the register (rows change in place, the selection is kept by code) and the
        selected policy with its details."""
        self.model.refresh()
        code = self.editor.policy.code if self.editor.policy is not None else None
        if code is not None:
            self._load_policy(code)

    def on_changes(self, changes: Changes) -> None:
        if changes & Changes.USERS:
            self._load_users()  # owner and assignee pickers follow the user list
        if changes & (SHOWN & ~Changes.USERS):
            super().on_changes(changes)

    def _reloaded(self) -> None:
        self.message.hide()
        fit_columns(self.table, 320)
        if self.editor.policy is None and self.model.rowCount():
            self._select_row(0)  # the editor shows a policy from the start (Tab reaches it)
        self._update_count()
        self.loaded.emit()

    def _located(self, row: int) -> None:
        """Where the followed policy is now: select it again (after a sort, filter, refresh)."""
        if row < 0:
            return
        current = self.table.selectionModel().currentIndex()
        if current.isValid() and current.row() == row:
            return
        self._select_row(row)

    def _load_failed(self, error: str) -> None:
        self.message.setText(f"Could not load the policies: {error}")
        self.message.show()

    def _load_policy(self, code: str) -> None:
        """The policy with its text, and its details, off the GUI thread."""
        app, service = self.ui.app, self.details_service

        def load() -> tuple[PolicyInfo, PolicyDetails]:
            return app.policies.get(code), service.details(code)

        self.calls.read(load, self._policy_loaded, self._load_failed)

    def _policy_loaded(self, result: tuple[PolicyInfo, PolicyDetails]) -> None:
        policy, details = result
        shown = self.editor.policy
        if shown is not None and shown.code != policy.code:
            return  # another policy was selected meanwhile
        self.editor.show_policy(policy)
        self.versions.show_policy(policy)
        self.details.show_details(details)
        self.run_button.setEnabled(True)

    def _load_users(self) -> None:
        self.calls.read(self.ui.app.users.list, self._users_loaded)

    def _users_loaded(self, users: list[UserInfo]) -> None:
        self.editor.set_users([u.username for u in users if u.active])
        me = next((u for u in users if u.username == self.ui.actor), None)
        self.editor.set_role(me.role if me else None, me.active if me else False)
        self.add_button.setEnabled(self.editor.read_only_reason is None)
        self.add_button.setToolTip(self.editor.read_only_reason or "Add a policy (Ctrl+N)")

    # --- selection and filtering ---------------------------------------------------------

    def selected_code(self) -> str | None:
        """The code of the policy shown in the editor (the table's selected row)."""
        return self.editor.policy.code if self.editor.policy is not None else None

    def selected_policy(self) -> PolicyInfo | None:
        return self.editor.policy

    _locating: str | None = None

    def select_code(self, code: str) -> bool:
        """Select `code`: True when its row is loaded and selected now; else False, and the
        model locates it in SQL and selects it when found (asking again meanwhile is free)."""
        self.model.follow(code)
        row = self.model.find_loaded(code)
        if row >= 0:
            self._select_row(row)
            return True
        if self._locating != code or not self.model.loading:
            self._locating = code
            self.model.refresh()  # its snapshot locates `code` and selects it (_located)
        return False

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self._selecting = True
        try:
            self.table.selectionModel().setCurrentIndex(index, flags)
        finally:
            self._selecting = False
        self.table.scrollTo(index)

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if not current.isValid():
            return  # a reset: the editor keeps its policy (and its edits) until another is picked
        item = self.model.row_item(current.row())
        if item is None:
            return
        shown = self.editor.policy
        if shown is not None and item.code == shown.code:
            return
        if shown is not None and self.editor.dirty() and not self._selecting:
            answer = self.confirm_unsaved(shown.code)
            if answer == QMessageBox.StandardButton.Cancel:
                self._back_to(shown.code)
                return
            if answer == QMessageBox.StandardButton.Save:
                target = item.code
                self._back_to(shown.code)
                self.editor.save(lambda _info: self._select_later(target))
                return
        self._show(item)

    def _select_later(self, code: str) -> None:
        self.select_code(code)

    def _back_to(self, code: str) -> None:
        """Put the selection back on `code` without asking again (after Cancel or Save)."""
        self.model.follow(code)
        row = self.model.find_loaded(code)
        if row >= 0:
            QTimer.singleShot(0, lambda: self._select_row(row))

    def _show(self, item: PolicyInfo) -> None:
        self.model.follow(item.code)
        self.editor.show_policy(item)  # the list row (no text) until the policy is read
        self.versions.show_policy(item)
        self.details.show_details(None)
        self.run_button.setEnabled(False)
        self._load_policy(item.code)

    def confirm_unsaved(self, code: str) -> QMessageBox.StandardButton:
        """Save, Discard or Cancel typed edits of `code` before another policy is shown."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved changes",
            f"{code} has unsaved changes. Save them before showing another policy?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            self,
        )
        named(box, "unsavedChangesBox")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        return QMessageBox.StandardButton(box.exec())

    def _apply_filter(self) -> None:
        self._typing.stop()
        self.model.set_filter(
            PolicyFilter(
                text=self.filter.text(),
                status=self.status_filter.currentData(),
                review=self.review_filter.currentData(),
            )
        )

    def open_with(self, view: str) -> None:
        """``status:<status>``, ``review:due`` or ``review:overdue`` (other filters cleared)."""
        kind, _, value = view.partition(":")
        combos = (self.status_filter, self.review_filter, self.filter)
        for widget in combos:
            widget.blockSignals(True)
        try:
            self.filter.clear()
            self.status_filter.setCurrentIndex(0)
            self.review_filter.setCurrentIndex(0)
            if kind == "status":
                self.status_filter.setCurrentIndex(max(0, self.status_filter.findData(value)))
            elif kind == "review":
                self.review_filter.setCurrentIndex(max(0, self.review_filter.findData(value)))
        finally:
            for widget in combos:
                widget.blockSignals(False)
        self._apply_filter()

    def _update_count(self) -> None:
        total = self.model.rowCount()
        narrowed = self.model.filter != PolicyFilter()
        self.count.setText(f"{total:,} matching" if narrowed else f"{total:,} policies")

    def _focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()

    def _edited(self, info: PolicyInfo) -> None:
        self.model.follow(info.code)
        self.refresh()

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def open_run_workflow(self) -> None:
        code = self.selected_code()
        if code is not None:
            self.run_workflow.open(code)

    # --- remembered layout (column widths are the main window's job) ----------------------

    def _restore_layout(self) -> None:
        settings = QSettings("governance-desktop", "governance-desktop")
        for key, splitter in (("policies/splitter", self.splitter), ("policies/upper", self.upper)):
            state = settings.value(key)
            if isinstance(state, QByteArray):
                splitter.restoreState(state)

    def save_layout(self) -> None:
        settings = QSettings("governance-desktop", "governance-desktop")
        settings.setValue("policies/splitter", self.splitter.saveState())
        settings.setValue("policies/upper", self.upper.saveState())

    def hideEvent(self, event: QHideEvent) -> None:
        self.save_layout()
        super().hideEvent(event)
