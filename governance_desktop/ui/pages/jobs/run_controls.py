"""The controls of one workflow run: "Cancel run…" and "Skip step…", each asking for a reason
first, enabled only when the service says the act is allowed now, with a refusal shown in the
label beside them. The job monitor shows them for the selected job's run, the Executions page
for the selected run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.domain.text import COMMENT_MAX
from governance_desktop.services.changes import Changes
from governance_desktop.services.dto import JobInfo
from governance_desktop.services.executions import ExecutionOptions
from governance_desktop.ui.background import OwnedCalls
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.widgets import named


class ReasonDialog(QDialog):
    """Asks why before an act on a run; OK is enabled only once a reason is typed."""

    def __init__(self, title: str, prompt: str, parent: QWidget) -> None:
        super().__init__(parent)
        named(self, "reasonDialog")
        self.setWindowTitle(title)
        self.edit = named(QLineEdit(), "reasonEdit")
        self.edit.setMaxLength(COMMENT_MAX)
        self.edit.setPlaceholderText("Reason (required, recorded in the audit trail)")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = named(self.buttons.button(QDialogButtonBox.StandardButton.Ok), "reasonOk")
        self.ok.setEnabled(False)
        self.edit.textChanged.connect(lambda text: self.ok.setEnabled(bool(text.strip())))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt))
        layout.addWidget(self.edit)
        layout.addWidget(self.buttons)

    def reason(self) -> str:
        return self.edit.text().strip()


class RunControls(QWidget):
    """Cancel the selected execution or skip its failed step (see ExecutionControl)."""

    def __init__(self, ui: UiContext, calls: OwnedCalls, on_done: Callable[[], None]) -> None:
        super().__init__()
        self._ui = ui
        self._calls = calls
        self._on_done = on_done
        self._execution: int | None = None
        self.shown_for: int | None = None  # the execution whose options are shown
        self.cancel_button = named(QPushButton("Cancel run…"), "cancelRunButton")
        self.cancel_button.setToolTip(
            "Cancel the selected workflow run: its approvals expire, its tasks and "
            "queued jobs are cancelled (admin, or the person who started it)"
        )
        self.skip_button = named(QPushButton("Skip step…"), "skipStepButton")
        self.skip_button.setToolTip(
            "Skip the failed step of the selected run and go on with the next (admin)"
        )
        self.result = named(QLabel(), "runRefusal")
        self.result.setWordWrap(True)
        self.cancel_button.clicked.connect(self.ask_cancel)
        self.skip_button.clicked.connect(self.ask_skip)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.skip_button)
        layout.addWidget(self.result, 1)
        self._enable(None)

    # --- what is allowed now ----------------------------------------------------------------

    def show_job(self, job: JobInfo | None) -> None:
        """Ask the service what the actor may do to `job`'s execution, then enable by it."""
        self.show_execution(job.execution_id if job is not None else None)

    def show_execution(self, execution: int | None) -> None:
        """Ask the service what the actor may do to `execution`, then enable by it."""
        if execution != self._execution:
            self.result.clear()
        self._execution = execution
        if execution is None:
            self._enable(None)
            return
        control, actor = self._ui.app.executions, self._ui.actor

        def shown(options: ExecutionOptions) -> None:
            if self._execution == execution:
                self._enable(options)
                self.shown_for = execution

        self._calls.read(lambda: control.options(execution, actor), shown, self._refused)

    def _enable(self, options: ExecutionOptions | None) -> None:
        self.cancel_button.setEnabled(options is not None and options.cancel)
        self.skip_button.setEnabled(options is not None and options.skip_step)

    # --- the acts ----------------------------------------------------------------------------

    def ask_cancel(self) -> None:
        self._ask(
            "Cancel run",
            "Why cancel this run? Its pending approvals expire and its open tasks and "
            "queued jobs are cancelled.",
            lambda control, execution, actor, reason: control.cancel(execution, actor, reason),
            "cancelled",
        )

    def ask_skip(self) -> None:
        self._ask(
            "Skip step",
            "Why skip the failed step? The run goes on with its next step.",
            lambda control, execution, actor, reason: control.skip_step(execution, actor, reason),
            "went on past its failed step",
        )

    def _ask(self, title: str, prompt: str, act: Callable[..., Any], done: str) -> None:
        execution = self._execution
        if execution is None:
            return
        dialog = ReasonDialog(title, prompt, self)

        def accepted() -> None:
            self._run(execution, act, dialog.reason(), done)

        dialog.accepted.connect(accepted)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _run(self, execution: int, act: Callable[..., Any], reason: str, done: str) -> None:
        control, actor = self._ui.app.executions, self._ui.actor
        self._enable(None)

        def finished(_result: object) -> None:
            self.result.setText(f"Run {execution} {done}")
            self._on_done()

        def refused(message: str) -> None:
            self._refused(message)
            self._on_done()

        self._calls.write(
            lambda: act(control, execution, actor, reason),
            finished,
            refused,
            Changes.JOBS | Changes.TASKS | Changes.APPROVALS | Changes.AUDIT,
        )

    def _refused(self, message: str) -> None:
        self.result.setText(f"⚠ {message}")
