"""Tasks and notifications: mark done, mark read, everyone's view, the desktop notification."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QCheckBox, QPushButton, QTableView

from governance_desktop.domain.errors import PermissionDeniedError
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.tasks.page import TasksPage
from tests.helpers.pages import make_page

CLICK = Qt.MouseButton.LeftButton
SELECT = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows


def open_page(qtbot, ui: UiContext) -> TasksPage:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, TasksPage(ui))
    with qtbot.waitSignal(page.loaded, timeout=5000):
        pass
    return page


def review_pol_009(qtbot, page: TasksPage) -> None:  # type: ignore[no-untyped-def]
    """alice puts bob's POL-009 into review: bob gets a review task and a notification."""
    page.ui.app.policies.change_status("alice", "POL-009", "in_review")
    qtbot.waitUntil(lambda: page.tasks.rowCount() > 0 and page.notes.rowCount() > 0, timeout=5000)


def select_first(page: TasksPage, name: str) -> None:
    view = page.findChild(QTableView, name)
    view.selectionModel().setCurrentIndex(view.model().index(0, 0), SELECT)


def test_mark_task_done(qtbot, qtmodeltester, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """bob marks his review task done; it is stored done and the audit trail says so."""
    page = open_page(qtbot, replace(ui_ctx, actor="bob"))
    review_pol_009(qtbot, page)
    qtmodeltester.check(page.tasks)
    task = page.tasks.row(0)
    assert (task.assignee, task.entity, task.status) == ("bob", "POL-009", "open")
    select_first(page, "tasksTable")
    button = page.findChild(QPushButton, "markTaskDoneButton")
    assert button.isEnabled()
    qtbot.mouseClick(button, CLICK)
    qtbot.waitUntil(lambda: page.tasks.row(0).status == "done", timeout=5000)
    assert not button.isEnabled()
    stored = ui_ctx.app.monitor.tasks(assignee="bob")[0]
    assert stored.status == "done"
    event = ui_ctx.app.audit.events("policy", "POL-009")[0]
    assert (event.action, event.actor, event.details["task_id"]) == (
        "task.completed",
        "bob",
        task.id,
    )


def test_mark_notification_read_and_desktop_notice(qtbot, qtmodeltester, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """A new notification reaches the tray notifier; Mark read stores read_at."""
    page = open_page(qtbot, replace(ui_ctx, actor="bob"))
    review_pol_009(qtbot, page)
    qtmodeltester.check(page.notes)
    note = page.notes.row(0)
    assert note.title == "POL-009 is ready for review" and note.read_at is None
    assert page.tray.shown == [(note.title, note.body)]
    select_first(page, "notificationsTable")
    qtbot.mouseClick(page.findChild(QPushButton, "markReadButton"), CLICK)
    qtbot.waitUntil(lambda: page.notes.row(0).read_at is not None, timeout=5000)
    assert ui_ctx.app.monitor.notifications("bob")[0].read_at is not None
    assert "0 unread" in page.notes_label.text()


def test_show_everyones(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """The admin's own list is empty; the toggle shows bob's and carol's items."""
    page = open_page(qtbot, ui_ctx)
    ui_ctx.app.policies.change_status("alice", "POL-009", "in_review")
    qtbot.waitUntil(lambda: len(ui_ctx.app.monitor.notifications()) == 2, timeout=5000)
    page.findChild(QCheckBox, "showAllUsers").setChecked(True)
    qtbot.waitUntil(lambda: page.notes.rowCount() == 2, timeout=5000)
    assert {n.user for n in page.notes.rows()} == {"bob", "carol"}
    # The review task is another job of the run: it may land after the notifications, and the
    # page follows it when it does.
    qtbot.waitUntil(lambda: page.tasks.rowCount() == 1, timeout=5000)
    assert page.tasks.row(0).assignee == "bob"
    assert page.tray.shown == []  # not addressed to the current user


def test_only_assignee_or_admin_may_finish(ui_ctx, qtbot) -> None:  # type: ignore[no-untyped-def]
    """carol can neither finish bob's task nor read his notification; an admin can."""
    app = ui_ctx.app
    app.policies.change_status("alice", "POL-009", "in_review")
    qtbot.waitUntil(lambda: bool(app.monitor.tasks()) and len(app.monitor.notifications()) == 2)
    inbox = app.inbox
    task = app.monitor.tasks()[0]
    bobs = next(n for n in app.monitor.notifications() if n.user == "bob")
    with pytest.raises(PermissionDeniedError, match="assigned to 'bob', not 'carol'"):
        inbox.complete_task(task.id, "carol")
    with pytest.raises(PermissionDeniedError, match="is for 'bob', not 'carol'"):
        inbox.mark_read([bobs.id], "carol")
    assert inbox.complete_task(task.id, ui_ctx.actor).status == "done"
    assert inbox.mark_read([bobs.id], ui_ctx.actor) == 1
