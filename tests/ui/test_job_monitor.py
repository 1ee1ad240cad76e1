"""The job monitor: live rows through the real consumer, retry, cancel, pause, filters, paging."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QTableView

from governance_desktop.services.dto import JobInfo
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store.db import sqlite_path
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.paged_model import PAGE_SIZE
from governance_desktop.ui.pages.jobs.model import C_STATE, COLUMNS, JobsModel
from governance_desktop.ui.pages.jobs.page import JobMonitorPage
from tests.helpers.actors import ME
from tests.helpers.identity import signer

CLICK = Qt.MouseButton.LeftButton


def _bad_workflow(status: str = "approved", on: str = "in_review") -> DefinitionSource:
    """A workflow whose set_status to `status` is illegal right after the policy moves to
    `on` (by default: approved straight from review)."""
    data = {
        "schema_version": 1,
        "name": "Bad move",
        "trigger": {"type": "on_status_change", "to_status": on},
        "actions": [{"type": "set_status", "status": status}],
    }
    return DefinitionSource("bad.json", data=data)


def _open_monitor(window: Any, qtbot: Any) -> JobMonitorPage:
    page = window.page("jobMonitorPage")
    assert isinstance(page, JobMonitorPage)
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)  # the shortcut needs it active
    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is page
    qtbot.waitUntil(lambda: not page.model.loading, timeout=5000)
    return page


def _rows(page: JobMonitorPage) -> list[Any]:
    return [page.model.row_item(r) for r in range(page.model.rowCount())]


def _select(page: JobMonitorPage, qtbot: Any, job_id: int) -> None:
    qtbot.waitUntil(lambda: page.select_job(job_id), timeout=5000)


def test_jobs_model_passes_modeltester(ui_ctx: UiContext, qtbot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    """The jobs model, with real rows from a workflow run, is a valid Qt item model."""
    ui_ctx.app.policies.change_status(ME, "POL-003", "in_review")
    qtbot.waitUntil(
        lambda: (
            len(ui_ctx.app.monitor.jobs()) >= 4
            and all(j.state == "succeeded" for j in ui_ctx.app.monitor.jobs())
        ),
        timeout=10000,
    )
    model = JobsModel(ui_ctx.app.job_pages, ui_ctx.background)
    model.reload()
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() >= 4, timeout=5000)
    qtmodeltester.check(model)
    assert model.index(0, 1).data() in ("Start workflow", "Workflow step")


def test_live_rows_repaint_only_what_changed(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Rows arriving live go in on top; a new version of one row reports that row alone as
    changed and shows its new texts (they are cached per version of the row)."""
    model = JobsModel(ui_ctx.app.job_pages, ui_ctx.background)
    model.reload()
    qtbot.waitUntil(lambda: not model.loading, timeout=5000)
    now = datetime.now(UTC)
    top = model.newest_id()

    def job(job_id: int, state: str) -> JobInfo:
        return JobInfo(
            job_id, "EXECUTE_WORKFLOW_ACTION", state, 1, None, 0, 0.0, None, None,
            None, None, now, None, None, now,
        )  # fmt: skip

    model.apply_rows([job(top + n, "queued") for n in (1, 2, 3, 4)])
    assert [model.row_item(r).id for r in range(4)] == [top + 4, top + 3, top + 2, top + 1]
    assert model.index(2, C_STATE).data() == "Queued"
    changed: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(
        lambda a, b, _roles: changed.append((a.row(), b.row(), a.column(), b.column()))
    )
    model.apply_rows([job(top + 2, "running"), job(top + 4, "queued")])
    last = len(COLUMNS) - 1
    assert changed == [(2, 2, 0, last)]
    assert model.index(2, C_STATE).data() == "Running"
    model.apply_rows([job(top + 1, "succeeded"), job(top + 4, "running")])
    assert changed[1:] == [(0, 0, 0, last), (3, 3, 0, last)]
    assert model.index(3, C_STATE).data() == "Succeeded"
    assert model.index(3, C_STATE).data(Qt.ItemDataRole.FontRole) is None


def test_status_change_runs_jobs_live(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """POL-003 into review: job rows go queued → running → succeeded and the task appears."""
    page = _open_monitor(window, qtbot)
    seen: dict[int, list[str]] = {}
    window.ui.bridge.job_event.connect(lambda e: seen.setdefault(e.job_id, []).append(e.state))
    window.ui.app.policies.change_status("alice", "POL-003", "in_review")
    table = page.findChild(QTableView, "jobsTable")
    assert table.model() is page.model

    def all_done() -> bool:
        rows = _rows(page)
        return len(rows) >= 4 and all(r is not None and r.state == "succeeded" for r in rows)

    qtbot.waitUntil(all_done, timeout=15000)
    for job_id in (r.id for r in _rows(page)):
        qtbot.waitUntil(lambda j=job_id: "succeeded" in seen.get(j, []), timeout=5000)
        states = seen[job_id]
        assert states.index("running") < states.index("succeeded"), states
    assert "queued" in seen[min(seen)]
    assert {r.workflow for r in _rows(page)} == {"Review kickoff"}
    assert any(t.entity == "POL-003" for t in window.ui.app.monitor.tasks())
    counts = page.findChild(QLabel, "jobStateCounts")
    qtbot.waitUntil(lambda: "Succeeded" in counts.text(), timeout=5000)


def test_retry_failed_job_from_the_window(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A failed job shows its error; after fixing the cause, Retry runs it to success.

    The step asks for awaiting_approval when a policy returns to draft (illegal: draft goes
    to review first); putting the policy back into review fixes it. (A step moving to
    approved can no longer be fixed by a move: only an approval rule approves a text.)"""
    app = window.ui.app
    app.workflows.import_definitions(
        ME, [_bad_workflow("awaiting_approval", on="draft")], signer=signer(app, ME)
    )
    page = _open_monitor(window, qtbot)
    app.policies.change_status(ME, "POL-004", "draft")  # the demo has it in review
    qtbot.waitUntil(lambda: any(r and r.state == "failed" for r in _rows(page)), timeout=15000)
    failed = next(r for r in _rows(page) if r and r.state == "failed")
    _select(page, qtbot, failed.id)
    details = page.findChild(object, "jobDetails")
    qtbot.waitUntil(lambda: "cannot move from draft" in details.toPlainText(), timeout=5000)
    assert '"execution_id"' in details.toPlainText()
    retry = page.findChild(QPushButton, "retryJobButton")
    assert retry.isEnabled()
    app.policies.change_status(ME, "POL-004", "in_review")  # now "awaiting_approval" is legal
    qtbot.mouseClick(retry, CLICK)

    def succeeded() -> bool:
        row = next((r for r in _rows(page) if r and r.id == failed.id), None)
        return row is not None and row.state == "succeeded"

    qtbot.waitUntil(succeeded, timeout=15000)
    assert app.policies.get("POL-004").status == "awaiting_approval"
    assert any(e.action == "job.retried" for e in app.audit.events(entity_type="job"))


def test_cancel_queued_job_while_paused(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """With the worker paused a job stays queued; Cancel cancels it and its execution."""
    page = _open_monitor(window, qtbot)
    pause = page.findChild(QPushButton, "pauseWorkerButton")
    assert pause.isEnabled() and pause.text() == "Pause worker"
    qtbot.mouseClick(pause, CLICK)
    assert window.ui.runtime.paused and pause.text() == "Resume worker"
    window.ui.app.policies.change_status(ME, "POL-003", "in_review")
    qtbot.waitUntil(lambda: any(r and r.state == "queued" for r in _rows(page)), timeout=10000)
    job = next(r for r in _rows(page) if r and r.state == "queued")
    _select(page, qtbot, job.id)
    cancel = page.findChild(QPushButton, "cancelJobButton")
    qtbot.waitUntil(cancel.isEnabled, timeout=2000)
    qtbot.mouseClick(cancel, CLICK)
    qtbot.waitUntil(
        lambda: any(r and r.id == job.id and r.state == "cancelled" for r in _rows(page)),
        timeout=10000,
    )
    assert window.ui.app.monitor.executions()[0].status == "cancelled"
    qtbot.mouseClick(pause, CLICK)
    assert not window.ui.runtime.paused
    qtbot.waitUntil(lambda: window.ui.app.tracker.queue_depth() == 0, timeout=10000)
    assert [j.state for j in window.ui.app.monitor.jobs()] == ["cancelled"]
    assert any(e.action == "job.cancelled" for e in window.ui.app.audit.events(entity_type="job"))


def test_search_and_state_filter_narrow_rows(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Search by policy, by id, and the state filter each leave only matching rows."""
    app = window.ui.app
    app.workflows.import_definitions(ME, [_bad_workflow()], signer=signer(app, ME))
    page = _open_monitor(window, qtbot)
    app.policies.change_status(ME, "POL-003", "in_review")
    app.policies.change_status(ME, "POL-009", "in_review")
    qtbot.waitUntil(lambda: window.ui.app.tracker.queue_depth() == 0, timeout=15000)
    qtbot.waitUntil(lambda: page.model.rowCount() == len(app.monitor.jobs()), timeout=5000)
    search = page.findChild(QLineEdit, "jobSearch")
    search.setText("POL-009")
    qtbot.waitUntil(
        lambda: (
            0 < page.model.rowCount() < len(app.monitor.jobs())
            and all(r and r.entity == "POL-009" for r in _rows(page))
        ),
        timeout=5000,
    )
    search.setText("bad MOVE")  # workflow name, any case
    qtbot.waitUntil(lambda: all(r and r.workflow == "Bad move" for r in _rows(page)), timeout=5000)
    some_id = app.monitor.jobs()[-1].id
    search.setText(f"#{some_id}")
    qtbot.waitUntil(lambda: [r.id for r in _rows(page) if r] == [some_id], timeout=5000)
    search.clear()
    states = page.findChild(QComboBox, "jobStateFilter")
    states.setCurrentIndex(states.findData("failed"))
    qtbot.waitUntil(
        lambda: page.model.rowCount() == 2 and all(r and r.state == "failed" for r in _rows(page)),
        timeout=5000,
    )


def test_retry_all_failed_reports_progress(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Retry all failed runs off the GUI thread and reports how many it retried."""
    app = window.ui.app
    app.workflows.import_definitions(ME, [_bad_workflow()], signer=signer(app, ME))
    page = _open_monitor(window, qtbot)
    for code in ("POL-003", "POL-009"):
        app.policies.change_status(ME, code, "in_review")
    button = page.findChild(QPushButton, "retryAllFailedButton")
    qtbot.waitUntil(lambda: button.isEnabled() and "(2)" in button.text(), timeout=15000)
    qtbot.mouseClick(button, CLICK)
    message = page.findChild(QLabel, "jobMessage")
    qtbot.waitUntil(lambda: "Retried 2 failed jobs" in message.text(), timeout=10000)
    retried = [e for e in app.audit.events(entity_type="job") if e.action == "job.retried"]
    assert len(retried) == 2
    assert page.bulk_progress.isHidden()


def test_separate_worker_disables_pause_and_polls(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Without an embedded worker, pause is disabled with a reason and rows still update."""
    ctx = UiContext(ui_ctx.app, None, ME, ui_ctx.background, ui_ctx.bridge)
    page = JobMonitorPage(ctx)
    qtbot.addWidget(page)
    page.show()
    pause = page.findChild(QPushButton, "pauseWorkerButton")
    assert not pause.isEnabled() and "another process" in pause.toolTip()
    ui_ctx.app.policies.change_status(ME, "POL-003", "in_review")  # runs on ui_ctx's worker
    qtbot.waitUntil(
        lambda: (
            page.model.rowCount() >= 4 and all(r and r.state == "succeeded" for r in _rows(page))
        ),
        timeout=15000,
    )
    page.hide()


def test_rejected_queue_messages_are_shown(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A queue row refused by the serializer shows up in the rejectedMessages label."""
    page = _open_monitor(window, qtbot)
    label = page.findChild(QLabel, "rejectedMessages")
    assert label.text().endswith(": 0")
    window.ui.runtime.rejections.record("signature does not match", 42)
    qtbot.waitUntil(lambda: "signature does not match" in label.text(), timeout=10000)
    assert "1" in label.text()


def test_hundred_thousand_jobs_open_lazily(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """100,000 job rows: the model knows the count but holds only the pages it shows."""
    path = sqlite_path(ui_ctx.app.db.url)
    assert path is not None
    stamp = "2024-01-02 03:04:05.000000"
    rows = [
        ("EXECUTE_WORKFLOW", "succeeded" if i % 10 else "failed", 1, 1.0, "{}", stamp, stamp)
        for i in range(100_000)
    ]
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO jobs (kind, state, attempts, progress, payload, enqueued_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    ctx = UiContext(ui_ctx.app, None, ME, ui_ctx.background, ui_ctx.bridge)
    page = JobMonitorPage(ctx)
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == 100_000, timeout=10000)
    assert page.model.loaded_rows() <= 2 * PAGE_SIZE
    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: page.model.row_item(99_999) is not None, timeout=10000)
    assert page.model.row_item(99_999).id == 1
    assert page.model.loaded_rows() <= 3 * PAGE_SIZE
    page.hide()
