"""The main window: every page is there by name, shortcuts switch pages, clean shutdown."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton

from governance_desktop.ui.pages import PAGES
from tests.helpers.actors import ME
from tests.helpers.identity import PASSWORD
from tests.ui.signing import field, sign_dialog


def test_every_page_by_object_name(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Each page exists with its objectName and accessible name; Ctrl+N shows page N."""
    for index, entry in enumerate(PAGES):
        name = entry.name
        page = window.page(name)
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
    """A first start on an empty data dir offers the demo data; loading it is signed (the OS
    user, with no password yet, chooses one in the sign dialog), and the demo users'
    initial passwords are shown once."""
    from governance_desktop.ui.launch import create_main_window

    win = create_main_window(data_dir, embedded_worker=True)
    qtbot.addWidget(win)
    win.show()
    try:
        banner = win.findChild(object, "demoBanner")
        qtbot.waitUntil(banner.isVisible, timeout=5000)
        qtbot.mouseClick(win.findChild(QPushButton, "loadDemoButton"), Qt.MouseButton.LeftButton)
        dialog = sign_dialog(qtbot)
        assert dialog.asks_user_name and not field(dialog, "signPassword").isVisible()
        qtbot.keyClicks(field(dialog, "signUserName"), ME)
        qtbot.keyClicks(field(dialog, "signNewPassword"), PASSWORD)
        qtbot.keyClicks(field(dialog, "signRepeatPassword"), PASSWORD)
        dialog.findChild(QPushButton, "signButton").click()
        qtbot.waitUntil(lambda: not banner.isVisible(), timeout=20000)
        assert len(win.ui.app.policies.list()) == 12
        qtbot.waitUntil(lambda: win.findChild(QMessageBox, "demoPasswords") is not None)
        shown = win.findChild(QMessageBox, "demoPasswords").informativeText()
        assert shown.startswith("alice: ") and "bob: " in shown
        assert win.ui.app.identity.has_password(ME)
    finally:
        win.shutdown()


def test_approvals_count_on_navigation(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The navigation shows how many approvals wait, and updates when a new one arrives."""
    item = window.nav.item(3)
    app = window.ui.app
    app.policies.change_status("alice", "POL-003", "in_review")
    qtbot.waitUntil(lambda: "Approvals (" in item.text(), timeout=15000)


def test_tables_have_their_names(window) -> None:  # type: ignore[no-untyped-def]
    """The tables tests and screen readers rely on are there by objectName."""
    from PySide6.QtWidgets import QTableView

    window.build_pages()
    for name in (
        "policiesTable",
        "workflowsTable",
        "approvalsTable",
        "tasksTable",
        "jobsTable",
        "auditTable",
    ):
        table = window.findChild(QTableView, name)
        assert table is not None and table.accessibleName() == name


def test_status_change_in_the_window_runs_its_workflow(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Click a lifecycle move; the job rows go queued → running → succeeded; the task appears."""
    seen: dict[int, list[str]] = {}
    window.ui.bridge.job_event.connect(
        lambda event: seen.setdefault(event.job_id, []).append(event.state)
    )
    page = window.page("policiesPage")
    qtbot.waitUntil(lambda: page.select_code("POL-003"), timeout=10000)
    button = page.findChild(QPushButton, "statusMove_in_review")
    qtbot.waitUntil(lambda: button is not None and button.isEnabled(), timeout=10000)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(t.entity == "POL-003" for t in window.ui.app.monitor.tasks()), timeout=20000
    )
    qtbot.waitUntil(
        lambda: len(seen) >= 3 and all("succeeded" in s for s in seen.values()), timeout=20000
    )
    first = seen[min(seen)]
    assert first.index("queued") < first.index("running") < first.index("succeeded"), seen
    assert window.ui.app.policies.get("POL-003").status == "in_review"


def test_geometry_and_table_layout_are_remembered(qtbot, demo_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """A resized window and a widened column come back at the next start."""
    from PySide6.QtWidgets import QTableView

    from governance_desktop.ui.launch import create_main_window

    first = create_main_window(demo_dir, embedded_worker=False)
    qtbot.addWidget(first)
    first.show()
    first.resize(first.minimumSizeHint().width() + 7, first.minimumSizeHint().height() + 5)
    size = (first.width(), first.height())
    first.page("policiesPage")  # the window opens on Home: the policies page is built on need
    first.findChild(QTableView, "policiesTable").horizontalHeader().resizeSection(1, 333)
    first.shutdown()
    second = create_main_window(demo_dir, embedded_worker=False)
    qtbot.addWidget(second)
    second.show()
    try:
        assert (second.width(), second.height()) == size
        second.page("policiesPage")
        header = second.findChild(QTableView, "policiesTable").horizontalHeader()
        assert header.sectionSize(1) == 333
    finally:
        second.shutdown()
