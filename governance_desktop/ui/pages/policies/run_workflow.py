""" "Run workflow on this policy…": pick one of the enabled manual workflows and start it now.

The start is `WorkflowStarter.queue_workflow_execution` (what `workflows run` does): the
acting user's permission, the workflow's conditions and the policy are checked in the service;
a refusal comes back as one line on the page.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.domain.enums import TriggerType
from governance_desktop.services.changes import Changes
from governance_desktop.services.dto import WorkflowInfo
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.widgets import named


class RunWorkflowDialog(QDialog):
    """The manual workflows to choose from, Run and Cancel."""

    def __init__(self, code: str, workflows: list[WorkflowInfo], parent: QWidget) -> None:
        super().__init__(parent)
        named(self, "runWorkflowDialog")
        self.setWindowTitle(f"Run a workflow on {code}")
        self.choice = named(QComboBox(), "runWorkflowChoice")
        for info in workflows:
            self.choice.addItem(f"{info.name} (v{info.version})", info.name)
        buttons = QDialogButtonBox()
        self.run_button = named(
            buttons.addButton("Run", QDialogButtonBox.ButtonRole.AcceptRole), "runWorkflowStart"
        )
        named(buttons.addButton(QDialogButtonBox.StandardButton.Cancel), "runWorkflowCancel")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Start a manual workflow on {code} now:"))
        layout.addWidget(self.choice)
        layout.addWidget(buttons)

    def chosen(self) -> str:
        return str(self.choice.currentData())


class RunWorkflow(QObject):
    """Opens the dialog for a policy and starts the chosen workflow off the GUI thread;
    `message` says what happened (started, refused, nothing to run)."""

    message = Signal(str)
    started = Signal(int)  # the job id of the run's first step

    def __init__(self, ui: UiContext, parent: QWidget) -> None:
        super().__init__(parent)
        self.ui = ui
        self.calls = ui.calls(self)
        self._parent = parent
        self.dialog: RunWorkflowDialog | None = None

    def open(self, code: str) -> None:
        library = self.ui.app.workflows

        def manual() -> list[WorkflowInfo]:
            return [
                w
                for w in library.list()
                if w.enabled and w.trigger_type == TriggerType.MANUAL.value
            ]

        self.calls.read(manual, lambda found: self._choose(code, found), self.message.emit)

    def _choose(self, code: str, workflows: list[WorkflowInfo]) -> None:
        if not workflows:
            self.message.emit(
                "No workflow to run: none is enabled with a manual trigger "
                "(trigger type 'manual' in the workflow file)."
            )
            return
        dialog = RunWorkflowDialog(code, workflows, self._parent)
        self.dialog = dialog
        dialog.accepted.connect(lambda: self._start(code, dialog.chosen()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _start(self, code: str, name: str) -> None:
        ui = self.ui

        def done(job_id: int) -> None:
            self.message.emit(f"Started '{name}' on {code}.")
            self.started.emit(job_id)

        self.calls.write(
            lambda: ui.app.starter.queue_workflow_execution(name, code, ui.actor),
            done,
            lambda error: self.message.emit(f"Not started: {error}"),
            Changes.JOBS | Changes.POLICIES,
        )
