"""Form editor of one workflow definition; it checks the definition on every change.

Each change rebuilds the JSON object from the form, runs the domain's checks (and the user
directory check against the known users) and shows every problem under its field.

Workflows are rules an admin publishes: for anyone else the form is read-only with a note
saying why, and only an admin may switch on self-approval, which is shown in red.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.domain.enums import PolicyStatus
from governance_desktop.domain.workflow.definition import WorkflowDefinition, parse_definition
from governance_desktop.services.definition_check import Directory, FieldError, check_definition
from governance_desktop.ui.pages.workflows.actions import ActionList
from governance_desktop.ui.pages.workflows.conditions import ConditionGroup, error_label
from governance_desktop.ui.pages.workflows.trigger import TriggerForm
from governance_desktop.ui.widgets import named

_LAST_SEGMENT = re.compile(r"(\.[^.\[]+|\[[^\]]*\])$")
SUMMARY_LINES = 4


def new_definition() -> dict[str, Any]:
    """The starting point of a new workflow: a trigger to pick from, and no steps (a step
    nobody added, such as a notice to the editor, would be saved unseen)."""
    return {
        "schema_version": 1,
        "name": "",
        "description": "",
        "enabled": True,
        "trigger": {"type": "on_status_change", "to_status": "in_review"},
        "actions": [],
    }


def parent_paths(path: str) -> list[str]:
    """``actions[1].users[0]``, ``actions[1].users``, ``actions[1]``, ``actions``."""
    found = [path]
    while True:
        match = _LAST_SEGMENT.search(path)
        if match is None or match.start() == 0:
            return found
        path = path[: match.start()]
        found.append(path)


def human_path(path: str) -> str:
    """``step 2 title`` for ``actions[1].title``: how the form names the place."""
    match = re.match(r"actions\[(\d+)\]\.?", path)
    if match is None:
        return path
    rest = path[match.end() :]
    return f"step {int(match.group(1)) + 1}" + (f" {rest}" if rest else "")


def shown_message(error: FieldError) -> str:
    """The text under a field: ``title is required`` rather than ``field required``."""
    if error.message == "field required":
        key = _LAST_SEGMENT.search(error.path)
        name = key.group(1).strip(".[]") if key else error.path
        return f"{name.replace('_', ' ')} is required"
    return error.message


class WorkflowEditor(QWidget):
    """Edits a definition as a form. ``save_requested`` carries the valid JSON object."""

    definition_changed = Signal(object)  # the current JSON object (maybe invalid)
    validity_changed = Signal(bool)
    save_requested = Signal(object)

    def __init__(self, user: str) -> None:
        super().__init__()
        named(self, "workflowEditor")
        self.user = user
        self.known_users: Directory | set[str] | None = None
        self.user_names = QStringListModel(self)  # what every user field completes from
        self.admin = True  # until told the actor's role (the service refuses anyway)
        self.errors: list[FieldError] = []
        self.valid = False
        self.busy = False
        self._baseline: dict[str, Any] | None = None
        self._loading = False
        self._version: int | None = None
        self._saved_name = ""

        self.name = named(QLineEdit(), "workflowName")
        self.name.setPlaceholderText("A unique name, e.g. Review kickoff")
        self.description = named(QPlainTextEdit(), "workflowDescription")
        self.description.setPlaceholderText("What this workflow is for")
        self.description.setFixedHeight(64)
        self.enabled = named(QCheckBox("Enabled"), "workflowEnabled")
        self.allow_chained = named(
            QCheckBox("May be started by other workflows' changes"), "allowTriggeredByWorkflows"
        )
        self.allow_self = named(
            QCheckBox("Allow people to approve their own change"), "allowSelfApproval"
        )
        self.allow_self.setToolTip(
            "Only an admin may switch this on; it turns off segregation of duties"
        )
        self.read_only_note = named(QLabel(), "workflowReadOnlyNote")
        self.read_only_note.setWordWrap(True)
        self.read_only_note.setStyleSheet("color: #c0392b;")
        self.read_only_note.hide()
        self.general_errors = {
            "name": error_label("nameError"),
            "description": error_label("descriptionError"),
        }
        self.trigger = TriggerForm()
        self.conditions = named(ConditionGroup(), "conditionGroup")
        self.steps = named(ActionList(self.user_names), "actionList")
        self.on_reject = named(QComboBox(), "workflowOnReject")
        self.on_reject.addItem("draft (the default)", None)
        for status in PolicyStatus:
            if status != PolicyStatus.DRAFT:
                self.on_reject.addItem(status.value, status.value)
        self.on_reject.setToolTip("Where a rejected approval step sends the policy")
        self.general_errors["on_reject"] = error_label("onRejectError")

        general = QGroupBox("Workflow")
        form = QFormLayout(general)
        form.addRow("Name", self._with_error(self.name, "name"))
        form.addRow("Description", self._with_error(self.description, "description"))
        flags = QVBoxLayout()
        for check in (self.enabled, self.allow_chained, self.allow_self):
            flags.addWidget(check)
        form.addRow("Options", flags)
        form.addRow("On rejection", self._with_error(self.on_reject, "on_reject"))
        trigger_box = QGroupBox("Trigger")
        QVBoxLayout(trigger_box).addWidget(self.trigger)
        conditions_box = QGroupBox("Conditions")
        QVBoxLayout(conditions_box).addWidget(self.conditions)
        actions_box = QGroupBox("Steps (run in order)")
        QVBoxLayout(actions_box).addWidget(self.steps)

        content = self.form = QWidget()
        column = QVBoxLayout(content)
        for box in (general, trigger_box, conditions_box, actions_box):
            column.addWidget(box)
        column.addStretch(1)
        scroll = named(QScrollArea(), "workflowEditorScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)

        self.summary = named(QLabel(), "editorErrors")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.target = named(QLabel(), "saveTarget")
        self.target.setEnabled(False)
        self.save = named(QPushButton("Save new version"), "saveWorkflowButton")
        self.save.setToolTip("Validate and publish a new version (Ctrl+S)")
        self.save.clicked.connect(self._request_save)
        QShortcut(QKeySequence.StandardKey.Save, self, self._request_save)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.target)
        bottom.addWidget(self.save)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.read_only_note)
        outer.addWidget(scroll, 1)
        outer.addLayout(bottom)

        self.on_reject.currentIndexChanged.connect(self.revalidate)
        self.name.textChanged.connect(self.revalidate)
        self.description.textChanged.connect(self.revalidate)
        for check in (self.enabled, self.allow_chained, self.allow_self):
            check.toggled.connect(self.revalidate)
        for part in (self.trigger, self.conditions, self.steps):
            part.changed.connect(self.revalidate)
        self.load(None)

    def _with_error(self, widget: QWidget, key: str) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        column.addWidget(self.general_errors[key])
        return box

    # --- loading and reading --------------------------------------------------------------

    def load(
        self, data: dict[str, Any] | None, version: int | None = None, restored: bool = False
    ) -> None:
        """Show ``data`` (None: a new workflow); ``version`` is the one a save follows.

        ``restored``: an older version was loaded, so saving it is a change.
        """
        self._loading = True
        try:
            data = data if data is not None else new_definition()
            self._version = version if data.get("name") else None
            self._saved_name = str(data.get("name", "")).strip() if version is not None else ""
            self.name.setText(str(data.get("name", "")))
            self.description.setPlainText(str(data.get("description", "")))
            self.enabled.setChecked(bool(data.get("enabled", True)))
            self.allow_chained.setChecked(bool(data.get("allow_triggered_by_workflows", False)))
            self.allow_self.setChecked(bool(data.get("allow_self_approval", False)))
            self.trigger.load(dict(data.get("trigger") or {}))
            self.conditions.load(data.get("conditions"))
            self.steps.load(list(data.get("actions") or []))
            reject = data.get("on_reject")
            self.on_reject.setCurrentIndex(max(0, self.on_reject.findData(reject)))
        finally:
            self._loading = False
        self._baseline = None if restored else self.to_dict()
        self.revalidate()

    def to_dict(self) -> dict[str, Any]:
        """The definition as the form shows it, in the file format."""
        data: dict[str, Any] = {
            "schema_version": 1,
            "name": self.name.text(),
            "description": self.description.toPlainText(),
            "entity_type": "policy",
            "enabled": self.enabled.isChecked(),
            "trigger": self.trigger.to_dict(),
        }
        conditions = self.conditions.to_dict()
        if conditions is not None:
            data["conditions"] = conditions
        data["actions"] = self.steps.to_list()
        data["allow_triggered_by_workflows"] = self.allow_chained.isChecked()
        data["allow_self_approval"] = self.allow_self.isChecked()
        if self.on_reject.currentData() is not None:
            data["on_reject"] = self.on_reject.currentData()
        return data

    def definition(self) -> WorkflowDefinition | None:
        """The parsed definition, or None while it has problems."""
        return parse_definition(self.to_dict()) if self.valid else None

    def is_dirty(self) -> bool:
        return self._baseline is None or self.to_dict() != self._baseline

    def set_known_users(self, users: Directory | set[str]) -> None:
        """The users the checks know and the user fields complete (active ones only)."""
        self.known_users = users
        names = users.roles if isinstance(users, Directory) else users
        self.user_names.setStringList(sorted(names, key=str.casefold))
        self.revalidate()

    def set_actor_role(self, role: str, admin: bool) -> None:
        """Who is editing: anyone but an admin sees the form read-only, with the reason."""
        self.admin = admin
        self.form.setEnabled(admin)
        self.read_only_note.setText(
            ""
            if admin
            else f"Read-only: you are {role}; only an admin may change workflows, "
            "which are the rules every policy follows."
        )
        self.read_only_note.setVisible(not admin)
        self._show_self_approval()
        self._update_save()

    def set_busy(self, busy: bool) -> None:
        """While a save runs, Save stays disabled."""
        self.busy = busy
        self._update_save()

    # --- validation -----------------------------------------------------------------------

    def error_labels(self) -> dict[str, QLabel]:
        labels: dict[str, QLabel] = dict(self.general_errors)
        labels.update(self.trigger.errors)
        labels.update(self.conditions.error_labels("conditions"))
        labels.update(self.steps.error_labels())
        return labels

    def revalidate(self) -> None:
        if self._loading:
            return
        data = self.to_dict()
        self.errors = check_definition(data, self.known_users)
        labels = self.error_labels()
        for label in set(labels.values()):
            label.clear()
            label.hide()
        for error in self.errors:
            target = next((labels[p] for p in parent_paths(error.path) if p in labels), None)
            if target is not None:
                text = shown_message(error)
                target.setText(f"{target.text()}\n{text}" if target.text() else text)
                target.show()
        self._show_summary()
        self._show_self_approval()
        was_valid, self.valid = self.valid, not self.errors
        self._update_save()
        if was_valid != self.valid:
            self.validity_changed.emit(self.valid)
        self.definition_changed.emit(data)

    def _show_summary(self) -> None:
        if not self.errors:
            self.summary.setText("No problems found.")
            return
        n = len(self.errors)
        lines = [f"{human_path(e.path)}: {e.message}" for e in self.errors[:SUMMARY_LINES]]
        if n > SUMMARY_LINES:
            lines.append(f"… and {n - SUMMARY_LINES} more")
        head = f"{n} problem{'s' if n != 1 else ''} to fix before saving:"
        self.summary.setText("\n".join([head, *lines]))

    def _show_self_approval(self) -> None:
        """Red while on; switching it on is for an admin alone."""
        on = self.allow_self.isChecked()
        self.allow_self.setStyleSheet("color: #c0392b; font-weight: bold;" if on else "")
        self.allow_self.setEnabled(self.admin)

    def _update_save(self) -> None:
        dirty = self.is_dirty()
        self.save.setEnabled(self.admin and self.valid and dirty and not self.busy)
        if self._version is not None and self.name.text().strip() == self._baseline_name():
            self.target.setText(
                f"Publishes version {self._version + 1}" if dirty else "No unsaved changes"
            )
        else:
            self.target.setText("Creates a new workflow")

    def _baseline_name(self) -> str:
        return self._saved_name

    def _request_save(self) -> None:
        if self.save.isEnabled():
            self.save_requested.emit(self.to_dict())
