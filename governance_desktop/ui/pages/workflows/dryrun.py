"""Dry-run panel: run the editor's definition against a chosen policy; nothing is changed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.domain.workflow.definition import WorkflowDefinition
from governance_desktop.services.dryrun import DryRunReport
from governance_desktop.services.dto import PolicyInfo
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.workflows.conditions import error_label
from governance_desktop.ui.pages.workflows.models import ActionPreviewsModel, ConditionChecksModel
from governance_desktop.ui.widgets import named


def _table(name: str) -> QTableView:
    view = named(QTableView(), name)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.verticalHeader().hide()
    view.setWordWrap(False)
    return view


class DryRunPanel(QWidget):
    """Shows which conditions pass and what each step would do for one policy."""

    def __init__(self, ui: UiContext, definition: Callable[[], WorkflowDefinition | None]) -> None:
        super().__init__()
        self.ui = ui
        self._definition = definition
        self.service = ui.app.dry_run
        self.calls = ui.calls(self)
        self.report: DryRunReport | None = None
        self.policy = named(QComboBox(), "dryRunPolicy")
        self.policy.setMinimumContentsLength(30)
        self.policy.setToolTip("The policy to try the workflow on")
        self.button = named(QPushButton("Dry run"), "dryRunButton")
        self.button.setToolTip("Show what the workflow would do, changing nothing (Ctrl+R)")
        self.button.setShortcut("Ctrl+R")
        self.button.clicked.connect(self.run)
        self.summary = named(
            QLabel("Choose a policy and press Dry run. Nothing is changed."), "dryRunSummary"
        )
        self.summary.setWordWrap(True)
        self.assumption = named(QLabel(), "dryRunAssumption")
        self.assumption.setWordWrap(True)
        self.assumption.setEnabled(False)
        self.error = error_label("dryRunError")
        self.conditions_model = ConditionChecksModel()
        self.actions_model = ActionPreviewsModel()
        self.conditions = _table("dryRunConditions")
        self.conditions.setModel(self.conditions_model)
        self.conditions.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.steps = _table("dryRunActions")
        self.steps.setModel(self.actions_model)
        self.steps.setWordWrap(True)
        header = self.steps.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)

        row = QHBoxLayout()
        row.addWidget(QLabel("Policy"))
        row.addWidget(self.policy, 1)
        row.addWidget(self.button)
        split = QSplitter(Qt.Orientation.Vertical)
        for title, view in (
            ("Conditions", self.conditions),
            ("Steps (what each would do)", self.steps),
        ):
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(QLabel(f"<b>{title}</b>"))
            column.addWidget(view)
            split.addWidget(box)
        split.setSizes([160, 300])
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.assumption)
        layout.addWidget(self.error)
        layout.addWidget(split, 1)
        self.load_policies()

    def load_policies(self) -> None:
        self.calls.read(self.ui.app.policies.list, self._show_policies, self._fail)

    def _show_policies(self, policies: list[PolicyInfo]) -> None:
        current = self.policy.currentData()
        self.policy.clear()
        for p in policies:
            self.policy.addItem(f"{p.code}: {p.title} ({p.status})", p.code)
        if current is not None:
            self.policy.setCurrentIndex(max(0, self.policy.findData(current)))

    def set_enabled_for(self, valid: bool) -> None:
        self.button.setEnabled(valid)
        self.button.setToolTip(
            "Show what the workflow would do, changing nothing (Ctrl+R)"
            if valid
            else "Fix the problems in the editor first"
        )

    def run(self) -> None:
        """Run against the chosen policy off the GUI thread."""
        defn, code = self._definition(), self.policy.currentData()
        self.error.hide()
        if defn is None:
            self._fail("the definition has problems; fix them in the editor first")
            return
        if code is None:
            self._fail("choose a policy first")
            return
        self.button.setEnabled(False)
        self.summary.setText(f"Trying {defn.name} on {code}…")
        self.calls.read(lambda: self.service.run(defn, code), self._show, self._fail)

    def _show(self, report: DryRunReport) -> None:
        self.report = report
        self.button.setEnabled(True)
        self.summary.setText(f"{report.summary} Nothing was changed.")
        self.assumption.setText(f"Evaluated {report.assumption}")
        self.conditions_model.set_rows(report.conditions)
        self.actions_model.set_rows(report.actions)
        self.steps.resizeColumnToContents(2)
        self.steps.resizeRowsToContents()

    def _fail(self, message: str) -> None:
        self.button.setEnabled(self._definition() is not None)
        self.error.setText(f"Dry run failed: {message}")
        self.error.show()
