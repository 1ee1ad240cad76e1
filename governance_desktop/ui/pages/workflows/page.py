"""Workflows page: the list, versions, enable / disable, import / export, the form editor,
its diagram and a dry run. Every database call runs off the GUI thread."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.domain.enums import Role
from governance_desktop.domain.identity import Meaning
from governance_desktop.services.changes import Changes
from governance_desktop.services.definition_check import Directory
from governance_desktop.services.dto import (
    ImportResult,
    UserInfo,
    WorkflowInfo,
    WorkflowVersionInfo,
)
from governance_desktop.services.identity import Signer
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.page import Page
from governance_desktop.ui.pages.workflows.diagram import WorkflowDiagram
from governance_desktop.ui.pages.workflows.dryrun import DryRunPanel
from governance_desktop.ui.pages.workflows.editor import WorkflowEditor
from governance_desktop.ui.pages.workflows.models import WorkflowListModel, WorkflowVersionsModel
from governance_desktop.ui.signing.session import SigningAct
from governance_desktop.ui.widgets import named

_STEP = re.compile(r"^actions\[(\d+)\]")


def _table(name: str) -> QTableView:
    view = named(QTableView(), name)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    view.verticalHeader().hide()
    view.setWordWrap(False)
    view.horizontalHeader().setHighlightSections(False)
    return view


def _button(text: str, name: str, tip: str, shortcut: str | None = None) -> QPushButton:
    button = named(QPushButton(text), name)
    button.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
    return button


class WorkflowsPage(Page):
    """Lists workflows and edits one; saving publishes a new immutable version."""

    def __init__(self, ui: UiContext) -> None:
        super().__init__(ui, refresh_on=Changes.WORKFLOWS)
        self.service = ui.app.workflows
        self.model = WorkflowListModel()
        self.versions_model = WorkflowVersionsModel()
        self._wanted: str | None = None  # select this name after the next list load
        self._saved: str | None = None  # just saved or imported: reload it into the editor
        self._selecting = False
        self.admin = True  # until the actor's role is read (the service refuses anyway)

        self.table = _table("workflowsTable")
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.versions = _table("workflowVersionsTable")
        self.versions.setModel(self.versions_model)
        self.versions.horizontalHeader().setStretchLastSection(True)
        self.model.modelReset.connect(self._fit_columns)
        self.versions_model.modelReset.connect(self.versions.resizeColumnsToContents)
        self.versions.setToolTip("Double-click a version to load it into the editor")
        self.versions.doubleClicked.connect(lambda index: self.restore_version(index.row()))

        self.new_button = _button("New", "newWorkflowButton", "Start a new workflow", "Ctrl+N")
        self.import_button = _button(
            "Import…", "importWorkflowButton", "Import workflow files", "Ctrl+I"
        )
        self.export_button = _button(
            "Export…", "exportWorkflowButton", "Export the selected workflow", "Ctrl+E"
        )
        self.toggle_button = _button(
            "Disable", "toggleWorkflowButton", "Enable or disable the selected workflow", "Ctrl+T"
        )
        self.message = named(QLabel(), "workflowsMessage")
        self.message.setWordWrap(True)
        for button, keys, slot in (
            (self.new_button, "Ctrl+N", self.new_workflow),
            (self.import_button, "Ctrl+I", self.choose_import),
            (self.export_button, "Ctrl+E", self.choose_export),
            (self.toggle_button, "Ctrl+T", self.toggle_selected),
        ):
            button.clicked.connect(slot)
            shortcut = QShortcut(QKeySequence(keys), self, slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

        self.editor = WorkflowEditor(ui.actor)
        self.diagram = WorkflowDiagram()
        self.dry_run = named(DryRunPanel(ui, self.editor.definition), "dryRunPanel")
        self.tabs = named(QTabWidget(), "workflowTabs")
        self.tabs.addTab(self.editor, "Editor")
        self.tabs.addTab(self.diagram, "Diagram")
        self.tabs.addTab(self.dry_run, "Dry run")
        self.editor.definition_changed.connect(self._definition_changed)
        self.editor.validity_changed.connect(self.dry_run.set_enabled_for)
        self.editor.save_requested.connect(self.save)
        self.dry_run.set_enabled_for(self.editor.valid)
        self._definition_changed(self.editor.to_dict())

        tools = QHBoxLayout()
        for button in (self.new_button, self.import_button, self.export_button):
            tools.addWidget(button)
        tools.addWidget(self.toggle_button)
        tools.addWidget(self.message, 1)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.table, 3)
        self.versions_title = named(QLabel("Versions"), "workflowVersionsTitle")
        column.addWidget(self.versions_title)
        column.addWidget(self.versions, 2)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 1)
        split.setSizes([450, 550])
        layout = QVBoxLayout(self)
        layout.addLayout(tools)
        layout.addWidget(split, 1)

        self._update_buttons()
        self.refresh()
        self.load_users()

    def load_users(self) -> None:
        """Read the user list (again: users are added, deactivated or given roles while the
        window is open, here or in another process) off the GUI thread."""
        self.calls.read(self.ui.app.users.list, self._users_loaded, self.show_error)

    def _fit_columns(self) -> None:
        """Every column but the description sized to what it holds (a short list)."""
        for column in range(self.model.columnCount() - 1):
            self.table.resizeColumnToContents(column)

    def _users_loaded(self, users: list[UserInfo]) -> None:
        """The directory for the editor's checks, and the actor's role: only an admin may
        change workflows, so for anyone else the page is read-only and says why."""
        self.editor.set_known_users(Directory.of(users))
        me = next((u for u in users if u.username == self.ui.actor), None)
        role = me.role if me is not None and me.active else "not an active user"
        self.admin = role == Role.ADMIN
        self.editor.set_actor_role(role, self.admin)
        self._update_buttons()

    # --- messages and refresh -------------------------------------------------------------

    def show_error(self, message: str) -> None:
        self.message.setText(f"Error: {message}")
        self.message.setStyleSheet("color: #c0392b;")

    def show_message(self, message: str) -> None:
        self.message.setText(message)
        self.message.setStyleSheet("")

    def clear_message(self) -> None:
        """A message about the workflow shown before no longer applies."""
        self.show_message("")

    def on_changes(self, changes: Changes) -> None:
        super().on_changes(changes)
        if changes & Changes.USERS:
            self.load_users()  # the editor's checks and completions follow
        if changes & Changes.POLICIES:
            self.dry_run.policies_changed()

    def refresh(self) -> None:
        """Reload the list (and the selected workflow) off the GUI thread."""
        self.calls.read(self.service.list, self._show_list, self.show_error)

    def _show_list(self, rows: list[WorkflowInfo]) -> None:
        wanted = self._wanted or self.selected_name()
        self._wanted, self._selecting = None, True
        try:
            self.model.set_rows(rows)
            row = self.model.row_of(wanted) if wanted else -1
            if row < 0 and wanted is None and rows and not self.editor.is_dirty():
                row = 0
            if row >= 0:
                self.table.selectRow(row)
        finally:
            self._selecting = False
        if row >= 0:  # the editor follows only if it holds no unsaved edits
            self._load_selected(editor=not self.editor.is_dirty() or wanted == (self._saved or ""))
        else:
            self.versions_model.set_rows([])
        self._saved = None
        self._update_buttons()

    def selected(self) -> WorkflowInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def selected_name(self) -> str | None:
        info = self.selected()
        return info.name if info else None

    def _update_buttons(self) -> None:
        info = self.selected()
        self.export_button.setEnabled(info is not None)
        self.toggle_button.setEnabled(info is not None and self.admin)
        self.import_button.setEnabled(self.admin)
        self.new_button.setEnabled(self.admin)
        self.toggle_button.setText("Enable" if info is not None and not info.enabled else "Disable")

    # --- selection and editor -------------------------------------------------------------

    def confirm_discard(self) -> bool:
        """Ask before unsaved edits are replaced (tests may replace this)."""
        answer = QMessageBox.question(
            self, "Unsaved changes", "Discard the unsaved changes in the editor?"
        )
        return answer == QMessageBox.StandardButton.Yes

    def _selection_changed(self, _new: QItemSelection, _old: QItemSelection) -> None:
        self._update_buttons()
        if self._selecting or self.selected() is None:
            return
        editor = not self.editor.is_dirty() or self.confirm_discard()
        if editor:
            self.clear_message()
        self._load_selected(editor=editor)

    def _load_selected(self, editor: bool) -> None:
        info = self.selected()
        if info is None:
            return
        name = info.name

        def done(versions: list[WorkflowVersionInfo]) -> None:
            current = self.selected()
            if current is None or current.name != name:
                return  # the selection moved on while this was loading
            self.versions_title.setText(f"Versions of {name}")
            self.versions_model.set_rows(list(reversed(versions)))
            if editor and versions:
                data = dict(versions[-1].definition)
                data["enabled"] = current.enabled
                self.editor.load(data, version=current.version)

        self.calls.read(lambda: self.service.versions(name), done, self.show_error)

    def restore_version(self, row: int) -> None:
        """Load an older version into the editor; saving it publishes it as the newest."""
        version, info = self.versions_model.row_at(row), self.selected()
        if version is None or info is None:
            return
        if self.editor.is_dirty() and not self.confirm_discard():
            return
        self.editor.load(dict(version.definition), version=info.version, restored=True)
        self.tabs.setCurrentWidget(self.editor)
        self.show_message(f"Loaded version {version.version}; Save publishes it as the newest.")

    def new_workflow(self) -> None:
        if self.editor.is_dirty() and not self.confirm_discard():
            return
        self.table.clearSelection()
        self.clear_message()
        self.versions_model.set_rows([])
        self.versions_title.setText("Versions")
        self.editor.load(None)
        self.tabs.setCurrentWidget(self.editor)
        self.editor.name.setFocus()

    def _definition_changed(self, data: dict[str, Any]) -> None:
        bad = {int(m.group(1)) for e in self.editor.errors if (m := _STEP.match(e.path))}
        self.diagram.show_definition(data, bad)

    # --- writes ---------------------------------------------------------------------------

    def save(self, data: dict[str, Any]) -> None:
        """Publish the editor's definition as a new version, signed in the sign dialog
        (the write runs off the GUI thread; Cancel saves nothing)."""
        name = str(data.get("name") or "the workflow")
        act = SigningAct(f"Publish a new version of workflow {name}", Meaning.WORKFLOW_PUBLISHED)
        self.editor.set_busy(True)

        def cancelled() -> None:
            self.editor.set_busy(False)
            self.show_error(f"Not saved: {name} was not signed.")

        self.ui.sign(self, act, lambda signed: self._save_signed(data, signed.signer), cancelled)

    def _save_signed(self, data: dict[str, Any], signer: Signer) -> None:
        source = DefinitionSource("editor", data=data)

        def done(results: list[ImportResult]) -> None:
            self.editor.set_busy(False)
            result = results[0]
            self.editor.load(data, version=result.version)
            if result.changed:
                self.show_message(f"Saved {result.name}: version {result.version}.")
            else:
                self.show_message(f"{result.name} is unchanged (version {result.version}).")
            self._wanted = self._saved = result.name

        def failed(message: str) -> None:
            self.editor.set_busy(False)
            self.show_error(message)

        self.calls.write(
            lambda: self.service.import_definitions(self.ui.actor, [source], signer=signer),
            done,
            failed,
            Changes.WORKFLOWS,
        )

    def toggle_selected(self) -> None:
        info = self.selected()
        if info is None:
            return
        enable = not info.enabled

        def done(new: WorkflowInfo) -> None:
            state = "enabled" if new.enabled else "disabled"
            self.show_message(f"{new.name} is {state}.")

        self.calls.write(
            lambda: self.service.set_enabled(self.ui.actor, info.name, enable),
            done,
            self.show_error,
            Changes.WORKFLOWS,
        )

    def choose_import(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Import workflows", "", "Workflow files (*.json);;All files (*)"
        )
        if paths:
            self.import_files([Path(p) for p in paths])

    def import_files(self, paths: list[Path]) -> None:
        """Import the files (all or nothing): each changed workflow gets a version signed in
        the sign dialog; they are read and stored off the GUI thread."""
        count = f"{len(paths)} file{'s' if len(paths) != 1 else ''}"
        names = ", ".join(p.name for p in paths[:3]) + (" …" if len(paths) > 3 else "")
        act = SigningAct(
            f"Import {count} ({names}): publish a new version of each changed workflow",
            Meaning.WORKFLOW_PUBLISHED,
        )
        self.ui.sign(
            self,
            act,
            lambda signed: self._import_signed(paths, signed.signer),
            lambda: self.show_error(f"Not imported: {count} not signed."),
        )

    def _import_signed(self, paths: list[Path], signer: Signer) -> None:
        self.show_message(f"Importing {len(paths)} file{'s' if len(paths) != 1 else ''}…")

        def run() -> list[ImportResult]:
            sources = [DefinitionSource(p.name, text=p.read_bytes()) for p in paths]
            return self.service.import_definitions(self.ui.actor, sources, signer=signer)

        def done(results: list[ImportResult]) -> None:
            parts = [
                f"{r.name} v{r.version}"
                + (" (new)" if r.created else "" if r.changed else " (unchanged)")
                for r in results
            ]
            self.show_message("Imported: " + ", ".join(parts))
            if results:
                self._wanted = results[0].name

        self.calls.write(run, done, self.show_error, Changes.WORKFLOWS)

    def choose_export(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "workflow"
        path, _ = QFileDialog.getSaveFileName(
            self, "Export workflow", f"{slug}.json", "Workflow files (*.json)"
        )
        if path:
            self.export_to(name, Path(path))

    def export_to(self, name: str, path: Path) -> None:
        """Write the current version of ``name`` to ``path`` off the GUI thread."""

        protected = self.ui.app.protected

        def run() -> Path:
            # force: the save dialog has asked before replacing; the other rules still apply
            self.service.export_to(name, path, protected, force=True)
            return path

        self.calls.read(
            run, lambda p: self.show_message(f"Exported {name} to {p}"), self.show_error
        )
