"""The job monitor's "Cancel run…" and "Skip step…": enabled only when the act is allowed, a
reason asked for first, the refusal shown beside the buttons."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from governance_desktop.app import open_app
from governance_desktop.config import load_settings
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.jobs.page import JobMonitorPage
from governance_desktop.ui.pages.jobs.run_controls import ReasonDialog
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.workflows import workflow

CLICK = Qt.MouseButton.LeftButton
BAD_STEP = workflow(
    "Bad step",
    [{"type": "set_status", "status": "published"}, {"type": "create_task", "title": "after"}],
)
APPROVE = workflow("Approve", [{"type": "approval", "approvers": ["bob"], "rule": "all"}])


def _prepare(data_dir: Path, definition: dict[str, Any]) -> None:
    """alice (officer), dave (officer), bob (approver); POL-1 moved into review by alice."""
    app = open_app(load_settings(data_dir=data_dir))
    try:
        for name, role in (("alice", "officer"), ("dave", "officer"), ("bob", "approver")):
            app.users.add(ME, name, name.title(), role)  # type: ignore[arg-type]
        app.workflows.import_definitions(
            ME, [DefinitionSource("wf.json", data=definition)], signer=signer(app, ME)
        )
        app.policies.add(ME, "POL-1", "One", owner="alice")
        app.policies.change_status("alice", "POL-1", "in_review")
    finally:
        app.close()


@pytest.fixture
def open_window(qtbot, data_dir: Path) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    from governance_desktop.ui.launch import create_main_window

    windows: list[Any] = []

    def make(definition: dict[str, Any], actor: str) -> Any:
        _prepare(data_dir, definition)
        win = create_main_window(data_dir, embedded_worker=True, actor=actor)
        qtbot.addWidget(win)
        win.show()
        windows.append(win)
        return win

    yield make
    for win in windows:
        win.shutdown()


def _monitor(window: Any, qtbot: Any) -> JobMonitorPage:
    page = window.page("jobMonitorPage")
    assert isinstance(page, JobMonitorPage)
    # The shortcut reaches only the active window; a new window is activated a moment after
    # show() (after other GUI tests it was not yet, and Ctrl+6 left the Home page shown).
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is page
    qtbot.waitUntil(lambda: not page.model.loading, timeout=5000)
    return page


def _select_job(page: JobMonitorPage, qtbot: Any, state: str) -> None:
    def found() -> bool:
        for row in range(page.model.rowCount()):
            item = page.model.row_item(row)
            if item is not None and item.state == state:
                return page.select_job(item.id)
        return False

    qtbot.waitUntil(found, timeout=15000)


def _answer(page: JobMonitorPage, qtbot: Any, button: QPushButton, reason: str) -> None:
    """Click `button`, type `reason` in the dialog it opens (OK waits for it), press OK."""
    qtbot.mouseClick(button, CLICK)
    dialog = page.findChild(ReasonDialog, "reasonDialog")
    assert dialog is not None and dialog.isVisible()
    assert not dialog.ok.isEnabled()
    qtbot.keyClicks(dialog.edit, reason)
    assert dialog.ok.isEnabled()
    qtbot.mouseClick(dialog.ok, CLICK)


def test_admin_skips_a_failed_step(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """On a failed step's job, an admin's "Skip step…" is enabled ("Cancel run…" is not: the
    run has ended); with a reason the run goes on and completes."""
    window = open_window(BAD_STEP, ME)
    app = window.ui.app
    page = _monitor(window, qtbot)
    _select_job(page, qtbot, "failed")
    skip = page.findChild(QPushButton, "skipStepButton")
    qtbot.waitUntil(skip.isEnabled, timeout=5000)
    assert not page.findChild(QPushButton, "cancelRunButton").isEnabled()
    _answer(page, qtbot, skip, "published by hand")
    label = page.findChild(QLabel, "runRefusal")
    qtbot.waitUntil(lambda: "went on past its failed step" in label.text(), timeout=5000)
    qtbot.waitUntil(lambda: app.monitor.executions()[0].status == "completed", timeout=15000)
    assert [t.title for t in app.monitor.tasks()] == ["after"]


def test_starter_cancels_and_a_refusal_shows_beside_the_buttons(open_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Another officer's buttons stay disabled; the officer who started a run cancels it with
    a reason ("Skip step…" stays disabled); a refused cancel (an admin ended the next run
    meanwhile) is shown in one line in the label beside the buttons."""
    window = open_window(APPROVE, "alice")
    app = window.ui.app
    first = _awaiting(app, qtbot)
    page = _monitor(window, qtbot)

    ui = window.ui
    dave = JobMonitorPage(UiContext(ui.app, ui.runtime, "dave", ui.background, ui.bridge))
    qtbot.addWidget(dave)
    qtbot.waitUntil(lambda: not dave.model.loading, timeout=5000)
    _select_run(dave, qtbot, first)
    checked = dave.run_controls
    qtbot.waitUntil(lambda: checked.shown_for == first, timeout=5000)
    assert not checked.cancel_button.isEnabled() and not checked.skip_button.isEnabled()

    _select_run(page, qtbot, first)
    cancel = page.findChild(QPushButton, "cancelRunButton")
    qtbot.waitUntil(cancel.isEnabled, timeout=5000)
    assert not page.findChild(QPushButton, "skipStepButton").isEnabled()
    _answer(page, qtbot, cancel, "wrong policy")
    label = page.findChild(QLabel, "runRefusal")
    qtbot.waitUntil(lambda: label.text() == f"Run {first} cancelled", timeout=5000)
    assert app.monitor.execution(first)[0].error == "cancelled by alice: wrong policy"
    assert [a.status for a in app.approvals.list()] == ["expired"]
    qtbot.waitUntil(lambda: not cancel.isEnabled(), timeout=5000)

    app.policies.change_status("alice", "POL-1", "draft")
    app.policies.change_status("alice", "POL-1", "in_review")
    second = _awaiting(app, qtbot)
    _select_run(page, qtbot, second)
    qtbot.waitUntil(cancel.isEnabled, timeout=5000)
    app.executions.cancel(second, ME, "an admin got there first")  # while alice decides
    _answer(page, qtbot, cancel, "wrong policy")
    qtbot.waitUntil(lambda: label.text().startswith("⚠"), timeout=5000)
    assert f"execution {second} is cancelled" in label.text()
    assert "\n" not in label.text()


def _awaiting(app: Any, qtbot: Any) -> int:
    """The newest execution, once it waits for its approval."""
    qtbot.waitUntil(
        lambda: app.monitor.executions()[0].status == "awaiting_approval", timeout=15000
    )
    return int(app.monitor.executions()[0].id)


def _select_run(page: JobMonitorPage, qtbot: Any, execution: int) -> None:
    """Select a job of `execution`."""

    def found() -> bool:
        for row in range(page.model.rowCount()):
            item = page.model.row_item(row)
            if item is not None and item.execution_id == execution:
                return page.select_job(item.id)
        return False

    qtbot.waitUntil(found, timeout=15000)
