"""The Runs page (executionsPage): every run with what it waits for, its filters and stuck
view, live rows that keep the selection, Cancel run…/Skip step… with a refusal beside them,
and the job monitor's link from a job to its run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from governance_desktop.domain.enums import ApprovalStatus
from governance_desktop.services.run_overview import RunFilter
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.executions.model import C_STATE, C_WAITING, RunsModel
from governance_desktop.ui.pages.executions.page import ExecutionsPage
from governance_desktop.ui.pages.jobs.model import C_RUN
from governance_desktop.ui.pages.jobs.model import C_STATE as JOB_STATE
from governance_desktop.ui.pages.jobs.page import JobMonitorPage
from governance_desktop.ui.pages.jobs.run_controls import ReasonDialog
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.pages import make_page

CLICK = Qt.MouseButton.LeftButton


def _run_id(ctx: UiContext, qtbot: Any, workflow: str, status: str = "awaiting_approval") -> int:
    """The newest run of `workflow`, once it is in `status`."""

    def found() -> int | None:
        for row in ctx.app.run_overview.first(RunFilter()):
            if row.workflow == workflow and row.status == status:
                return row.id
        return None

    qtbot.waitUntil(lambda: found() is not None, timeout=15000)
    run = found()
    assert run is not None
    return run


def _start_runs(ctx: UiContext, qtbot: Any) -> tuple[int, int]:
    """POL-003 into review (Review kickoff) and POL-004 on to awaiting approval (Board
    approval, 2 of 3); both once they wait for their approvers."""
    ctx.app.policies.change_status("alice", "POL-003", "in_review")
    ctx.app.policies.change_status(ME, "POL-004", "awaiting_approval")
    return _run_id(ctx, qtbot, "Review kickoff"), _run_id(ctx, qtbot, "Board approval")


def _page(ctx: UiContext, qtbot: Any) -> ExecutionsPage:
    page = make_page(qtbot, ExecutionsPage(ctx), 1024, 700)
    qtbot.waitUntil(lambda: not page.model.loading and page.model.rowCount() > 0, timeout=5000)
    return page


def _ids(page: ExecutionsPage) -> list[int]:
    return [page.model.row_item(r).id for r in range(page.model.rowCount())]


def _row_text(page: ExecutionsPage, run_id: int, column: int) -> str:
    row = page.model.row_of(run_id)
    assert row is not None
    return str(page.model.index(row, column).data())


def test_model_passes_modeltester_and_names_the_waits(  # type: ignore[no-untyped-def]
    ui_ctx: UiContext, qtbot, qtmodeltester
) -> None:
    """The runs model passes qtmodeltester; a board approval's row names the three approvers
    still to answer and the rule, a review kickoff's its open task and 2 of 4 steps done."""
    kickoff, board = _start_runs(ui_ctx, qtbot)
    model = RunsModel(ui_ctx.app.run_overview, ui_ctx.background)
    model.refresh()
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() >= 2, timeout=5000)
    qtmodeltester.check(model)
    board_text = model.index(model.row_of(board), C_WAITING).data()
    assert "Bob Chen, Carol Diaz, Dave Okafor to answer" in board_text
    assert "rule: 2 of 3" in board_text
    row = model.row_of(kickoff)
    assert "with Alice Martin" in model.index(row, C_WAITING).data()
    assert "2 of 4 steps" in [model.index(row, c).data() for c in range(model.columnCount())]
    assert model.index(row, C_STATE).data() == "Waiting for approval"


def test_state_filter_stuck_and_waiting_views(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """`open_with("stuck")` shows only the run whose approval fell due in the past (marked
    overdue); `open_with("waiting")` every run waiting for approval; the search narrows by
    workflow."""
    effects = ui_ctx.app.effects
    real = effects.clock
    effects.clock = lambda: datetime.now(UTC) - timedelta(days=30)  # asked a month ago
    try:
        ui_ctx.app.policies.change_status("alice", "POL-003", "in_review")
        late = _run_id(ui_ctx, qtbot, "Review kickoff")
    finally:
        effects.clock = real
    ui_ctx.app.policies.change_status(ME, "POL-004", "awaiting_approval")
    board = _run_id(ui_ctx, qtbot, "Board approval")
    page = _page(ui_ctx, qtbot)

    page.open_with("stuck")
    qtbot.waitUntil(lambda: not page.model.loading and _ids(page) == [late], timeout=5000)
    assert _row_text(page, late, C_STATE) == "Waiting for approval · overdue"

    page.open_with("waiting")
    qtbot.waitUntil(lambda: not page.model.loading and board in _ids(page), timeout=5000)
    assert late in _ids(page)
    assert all(page.model.row_item(r).status == "awaiting_approval" for r in range(len(_ids(page))))

    qtbot.keyClicks(page.search, "board")
    qtbot.waitUntil(lambda: not page.model.loading and _ids(page) == [board], timeout=5000)


def test_selection_kept_across_live_refresh(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """With the review kickoff selected, an approval given elsewhere moves it on live: its
    row reads finished, the new board approval run arrives on top, and the selection stays on
    the same run with its steps shown."""
    kickoff, _board = _start_runs(ui_ctx, qtbot)
    page = _page(ui_ctx, qtbot)
    page.select_run(kickoff)
    qtbot.waitUntil(lambda: page.details.run_id == kickoff, timeout=5000)
    rows_before = page.model.rowCount()

    pending = next(
        a
        for a in ui_ctx.app.approvals.list(status=ApprovalStatus.PENDING)
        if a.policy == "POL-003" and a.approver == "carol"
    )
    ui_ctx.app.approvals.approve(pending.id, "carol", "fine", signer=signer(ui_ctx.app, "carol"))
    qtbot.waitUntil(lambda: _row_text(page, kickoff, C_STATE) == "Finished", timeout=15000)
    qtbot.waitUntil(lambda: page.model.rowCount() > rows_before, timeout=15000)
    selected = page.selected_run()
    assert selected is not None and selected.id == kickoff
    qtbot.waitUntil(
        lambda: [page.details.steps.item(r, 2).text() for r in range(4)] == ["done"] * 4,
        timeout=5000,
    )


def _answer(page: Any, qtbot: Any, button: QPushButton, reason: str) -> None:
    qtbot.mouseClick(button, CLICK)
    dialog = page.findChild(ReasonDialog, "reasonDialog")
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.edit, reason)
    qtbot.mouseClick(dialog.ok, CLICK)


def test_cancel_from_the_page_and_a_refusal_beside_it(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """On a waiting run "Cancel run…" is enabled and "Skip step…" is not (an approval step);
    a cancel with a reason ends the run; a cancel refused because the run ended meanwhile is
    one line beside the buttons naming why."""
    kickoff, board = _start_runs(ui_ctx, qtbot)
    page = _page(ui_ctx, qtbot)
    cancel = page.findChild(QPushButton, "cancelRunButton")
    skip = page.findChild(QPushButton, "skipStepButton")
    label = page.findChild(QLabel, "runRefusal")

    page.select_run(board)
    qtbot.waitUntil(lambda: page.run_controls.shown_for == board, timeout=5000)
    assert cancel.isEnabled() and not skip.isEnabled()
    _answer(page, qtbot, cancel, "wrong policy")
    qtbot.waitUntil(lambda: label.text() == f"Run {board} cancelled", timeout=5000)
    qtbot.waitUntil(lambda: _row_text(page, board, C_STATE) == "Cancelled", timeout=5000)

    page.select_run(kickoff)
    qtbot.waitUntil(
        lambda: page.run_controls.shown_for == kickoff and cancel.isEnabled(), timeout=5000
    )
    ui_ctx.app.executions.cancel(kickoff, ME, "someone got there first")
    _answer(page, qtbot, cancel, "wrong policy")
    qtbot.waitUntil(lambda: label.text().startswith("⚠"), timeout=5000)
    assert f"execution {kickoff} is cancelled" in label.text()
    assert "\n" not in label.text()


def test_job_monitor_shows_the_waiting_run_and_opens_it(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The approval step's job reads "Succeeded · run waiting for approval", not as if the
    run were done; "Open run" (and a double-click on the Run column) shows the Runs page with
    that run selected."""
    app = window.ui.app
    app.policies.change_status(ME, "POL-004", "awaiting_approval")
    monitor = window.open_page("jobMonitorPage")
    assert isinstance(monitor, JobMonitorPage)
    model = monitor.model

    def waiting_job() -> int | None:
        for row in range(model.rowCount()):
            item = model.row_item(row)
            if item is not None and model.index(row, JOB_STATE).data() == (
                "Succeeded · run waiting for approval"
            ):
                return row
        return None

    qtbot.waitUntil(lambda: waiting_job() is not None, timeout=15000)
    row = waiting_job()
    assert row is not None
    job = model.row_item(row)
    monitor.table.selectRow(row)
    opened: list[int] = []
    monitor.open_run.connect(opened.append)
    button = monitor.findChild(QPushButton, "openRunButton")
    assert button.isEnabled()
    qtbot.mouseClick(button, CLICK)
    assert opened == [job.execution_id]
    runs = window.page("executionsPage")
    assert window.stack.currentWidget() is runs
    qtbot.waitUntil(
        lambda: runs.selected_run() is not None and runs.selected_run().id == job.execution_id,
        timeout=5000,
    )

    runs.table.clearSelection()
    runs.open_with("failed")  # the link clears a filter that would hide the run
    qtbot.waitUntil(lambda: not runs.model.loading, timeout=5000)
    window.open_page("jobMonitorPage")
    qtbot.waitUntil(monitor.table.isVisible, timeout=5000)
    row = waiting_job()
    assert row is not None
    monitor.table.scrollTo(model.index(row, C_RUN))
    rect = monitor.table.visualRect(model.index(row, C_RUN))
    # A press first: the view opens on a double-click of the cell a press selected.
    qtbot.mouseClick(monitor.table.viewport(), CLICK, pos=rect.center())
    qtbot.mouseDClick(monitor.table.viewport(), CLICK, pos=rect.center())
    assert opened == [job.execution_id] * 2
    assert window.stack.currentWidget() is runs
    qtbot.waitUntil(
        lambda: runs.selected_run() is not None and runs.selected_run().id == job.execution_id,
        timeout=5000,
    )
