"""The Executions page's details pane: the selected run in a line and its steps with their
states and timings."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.services.run_overview import KIND_NAMES, RunDetail
from governance_desktop.services.run_steps import RunStep
from governance_desktop.ui.pages.executions.model import progress_text, state_name
from governance_desktop.ui.pages.jobs.model import when
from governance_desktop.ui.widgets import named

STEP_COLUMNS = ("#", "Step", "State", "Started", "Finished", "Took", "Attempts", "Who / what")
PLACEHOLDER = "Select a run to see its steps and their timings."


def took(step: RunStep) -> str:
    seconds = step.seconds
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours < 48 else f"{hours // 24} days"


def summary(detail: RunDetail) -> str:
    run = detail.run
    return (
        f"Run {run.id} — {run.workflow} v{run.workflow_version} on {run.policy} "
        f"{run.policy_title} · {state_name(run.status)} · {progress_text(run)} · "
        f"started by {run.started_by_name} {when(run.created_at)}"
    )


class RunDetailsView(QWidget):
    """A summary line and a read-only table of the run's steps."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, "runDetails")
        self.run_id: int | None = None
        self.title = named(QLabel(PLACEHOLDER), "runDetailTitle")
        self.title.setWordWrap(True)
        self.steps = named(QTableWidget(0, len(STEP_COLUMNS)), "runStepsTable")
        self.steps.setHorizontalHeaderLabels(list(STEP_COLUMNS))
        self.steps.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.steps.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.steps.verticalHeader().hide()
        self.steps.setWordWrap(False)
        header = self.steps.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(STEP_COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.steps, 1)

    def show_detail(self, detail: RunDetail | None) -> None:
        self.run_id = detail.run.id if detail else None
        self.title.setText(summary(detail) if detail else PLACEHOLDER)
        steps = detail.steps if detail else []
        self.steps.setRowCount(len(steps))
        for row, step in enumerate(steps):
            kind = KIND_NAMES.get(step.kind, step.kind)
            texts = (
                str(step.index + 1),
                step.name or kind,
                step.state,
                when(step.started_at),
                when(step.finished_at),
                took(step),
                str(step.attempts) if step.attempts else "",
                step.note,
            )
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if column == len(texts) - 1 and text:
                    item.setToolTip(text.replace("; ", "\n"))
                self.steps.setItem(row, column, item)
