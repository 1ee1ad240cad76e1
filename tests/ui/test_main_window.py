"""The main window: every page is there by name, shortcuts switch pages, clean shutdown."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from governance_desktop.ui.pages import PAGES


def test_every_page_by_object_name(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Each page exists with its objectName and accessible name; Ctrl+N shows page N."""
    for index, (name, _title, _path, _shortcut) in enumerate(PAGES):
        page = window.findChild(object, name)
        assert page is not None and page.accessibleName() == name
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_1 + index), Qt.KeyboardModifier.ControlModifier)
        assert window.stack.currentWidget() is page


def test_status_bar_shows_worker_queue_and_user(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The status bar names the worker state, the queue depth and the current user."""
    worker = window.findChild(QLabel, "workerStatus")
    queue = window.findChild(QLabel, "queueDepth")
    qtbot.waitUntil(lambda: queue.text().startswith("Queue:"), timeout=5000)
    assert worker.text() == "Worker: running (2 workers)"
    assert "Signed in as" in window.findChild(QLabel, "currentUser").text()


def test_empty_data_dir_offers_demo(qtbot, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """A first start on an empty data dir offers the demo data, and loading it works."""
    from governance_desktop.app import create_main_window

    win = create_main_window(data_dir, embedded_worker=True)
    qtbot.addWidget(win)
    win.show()
    try:
        banner = win.findChild(object, "demoBanner")
        qtbot.waitUntil(banner.isVisible, timeout=5000)
        qtbot.mouseClick(win.findChild(QPushButton, "loadDemoButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not banner.isVisible(), timeout=20000)
        assert len(win.ui.app.policies.list()) == 12
    finally:
        win.shutdown()


def test_approvals_count_on_navigation(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The navigation shows how many approvals wait, and updates when a new one arrives."""
    item = window.nav.item(2)
    app = window.ui.app
    app.policies.change_status("alice", "POL-003", "in_review")
    qtbot.waitUntil(lambda: "Approvals (" in item.text(), timeout=15000)
