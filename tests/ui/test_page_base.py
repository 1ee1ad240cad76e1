"""The page base and typed change notices: a write announces what it changed; each page
reloads only for what it shows, and a live page only while it is shown."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from governance_desktop.domain.errors import ConflictError
from governance_desktop.services.changes import Changes
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.audit.page import AuditPage
from governance_desktop.ui.pages.tasks.page import TasksPage


def test_a_write_announces_its_changes_after_done(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    owner = QWidget()
    qtbot.addWidget(owner)
    calls = ui_ctx.calls(owner)
    seen: list[Any] = []
    ui_ctx.bridge.changed.connect(seen.append)

    def refuse() -> None:
        raise ConflictError("no")

    calls.write(refuse, lambda _v: seen.append("done"), seen.append, Changes.TASKS)
    qtbot.waitUntil(lambda: seen == ["no"], timeout=5000)
    calls.write(lambda: 1, lambda _v: seen.append("done"), None, Changes.TASKS | Changes.AUDIT)
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=5000)
    assert seen == ["no", "done", Changes.TASKS | Changes.AUDIT]  # a failed write says nothing


def test_a_page_reloads_only_for_what_it_shows(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    page = TasksPage(ui_ctx)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: not page.reading, timeout=5000)
    page.refresh_timer.stop()
    ui_ctx.bridge.changed.emit(Changes.WORKFLOWS | Changes.JOBS | Changes.POLICIES)
    assert not page.refresh_timer.isActive()
    ui_ctx.bridge.changed.emit(Changes.NOTIFICATIONS)
    assert page.refresh_timer.isActive()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        pass


def test_a_live_page_reads_only_while_shown(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    page = AuditPage(ui_ctx)
    qtbot.addWidget(page)
    ui_ctx.bridge.changed.emit(Changes.ALL)
    assert not page.isVisible() and not page.refresh_timer.isActive()
    page.show()
    assert page.refresh_timer.isActive()  # showing the page reads what it missed
    page.hide()
    assert not page.refresh_timer.isActive()
