"""Trigger form: the trigger type and the parameters that type takes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.domain.cron import parse_cron
from governance_desktop.domain.enums import PolicyStatus, TriggerType
from governance_desktop.domain.fields import POLICY_FIELDS
from governance_desktop.ui.pages.workflows.conditions import error_label
from governance_desktop.ui.pages.workflows.models import TRIGGER_NAMES
from governance_desktop.ui.widgets import named


def _status_combo(name: str) -> QComboBox:
    combo = named(QComboBox(), name)
    combo.addItem("any status", None)
    for status in PolicyStatus:
        combo.addItem(status.value, status.value)
    return combo


def _with_error(widget: QWidget, error: QLabel, extra: QWidget | None = None) -> QWidget:
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    column.addWidget(widget)
    if extra is not None:
        column.addWidget(extra)
    column.addWidget(error)
    return box


class TriggerForm(QWidget):
    """Builds the ``trigger`` object; only the rows of the chosen type are shown."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.type = named(QComboBox(), "triggerType")
        for kind in TriggerType:
            self.type.addItem(TRIGGER_NAMES[kind.value], kind.value)
        self.from_status = _status_combo("triggerFromStatus")
        self.to_status = _status_combo("triggerToStatus")
        self.fields_box = named(QWidget(), "triggerFields")
        grid = QGridLayout(self.fields_box)
        grid.setContentsMargins(0, 0, 0, 0)
        self.field_checks: dict[str, QCheckBox] = {}
        for i, field in enumerate(POLICY_FIELDS):
            check = named(QCheckBox(field), f"triggerField_{field}")
            check.toggled.connect(self.changed)
            self.field_checks[field] = check
            grid.addWidget(check, i // 4, i % 4)
        self.cron = named(QLineEdit(), "triggerCron")
        self.cron.setPlaceholderText("minute hour day month weekday, e.g. 0 7 * * 1")
        self.next_run = named(QLabel(), "cronNextRun")
        self.next_run.setEnabled(False)
        self.errors = {
            "trigger": error_label("triggerError"),
            "trigger.from_status": error_label("fromStatusError"),
            "trigger.to_status": error_label("toStatusError"),
            "trigger.fields": error_label("fieldsError"),
            "trigger.cron": error_label("cronError"),
        }
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow("Runs when", _with_error(self.type, self.errors["trigger"]))
        self.form.addRow("From", _with_error(self.from_status, self.errors["trigger.from_status"]))
        self.form.addRow("To", _with_error(self.to_status, self.errors["trigger.to_status"]))
        hint = QLabel("Only when one of these changes (none ticked: any change)")
        hint.setEnabled(False)
        self.form.addRow(
            "Fields", _with_error(hint, self.errors["trigger.fields"], self.fields_box)
        )
        self.form.addRow(
            "Cron (UTC)", _with_error(self.cron, self.errors["trigger.cron"], self.next_run)
        )
        self._sync()
        self.type.currentIndexChanged.connect(self._sync)
        for widget in (self.type, self.from_status, self.to_status):
            widget.currentIndexChanged.connect(self.changed)
        self.cron.textChanged.connect(self.changed)
        self.cron.textChanged.connect(self._show_next_run)

    def kind(self) -> str:
        return str(self.type.currentData())

    def _sync(self) -> None:
        kind = self.kind()
        self.form.setRowVisible(1, kind == TriggerType.ON_STATUS_CHANGE)
        self.form.setRowVisible(2, kind == TriggerType.ON_STATUS_CHANGE)
        self.form.setRowVisible(3, kind == TriggerType.ON_UPDATE)
        self.form.setRowVisible(4, kind == TriggerType.ON_SCHEDULE)

    def _show_next_run(self) -> None:
        try:
            spec = parse_cron(self.cron.text())
        except ValueError:
            self.next_run.setText("")
            return
        now = dt.datetime.now(dt.UTC)
        self.next_run.setText(f"Next run: {spec.next_after(now):%a %Y-%m-%d %H:%M} UTC")

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind()
        data: dict[str, Any] = {"type": kind}
        if kind == TriggerType.ON_STATUS_CHANGE:
            for key, combo in (("from_status", self.from_status), ("to_status", self.to_status)):
                if combo.currentData() is not None:
                    data[key] = combo.currentData()
        elif kind == TriggerType.ON_UPDATE:
            fields = [name for name, check in self.field_checks.items() if check.isChecked()]
            if fields:
                data["fields"] = fields
        elif kind == TriggerType.ON_SCHEDULE:
            data["cron"] = self.cron.text()
        return data

    def load(self, data: dict[str, Any]) -> None:
        self.type.setCurrentIndex(max(0, self.type.findData(data.get("type", "manual"))))
        for key, combo in (("from_status", self.from_status), ("to_status", self.to_status)):
            combo.setCurrentIndex(max(0, combo.findData(data.get(key))))
        fields = data.get("fields") or []
        for name, check in self.field_checks.items():
            check.setChecked(name in fields)
        self.cron.setText(str(data.get("cron", "")))
        self._sync()

    def summary(self) -> str:
        """One line for people, e.g. ``status changes to in_review``."""
        return describe_trigger(self.to_dict())


def describe_trigger(data: dict[str, Any]) -> str:
    """``Status changes: draft → in_review`` etc., from a trigger dict."""
    kind = data.get("type")
    if kind == TriggerType.ON_STATUS_CHANGE:
        old, new = data.get("from_status", "any"), data.get("to_status", "any")
        return f"Status changes: {old} → {new}"
    if kind == TriggerType.ON_UPDATE:
        fields = data.get("fields")
        return "Policy edited" + (f" ({', '.join(fields)})" if fields else "")
    if kind == TriggerType.ON_SCHEDULE:
        return f"Schedule: {data.get('cron', '')} (UTC)"
    return TRIGGER_NAMES.get(str(kind), str(kind))
