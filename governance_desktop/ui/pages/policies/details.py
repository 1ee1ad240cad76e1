"""Below the policies table: the selected policy's executions, tasks and audit events."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QTabWidget

from governance_desktop.services.dto import AuditEventInfo, ExecutionInfo, TaskInfo
from governance_desktop.services.inbox import describe_change
from governance_desktop.services.policy_details import PolicyDetails
from governance_desktop.ui.pages.policies.models import Column, RecordTableModel
from governance_desktop.ui.widgets import named


def _details_text(details: dict[str, Any]) -> str:
    parts = []
    for key, value in details.items():
        if key == "changes" and isinstance(value, dict):
            value = ", ".join(value)
        elif isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        parts.append(f"{key}: {value}")
    return "; ".join(parts)


EXECUTION_COLUMNS: list[Column] = [
    ("#", lambda e: e.id),
    ("Workflow", lambda e: f"{e.workflow} v{e.workflow_version}"),
    ("Because", lambda e: describe_change(e.trigger, e.input_data)),
    ("Status", lambda e: e.status),
    ("Step", lambda e: f"{min(e.current_step + 1, e.step_count)} of {e.step_count}"),
    ("Started by", lambda e: e.started_by),
    ("Created", lambda e: e.created_at),
    ("Finished", lambda e: e.finished_at),
    ("Error", lambda e: e.error),
]
TASK_COLUMNS: list[Column] = [
    ("#", lambda t: t.id),
    ("Task", lambda t: t.title),
    ("Assignee", lambda t: t.assignee),
    ("Status", lambda t: t.status),
    ("Due", lambda t: t.due_date),
    ("Created", lambda t: t.created_at),
]
AUDIT_COLUMNS: list[Column] = [
    ("When", lambda a: a.occurred_at),
    ("Who", lambda a: a.actor),
    ("What", lambda a: a.action),
    ("Details", lambda a: _details_text(a.details)),
]


def record_table(model: RecordTableModel[Any], name: str) -> QTableView:
    """A read-only, row-selecting table view with sensible column sizing."""
    view = named(QTableView(), name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return view


def fit_columns(view: QTableView, cap: int = 280) -> None:
    """Size columns to their contents once, none wider than `cap`; not when the main window
    restored widths the user set (QSettings ``tables/<objectName>``)."""
    if view.property("fitted"):
        return
    saved = QSettings("governance-desktop", "governance-desktop").contains(
        f"tables/{view.objectName()}"
    )
    if view.model().rowCount() or saved:
        view.setProperty("fitted", True)
    if saved:
        return
    view.resizeColumnsToContents()
    for column in range(view.model().columnCount() - 1):
        view.setColumnWidth(column, min(view.columnWidth(column), cap))


class PolicyDetailsTabs(QTabWidget):
    """Three tabs; tab titles carry the row counts."""

    def __init__(self) -> None:
        super().__init__()
        named(self, "policyDetailsTabs")
        self.executions: RecordTableModel[ExecutionInfo] = RecordTableModel(
            EXECUTION_COLUMNS, lambda e: e.id, self, status_column=3
        )
        self.tasks: RecordTableModel[TaskInfo] = RecordTableModel(
            TASK_COLUMNS, lambda t: t.id, self, status_column=3
        )
        self.events: RecordTableModel[AuditEventInfo] = RecordTableModel(
            AUDIT_COLUMNS, lambda a: a.id, self
        )
        self.views = {
            "executions": record_table(self.executions, "policyExecutionsTable"),
            "tasks": record_table(self.tasks, "policyTasksTable"),
            "events": record_table(self.events, "policyAuditTable"),
        }
        self.addTab(self.views["executions"], "Executions")
        self.addTab(self.views["tasks"], "Tasks")
        self.addTab(self.views["events"], "History")
        self.code: str | None = None

    def show_details(self, details: PolicyDetails | None) -> None:
        self.code = details.code if details is not None else None
        reset = [
            self.executions.set_rows(details.executions if details else []),
            self.tasks.set_rows(details.tasks if details else []),
            self.events.set_rows(details.events if details else []),
        ]
        counts: list[RecordTableModel[Any]] = [self.executions, self.tasks, self.events]
        titles = ("Executions", "Tasks", "History")
        for index, (title, model) in enumerate(zip(titles, counts, strict=True)):
            self.setTabText(index, f"{title} ({model.rowCount()})" if details else title)
        for was_reset, view in zip(reset, self.views.values(), strict=True):
            if was_reset:
                fit_columns(view)
