"""The job monitor's details pane: the job, its message payload and its error in full."""

from __future__ import annotations

import json

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from governance_desktop.domain.enums import JobState
from governance_desktop.services.job_pages import JobDetail
from governance_desktop.ui.pages.jobs.model import duration, job_state_text, kind_name, when
from governance_desktop.ui.widgets import named

PLACEHOLDER = "Select a job to see its message payload and any error with its traceback."


def describe(detail: JobDetail) -> str:
    """Plain text a person can read and copy into a ticket."""
    job = detail.job
    lines = [
        f"Job {job.id} — {kind_name(job.kind)}"
        + (f" (step {job.step_index + 1})" if job.step_index is not None else ""),
        f"State: {job_state_text(job)}   Attempts: {job.attempts}   "
        f"Progress: {round(job.progress * 100)} %",
        f"Workflow: {job.workflow or '—'}   Policy: {job.entity or '—'}   "
        f"Execution: {job.execution_id if job.execution_id is not None else '—'}",
        f"Enqueued: {when(job.enqueued_at)}   Started: {when(job.started_at) or '—'}   "
        f"Finished: {when(job.finished_at) or '—'}   Duration: {duration(job) or '—'}",
    ]
    if detail.next_attempt_at is not None and job.state == JobState.RETRYING:
        lines.append(f"Next attempt: {when(detail.next_attempt_at)}")
    if detail.lease_owner:
        lines.append(f"Held by worker: {detail.lease_owner}")
    lines += ["", "Message:", job.message or "—", "", "Payload:"]
    lines.append(json.dumps(detail.payload, indent=2, sort_keys=True, ensure_ascii=False))
    if job.error:
        lines += ["", "Error:", job.error]
    return "\n".join(lines)


class JobDetailsView(QPlainTextEdit):
    """Read-only, monospaced, selectable text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, "jobDetails")
        self.setReadOnly(True)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText(PLACEHOLDER)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.job_id: int | None = None

    def show_detail(self, detail: JobDetail | None) -> None:
        self.job_id = detail.job.id if detail else None
        self.setPlainText(describe(detail) if detail else "")
