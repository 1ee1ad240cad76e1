"""The Runs page's table sorted in SQL: every column's header sorts both ways (the run id
breaking ties), a sort asked while an older read runs wins, `run:<id>` finds a run in any
order, a live refresh changes rows in place, and the page's message clears at the next
selection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt

from governance_desktop.services.run_overview import RunFilter, RunRow
from governance_desktop.services.run_sorts import STATE_ORDER
from governance_desktop.services.sorted_pages import Sort
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.executions.model import C_ID, C_STATE, C_WAITING, SORTS
from governance_desktop.ui.pages.executions.page import ExecutionsPage
from tests.helpers.actors import ME
from tests.helpers.pages import make_page

ASC, DESC = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder


def _waits_on(run: RunRow) -> str:
    if run.waiting_approvers:
        return run.waiting_approvers[0]
    if run.tasks:
        return run.tasks[0].assignee or ""
    return run.error or ""


#: What each column's SQL order means, in Python, on the rows the page shows (None: no value).
KEYS: dict[str, Callable[[RunRow], Any]] = {
    "id": lambda r: r.id,
    "policy": lambda r: r.policy,
    "state": lambda r: STATE_ORDER.index(r.status),
    "waiting": _waits_on,
    "due": lambda r: r.due,
    "progress": lambda r: r.progress,
    "step": lambda r: r.step,
    "since": lambda r: r.since,
    "workflow": lambda r: r.workflow,
    "started_by": lambda r: r.started_by_name,
}


def _expected(rows: list[RunRow], name: str, descending: bool) -> list[int]:
    """Run ids in the order SQL gives: NULLs first ascending (SQLite), the id breaking ties."""
    key = KEYS[name]

    def full(run: RunRow) -> tuple[Any, ...]:
        value = key(run)
        return (0, 0, run.id) if value is None else (1, value, run.id)

    return [r.id for r in sorted(rows, key=full, reverse=descending)]


def _rows(page: ExecutionsPage, qtbot: Any) -> list[RunRow]:
    model = page.model
    for row in range(model.rowCount()):
        qtbot.waitUntil(lambda r=row: model.row_item(r) is not None, timeout=5000)
    return [model.row_item(r) for r in range(model.rowCount())]  # type: ignore[misc]


def _runs(ctx: UiContext, qtbot: Any) -> None:
    """A few runs in different states: two waiting for approvers, one waiting on a task,
    one cancelled."""
    app = ctx.app
    app.policies.change_status("alice", "POL-003", "in_review")
    app.policies.change_status(ME, "POL-004", "awaiting_approval")
    app.policies.change_status("alice", "POL-009", "in_review")

    def waiting() -> list[RunRow]:
        return [r for r in app.run_overview.first(RunFilter()) if r.status == "awaiting_approval"]

    qtbot.waitUntil(lambda: len(waiting()) >= 4, timeout=20000)
    app.executions.cancel(waiting()[0].id, ME, "not this one")


def _page(ctx: UiContext, qtbot: Any) -> ExecutionsPage:
    page = make_page(qtbot, ExecutionsPage(ctx), 1024, 700)
    qtbot.waitUntil(lambda: not page.model.loading and page.model.rowCount() > 0, timeout=5000)
    return page


def test_every_column_sorts_in_sql_both_ways(ui_ctx: UiContext, qtbot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    """Clicking each header sorts the runs in SQL by what the column shows, ascending then
    descending (the run id breaking ties); the model passes qtmodeltester in every order."""
    _runs(ui_ctx, qtbot)
    page = _page(ui_ctx, qtbot)
    assert page.model.order == Sort("id", descending=True)  # newest first
    for column, name in enumerate(SORTS):
        for order in (ASC, DESC):
            with qtbot.waitSignal(page.model.reloaded, timeout=5000):
                page.table.sortByColumn(column, order)
            assert page.model.order == Sort(name, order == DESC)
            rows = _rows(page, qtbot)
            assert len(rows) >= 5
            assert [r.id for r in rows] == _expected(rows, name, order == DESC), name
            qtmodeltester.check(page.model)


def test_a_sort_asked_while_an_older_read_runs_wins(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A live refresh, then a sort by state, then by waiting-for, asked before any read
    ends: only the last is applied (one reload), and the page is ready for the next refresh."""
    _runs(ui_ctx, qtbot)
    page = _page(ui_ctx, qtbot)
    reloads: list[int] = []
    page.model.reloaded.connect(lambda: reloads.append(page.model.generation))
    page.refresh()
    page.table.sortByColumn(C_STATE, ASC)
    page.table.sortByColumn(C_WAITING, DESC)
    generation = page.model.generation
    qtbot.waitUntil(lambda: not page.model.loading, timeout=5000)
    ui_ctx.background.wait()
    qtbot.wait(50)  # let any stale result arrive (it must be dropped)
    assert reloads == [generation]
    assert page.model.order == Sort("waiting", descending=True)
    rows = _rows(page, qtbot)
    assert [r.id for r in rows] == _expected(rows, "waiting", True)
    assert not page.reading


def test_open_run_in_any_order_and_refresh_in_place(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """`run:<id>` selects the run wherever the current sort puts it; a live refresh with
    nothing moved changes rows in place (no reset) and keeps it selected."""
    _runs(ui_ctx, qtbot)
    page = _page(ui_ctx, qtbot)
    oldest = min(r.id for r in _rows(page, qtbot))
    page.table.sortByColumn(C_WAITING, ASC)
    qtbot.waitUntil(lambda: page.model.order.column == "waiting" and not page.model.loading)
    page.open_with(f"run:{oldest}")
    qtbot.waitUntil(lambda: (s := page.selected_run()) is not None and s.id == oldest, timeout=5000)
    resets: list[int] = []
    page.model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(page.model.reloaded, timeout=5000):
        page.refresh()
    assert not resets
    selected = page.selected_run()
    assert selected is not None and selected.id == oldest
    page.table.sortByColumn(C_ID, ASC)  # a re-sort keeps the run selected at its new row
    qtbot.waitUntil(lambda: page.table.currentIndex().row() == 0, timeout=5000)
    assert page.selected_run().id == oldest  # type: ignore[union-attr]


def test_message_clears_at_the_next_selection(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A run that is not in the list is named in one line; choosing a row clears it."""
    page = _page(ui_ctx, qtbot)
    page.open_with("run:999999")
    qtbot.waitUntil(lambda: "Run 999999 is not in this list" in page.message.text(), timeout=5000)
    assert page.message.is_error
    rect = page.table.visualRect(page.model.index(0, C_ID))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.message.text() == ""
