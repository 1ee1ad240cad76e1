"""The home page: tiles read their figures aloud, open the filtered page by click, Enter and
Space, follow changes, are reached by Tab, and an empty register says so."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QPushButton

from governance_desktop.services.changes import Changes
from governance_desktop.services.dashboard import PersonWaiting
from governance_desktop.ui.pages import PAGES
from governance_desktop.ui.pages.home.page import TICK_MS, HomePage, stuck_target
from governance_desktop.ui.pages.home.tiles import Tile
from tests.helpers.a11y import accessible_name, tab_walk
from tests.helpers.pages import make_page
from tests.ui.conftest import demo_dir, ui_ctx  # noqa: F401

NAMES = [entry.name for entry in PAGES]
DEMO_BARS = [
    "Policies in draft: 2",
    "Policies in review: 3",
    "Policies awaiting approval: 1",
    "Policies approved: 1",
    "Policies published: 3",
    "Policies retired: 2",
]
DEMO_PEOPLE = [
    "Approvals waiting for bob: 1, oldest today",
    "Approvals waiting for carol: 1, oldest today",
    "Approvals waiting for dave: 1, oldest today",
]


def _home(qtbot: Any, ui: Any) -> HomePage:
    page = make_page(qtbot, HomePage(ui, NAMES), 1024 - 190, 700)
    qtbot.waitUntil(lambda: page.board is not None, timeout=10_000)
    return page


def _tiles(page: HomePage) -> list[Tile]:
    return [t for t in page.findChildren(Tile) if t.isVisible()]


def test_tiles_read_their_figures(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """On the demo every tile's accessible name reads its figure, in the order shown."""
    page = _home(qtbot, ui_ctx)
    names = [accessible_name(t) for t in _tiles(page)]
    assert names[:6] == [
        "Reviews due in 30 days: 0",
        "Reviews overdue: 0",
        "Approvals waiting for you: 0",
        "Your open tasks: 0",
        "Stuck runs: 0",
        "Failed jobs: 0",
    ]
    assert names[6:] == DEMO_BARS + DEMO_PEOPLE
    assert page.reviews_due.toolTip() and page.status_bars["draft"].toolTip()
    assert not page.empty.isVisible()


def test_every_tile_asks_for_its_page_and_view(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Clicking each tile asks for the agreed (page, view)."""
    page = _home(qtbot, ui_ctx)
    asked: list[tuple[str, str]] = []
    page.open_requested.connect(lambda name, view: asked.append((name, view)))
    for tile in _tiles(page):
        qtbot.mouseClick(tile, Qt.MouseButton.LeftButton)
    assert asked == [
        ("policiesPage", "review:due"),
        ("policiesPage", "review:overdue"),
        ("approvalsPage", "waiting"),
        ("tasksPage", "open"),
        stuck_target(NAMES),
        ("jobMonitorPage", "failed"),
        ("policiesPage", "status:draft"),
        ("policiesPage", "status:in_review"),
        ("policiesPage", "status:awaiting_approval"),
        ("policiesPage", "status:approved"),
        ("policiesPage", "status:published"),
        ("policiesPage", "status:retired"),
        ("approvalsPage", "waiting"),
        ("approvalsPage", "waiting"),
        ("approvalsPage", "waiting"),
    ]


def test_the_window_opens_on_home_and_tiles_switch_pages(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The window opens on the home page; a click on the draft bar shows the policies page
    asked for status:draft, Enter on the failed-jobs tile the job monitor asked for failed,
    Space on the tasks tile the tasks page asked for open."""
    home = window.page("homePage")
    assert window.stack.currentWidget() is home
    qtbot.waitUntil(lambda: home.board is not None, timeout=10_000)

    with qtbot.waitSignal(home.open_requested) as asked:
        qtbot.mouseClick(home.status_bars["draft"], Qt.MouseButton.LeftButton)
    assert asked.args == ["policiesPage", "status:draft"]
    assert window.stack.currentWidget() is window.page("policiesPage")

    for tile, key, wanted in (
        (home.failed_jobs, Qt.Key.Key_Return, ["jobMonitorPage", "failed"]),
        (home.my_tasks, Qt.Key.Key_Space, ["tasksPage", "open"]),
    ):
        window.open_page("homePage")
        tile.setFocus(Qt.FocusReason.TabFocusReason)
        with qtbot.waitSignal(home.open_requested) as asked:
            qtbot.keyClick(tile, key)
        assert asked.args == wanted
        assert window.stack.currentWidget() is window.page(wanted[0])


def test_a_status_change_shows_on_the_tiles(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """A policy moved from draft to review (a write announcing POLICIES) moves one policy
    from the draft bar to the review bar without reopening the page."""
    page = _home(qtbot, ui_ctx)
    policies = ui_ctx.app.policies
    ui_ctx.calls(page).write(
        lambda: policies.change_status("alice", "POL-003", "in_review"),
        changes=Changes.POLICIES,
    )
    draft, review = page.status_bars["draft"], page.status_bars["in_review"]
    qtbot.waitUntil(lambda: accessible_name(draft) == "Policies in draft: 1", timeout=10_000)
    assert accessible_name(review) == "Policies in review: 4"


def test_tab_reaches_every_tile_and_reads_again_each_minute_while_shown(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Tab visits the six figure tiles, the six status bars and the three people in order;
    the minute timer (reviews fall due with the date) runs only while the page is shown."""
    page = _home(qtbot, ui_ctx)
    visited = [w.objectName() for w in tab_walk(page)]
    assert visited == [t.objectName() for t in _tiles(page)] and len(visited) == 15
    [tick] = [t for t in page.findChildren(QTimer) if t.interval() == TICK_MS]
    assert tick.isActive()
    page.hide()
    assert not tick.isActive()


def test_an_empty_register_says_so_and_offers_the_way_on(qtbot, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """With no policies the home page says the register is empty instead of showing zeros,
    offers the Policies and Workflows pages, and leaves the demo offer to the window's banner."""
    from governance_desktop.ui.launch import create_main_window

    win = create_main_window(data_dir, embedded_worker=True)
    qtbot.addWidget(win)
    win.show()
    try:
        home = win.page("homePage")
        qtbot.waitUntil(lambda: home.board is not None, timeout=10_000)
        assert home.empty.isVisible() and not home.dashboard.isVisible()
        assert home.findChildren(QPushButton, "loadDemoButton") == []
        qtbot.waitUntil(win.banner.isVisible, timeout=5000)
        qtbot.mouseClick(home.open_policies, Qt.MouseButton.LeftButton)
        assert win.stack.currentWidget() is win.page("policiesPage")
    finally:
        win.shutdown()


def test_overdue_work_is_said_and_many_people_are_summed(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Overdue tasks are read with the tile's figure; beyond eight people the rest are summed
    in one row, and a person with overdue requests says how many."""
    page = _home(qtbot, ui_ctx)
    board = page.board
    assert board is not None
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    people = tuple(
        PersonWaiting(f"user{n}", 10 - n, 1 if n == 0 else 0, start, n) for n in range(10)
    )
    page.show_board(replace(board, my_open_tasks=4, my_overdue_tasks=2, approvals_waiting=people))
    assert accessible_name(page.my_tasks) == "Your open tasks: 4, 2 overdue"
    rows = [accessible_name(row) for row in page.people_rows if row.isVisible()]
    assert rows[0] == "Approvals waiting for user0: 10, oldest today, 1 overdue"
    assert rows[1] == "Approvals waiting for user1: 9, oldest 1 day"
    assert rows[-1] == "Approvals waiting for 2 more people: 3"
    assert len(rows) == 9 and page.people_legend.isVisible()
