"""The tasks page as an inbox: every column sorted in SQL, overdue open tasks say so, the
open/overdue views, and several tasks marked done at once with the next one selected."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from sqlalchemy import select, update

from governance_desktop.domain.clock import local_date, utc_now
from governance_desktop.store.models import Task
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.tasks.page import TasksPage
from tests.helpers.pages import make_page


def everyones(qtbot, ui_ctx: UiContext) -> tuple[TasksPage, list[int]]:  # type: ignore[no-untyped-def]
    """The admin's tasks page showing everyone's open tasks, the first three due 5, 1 and -3
    days from now (three policies put in review give their owners a task each)."""
    ui_ctx.app.policies.add("alice", "POL-101", "Policy 101", body="Text.", owner="alice")
    for code in ("POL-003", "POL-009", "POL-101"):
        ui_ctx.app.policies.change_status("alice", code, "in_review")
    qtbot.waitUntil(lambda: len(ui_ctx.app.monitor.tasks()) >= 3, timeout=10_000)
    with ui_ctx.app.db.transaction() as session:
        ids = list(session.scalars(select(Task.id).where(Task.status == "open").order_by(Task.id)))
        today = local_date(utc_now())
        for task_id, days in zip(ids, (5, 1, -3), strict=False):
            session.execute(
                update(Task).where(Task.id == task_id).values(due_date=today + timedelta(days))
            )
    page = make_page(qtbot, TasksPage(ui_ctx))
    page.show_all.setChecked(True)
    qtbot.waitUntil(lambda: page.tasks.rowCount() >= 3, timeout=10_000)
    return page, ids[:3]


def column(page: TasksPage, header: str) -> int:
    model = page.tasks
    names = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return names.index(header)


def test_tasks_sort_by_due_and_overdue_ones_say_so(qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """Due sorts ascending and descending in SQL; the overdue task reads "Overdue 3 days" on a
    tinted row."""
    page, (later, soon, late) = everyones(qtbot, ui_ctx)
    header, due = page.tasks_table.horizontalHeader(), column(page, "Due")
    header.setSortIndicator(due, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: [t.id for t in page.tasks.rows()][:3] == [late, soon, later])
    header.setSortIndicator(due, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: page.tasks.rows()[0].id == later, timeout=5000)
    model = page.tasks
    row = model.find(late)
    assert "Overdue 3 days" in str(model.data(model.index(row, due)))
    assert model.data(model.index(row, 0), Qt.ItemDataRole.BackgroundRole) is not None
    assert model.data(model.index(model.find(soon), 0), Qt.ItemDataRole.BackgroundRole) is None


def test_open_with_overdue_and_open(qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """open_with("overdue") lists only overdue open tasks; "open" every open one."""
    page, (_later, _soon, late) = everyones(qtbot, ui_ctx)
    page.open_with("overdue")
    qtbot.waitUntil(lambda: [t.id for t in page.tasks.rows()] == [late], timeout=5000)
    page.open_with("open")
    qtbot.waitUntil(lambda: page.tasks.rowCount() >= 3, timeout=5000)
    assert all(t.status == "open" for t in page.tasks.rows())


def test_several_tasks_marked_done_then_the_next_is_selected(qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """Two selected tasks are marked done with one click; the next open task is selected."""
    page, _ids = everyones(qtbot, ui_ctx)
    page.open_with("open")
    qtbot.waitUntil(lambda: page.tasks.rowCount() >= 3 and not page.reading, timeout=5000)
    first, second, third = page.tasks.rows()[:3]
    page.tasks_table.selectRow(0)
    page.tasks_table.selectionModel().select(
        page.tasks.index(1, 0),
        page.tasks_table.selectionModel().SelectionFlag.Select
        | page.tasks_table.selectionModel().SelectionFlag.Rows,
    )
    assert [t.id for t in page.chosen_tasks()] == [first.id, second.id]
    page.mark_done()
    qtbot.waitUntil(lambda: first.id not in [t.id for t in page.tasks.rows()], timeout=5000)
    statuses = {t.id: t.status for t in ui_ctx.app.monitor.tasks()}
    assert statuses[first.id] == statuses[second.id] == "done"
    selected = page.selected_task()
    assert selected is not None and selected.id == third.id
