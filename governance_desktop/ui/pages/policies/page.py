"""The policy register: filter, edit, move through the lifecycle, see what happened to it."""

from __future__ import annotations

from PySide6.QtCore import (
    QByteArray,
    QItemSelectionModel,
    QModelIndex,
    QSettings,
    Qt,
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
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
)

from governance_desktop.domain.enums import PolicyStatus
from governance_desktop.services.changes import Changes
from governance_desktop.services.dto import PolicyInfo, UserInfo
from governance_desktop.services.policy_details import PolicyDetails
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.evidence.button import EvidenceExport
from governance_desktop.ui.page import Page
from governance_desktop.ui.pages.policies.details import PolicyDetailsTabs, fit_columns
from governance_desktop.ui.pages.policies.editor import PolicyEditor
from governance_desktop.ui.pages.policies.models import PoliciesFilter, PoliciesModel, status_label
from governance_desktop.ui.pages.policies.versions import VersionsTab
from governance_desktop.ui.widgets import named

SHOWN = Changes.POLICIES | Changes.AUDIT | Changes.TASKS | Changes.APPROVALS


class PoliciesPage(Page):
    """Reads go through `ui.background`; refreshes after job events are coalesced."""

    loaded = Signal()  # the table (and the selected policy's details) were reloaded

    def __init__(self, ui: UiContext) -> None:
        super().__init__(ui, refresh_on=SHOWN, job_events=True)
        self.details_service = ui.app.policy_details
        self.model = PoliciesModel(self)
        self.proxy = PoliciesFilter(self)
        self.proxy.setSourceModel(self.model)

        self.filter = named(QLineEdit(), "policiesFilter")
        self.filter.setPlaceholderText("Filter by code, title or owner (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter_changed)
        self.status_filter = named(QComboBox(), "policiesStatusFilter")
        self.status_filter.addItem("All statuses", None)
        for status in PolicyStatus:
            self.status_filter.addItem(status_label(status), status.value)
        self.status_filter.currentIndexChanged.connect(self._filter_changed)
        self.count = named(QLabel(), "policiesCount")
        self.add_button = named(QPushButton("Add policy…"), "addPolicyButton")
        self.add_button.setToolTip("Add a policy (Ctrl+N)")
        self.add_button.clicked.connect(self.open_add)
        top = QHBoxLayout()
        top.addWidget(self.filter, 2)
        top.addWidget(self.status_filter)
        top.addWidget(self.count, 1)
        top.addWidget(self.add_button)
        self.evidence = EvidenceExport(ui, self.selected_code)
        top.addWidget(self.evidence)

        self.add_frame = self._build_add_frame()
        self.message = named(QLabel(), "policiesMessage")
        self.message.hide()

        self.table = named(QTableView(), "policiesTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
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
        self.details = PolicyDetailsTabs()
        self.versions = VersionsTab(ui)
        self.details.addTab(self.versions, "Versions")

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

        self._restore_layout()
        self.refresh()
        self.calls.read(ui.app.users.list, self._users_loaded)

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
            self._select_after_load = info.code
            self.refresh()

        def failed(error: str) -> None:
            self.create_button.setEnabled(True)
            self.new_message.setText(f"Not added: {error}")

        self.calls.write(
            lambda: ui.app.policies.add(ui.actor, code, title), done, failed, Changes.POLICIES
        )

    # --- loading --------------------------------------------------------------------------

    _select_after_load: str | None = None

    def refresh(self) -> None:
        """Reload the register and the selected policy's details (one read at a time)."""
        if not self.begin_read():
            return
        code = self.selected_code()
        app = self.ui.app
        service = self.details_service

        def load() -> tuple[list[PolicyInfo], PolicyDetails | None]:
            return app.policies.list(bodies=True), service.details(code) if code else None

        self.calls.read(load, self._loaded, self._load_failed)

    def _loaded(self, result: tuple[list[PolicyInfo], PolicyDetails | None]) -> None:
        policies, details = result
        self.message.hide()
        keep = self._select_after_load or self.selected_code()
        self._select_after_load = None
        if self.model.set_rows(policies):
            fit_columns(self.table, 260)
        if keep and keep != self.selected_code():
            self.select_code(keep)
        current = self.selected_policy()
        self.editor.show_policy(current)
        self.versions.show_policy(current)
        if details is not None and current is not None and details.code == current.code:
            self.details.show_details(details)
        self._update_count()
        self.end_read()
        self.loaded.emit()

    def _load_failed(self, error: str) -> None:
        self.end_read()
        self.message.setText(f"Could not load the policies: {error}")
        self.message.show()

    def _load_details(self, code: str) -> None:
        service = self.details_service
        self.calls.read(lambda: service.details(code), self._details_loaded)

    def _details_loaded(self, details: PolicyDetails) -> None:
        if details.code == self.selected_code():
            self.details.show_details(details)

    def _users_loaded(self, users: list[UserInfo]) -> None:
        self.editor.set_users([u.username for u in users])
        me = next((u for u in users if u.username == self.ui.actor), None)
        self.editor.set_role(me.role if me else None, me.active if me else False)
        self.add_button.setEnabled(self.editor.read_only_reason is None)
        self.add_button.setToolTip(self.editor.read_only_reason or "Add a policy (Ctrl+N)")

    # --- selection and filtering ---------------------------------------------------------

    def selected_code(self) -> str | None:
        index = self.table.selectionModel().currentIndex()
        if not index.isValid():
            return None
        source = self.proxy.mapToSource(index)
        return self.model.row(source.row()).code if source.isValid() else None

    def selected_policy(self) -> PolicyInfo | None:
        code = self.selected_code()
        row = self.model.find(code) if code else -1
        return self.model.row(row) if row >= 0 else None

    def select_code(self, code: str) -> bool:
        row = self.model.find(code)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)
        return True

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        policy = self.selected_policy() if current.isValid() else None
        self.editor.show_policy(policy)
        self.versions.show_policy(policy)
        if policy is None:
            self.details.show_details(None)
        elif self.details.code != policy.code:
            self.details.show_details(None)
            self._load_details(policy.code)

    def _filter_changed(self) -> None:
        self.proxy.set_text(self.filter.text())
        self.proxy.set_status(self.status_filter.currentData())
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count.setText(f"{shown} of {total}" if shown != total else f"{total} policies")

    def _focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()

    def _edited(self, info: PolicyInfo) -> None:
        self.refresh()

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
