"""The inbox tables are lazy and sorted in SQL: with 1,200 requests or tasks every row is listed,
few are held, each column sorts in SQL, and approve-and-next crosses a page boundary."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from sqlalchemy import insert, select

from governance_desktop.domain.clock import local_date, utc_now
from governance_desktop.services.inbox_pages import ApprovalFilter
from governance_desktop.services.sorted_pages import Sort
from governance_desktop.store.models import Task, WorkflowApproval
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.approvals.model import PENDING_SORTS
from governance_desktop.ui.pages.approvals.page import ApprovalsPage
from governance_desktop.ui.pages.tasks.page import TASK_SORTS, TasksPage
from governance_desktop.ui.sorted_model import PAGE_SIZE
from tests.helpers.pages import make_page
from tests.ui.signing import sign_with_password

MANY = 1200  # four pages of PAGE_SIZE
ASC = Qt.SortOrder.AscendingOrder


def many_requests(ui_ctx: UiContext) -> int:
    """Add MANY - 1 pending requests for bob beside the demo's POL-005 one (same execution,
    other step numbers), so that sorted by Requested the real one is the last row of the
    first page; returns the real request's id."""
    with ui_ctx.app.db.transaction() as session:
        real = session.scalars(
            select(WorkflowApproval).where(
                WorkflowApproval.approver == "bob", WorkflowApproval.status == "pending"
            )
        ).one()
        asked = real.requested_at
        rows = [
            {
                "execution_id": real.execution_id,
                "step_index": 100 + n,
                "approver": "bob",
                "status": "pending",
                "policy_version": real.policy_version,
                # PAGE_SIZE - 1 asked before the real one, the rest after it
                "requested_at": asked
                + timedelta(minutes=n - (PAGE_SIZE - 1) + (n >= PAGE_SIZE - 1)),
                "due_at": None if n % 7 == 0 else asked + timedelta(hours=(n * 37) % 500),
            }
            for n in range(MANY - 1)
        ]
        session.execute(insert(WorkflowApproval), rows)
        return real.id


def every_row(qtbot, model: Any) -> list[Any]:  # type: ignore[no-untyped-def]
    """All rows of a lazy model, waiting for each page as it is asked for."""
    rows = []
    for number in range(model.rowCount()):
        if model.row_item(number) is None:
            qtbot.waitUntil(lambda n=number: model.row_item(n) is not None, timeout=10_000)
        rows.append(model.row_item(number))
    return rows


def wait_sorted(qtbot, page: Any, model: Any, order: Sort) -> None:  # type: ignore[no-untyped-def]
    """Wait until the table shows `order` and nothing is being read."""
    qtbot.waitUntil(lambda: model.order == order and not page.reading, timeout=10_000)


def bobs_page(qtbot, ui_ctx: UiContext) -> ApprovalsPage:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, ApprovalsPage(replace(ui_ctx, actor="bob")))
    qtbot.waitUntil(lambda: page.pending_count() == MANY and not page.reading, timeout=10_000)
    return page


def test_every_request_is_listed_few_are_held_and_each_column_sorts_in_sql(
    qtbot, qtmodeltester, ui_ctx
) -> None:  # type: ignore[no-untyped-def]
    """1,200 waiting requests are all rows (no cap), at most a few pages are held, the model
    passes qtmodeltester, and every column's order is the SQL order of its sort name."""
    many_requests(ui_ctx)
    page = bobs_page(qtbot, ui_ctx)
    model = page.pending
    assert model.loaded_rows() < MANY
    qtmodeltester.check(model)
    header = page.table.horizontalHeader()
    pages = ui_ctx.app.approval_pages
    for column, name in enumerate(PENDING_SORTS):
        header.setSortIndicator(column, ASC)
        wait_sorted(qtbot, page, model, Sort(name))
        expected = [a.id for a in pages.page(ApprovalFilter("bob"), Sort(name), 0, 50)]
        assert [model.row_item(n).id for n in range(50)] == expected, name
    header.setSortIndicator(PENDING_SORTS.index("due"), ASC)
    qtbot.waitUntil(lambda: model.order == Sort("due") and not page.reading, timeout=10_000)
    rows = every_row(qtbot, model)
    assert len({a.id for a in rows}) == MANY
    dues = [a.due_at for a in rows]
    dated = [d for d in dues if d is not None]
    assert dated == sorted(dated) and dues[len(dated) :] == [None] * (MANY - len(dated))


def test_approve_and_next_crosses_a_page_boundary(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """Sorted by Requested, approving the last row of the first page shows the request that
    was first on the second page (now the last row of the first)."""
    real = many_requests(ui_ctx)
    page = bobs_page(qtbot, ui_ctx)
    sign_with_password(page.ui)
    header = page.table.horizontalHeader()
    header.setSortIndicator(PENDING_SORTS.index("requested"), ASC)
    model = page.pending
    qtbot.waitUntil(lambda: model.order == Sort("requested") and not page.reading, timeout=10_000)
    pages = ui_ctx.app.approval_pages
    in_order = pages.page(ApprovalFilter("bob"), Sort("requested"), PAGE_SIZE - 1, 2)
    assert in_order[0].id == real
    following = in_order[1].id
    qtbot.waitUntil(lambda: model.find(real) == PAGE_SIZE - 1, timeout=10_000)
    assert page.select(real)
    page.approve()
    qtbot.waitUntil(lambda: ui_ctx.app.approvals.get(real).status == "approved", timeout=10_000)
    qtbot.waitUntil(lambda: page.pending_count() == MANY - 1 and not page.reading, timeout=10_000)
    qtbot.waitUntil(lambda: page.selected() is not None, timeout=10_000)
    current = page.selected()
    assert current is not None and current.id == following
    assert page.table.selectionModel().currentIndex().row() == PAGE_SIZE - 1


def test_tasks_every_task_listed_and_sorted_in_sql(qtbot, qtmodeltester, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """1,200 open tasks of bob's are all rows, the model passes qtmodeltester, each column
    sorts in SQL, and Due ascending reads in order with undated tasks last."""
    today = local_date(utc_now())
    now = utc_now()
    rows = [
        {
            "title": f"Task {n:04d}",
            "description": "",
            "assignee": "bob",
            "status": "open" if n % 5 else "done",
            "due_date": None if n % 9 == 0 else today + timedelta(days=(n * 13) % 90 - 30),
            "created_at": now - timedelta(minutes=n),
        }
        for n in range(MANY)
    ]
    with ui_ctx.app.db.transaction() as session:
        session.execute(insert(Task), rows)
    page = make_page(qtbot, TasksPage(replace(ui_ctx, actor="bob")))
    model = page.tasks
    qtbot.waitUntil(lambda: model.rowCount() == MANY and not page.reading, timeout=10_000)
    assert model.loaded_rows() < MANY
    qtmodeltester.check(model)
    assert f"({MANY - MANY // 5} open)" in page.tasks_label.text()  # a count query
    header = page.tasks_table.horizontalHeader()
    for column, name in enumerate(TASK_SORTS):
        header.setSortIndicator(column, ASC)
        wait_sorted(qtbot, page, model, Sort(name))
        expected = [t.id for t in ui_ctx.app.task_pages.page(model.filter, Sort(name), 0, 50)]
        assert [model.row_item(n).id for n in range(50)] == expected, name
    header.setSortIndicator(TASK_SORTS.index("due"), ASC)
    qtbot.waitUntil(lambda: model.order == Sort("due") and not page.reading, timeout=10_000)
    dues = [t.due_date for t in every_row(qtbot, model)]
    dated = [d for d in dues if d is not None]
    assert dated == sorted(dated) and dues[len(dated) :] == [None] * (MANY - len(dated))
