"""Lists follow changes from this window and from other processes: the change poll announces
what another process changed on the bridge, and the users table and user pickers reload."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QComboBox

from governance_desktop.services.changes import Changes
from governance_desktop.ui.pages.users.page import UsersPage
from tests.helpers.actors import ME
from tests.ui.signing import sign_with_password

DEMO_USERS = {"alice", "bob", "carol", "dave", "erin"}


def cli_process(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed `governance-desktop` command, run as its own process (as the OS user)."""
    script = Path(sys.executable).with_name("governance-desktop")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "governance_desktop"]
    return subprocess.run(
        [*command, "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _usernames(page: UsersPage) -> set[str]:
    return {user.username for user in page.model.rows()}


def _offered(combo: QComboBox) -> set[str]:
    return {str(combo.itemData(i) or combo.itemText(i)) for i in range(combo.count())}


def test_user_added_by_another_process_appears(window, qtbot, demo_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """`governance-desktop users add` in another process: the open users table and its
    reassign-to picker offer the new user without any click in the window."""
    page = window.open_page("usersPage")
    qtbot.waitUntil(lambda: "alice" in _usernames(page), timeout=10_000)
    done = cli_process(demo_dir, "users", "add", "zoe", "--name", "Zoe Lin", "--role", "approver")
    assert done.returncode == 0, done.stderr
    qtbot.waitUntil(lambda: "zoe" in _usernames(page), timeout=15_000)
    page.table.selectRow(page.model.row_of("bob"))
    page.choose_deactivate()
    dialog = page.findChild(QComboBox, "reassignToChoice")
    assert dialog is not None and "zoe" in _offered(dialog)


def test_demo_loaded_in_the_window_reaches_the_users_page(qtbot, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """Load demo data on an empty register: the users page built before it lists the demo
    users afterwards."""
    from governance_desktop.ui.launch import create_main_window

    win = create_main_window(data_dir, embedded_worker=True)
    qtbot.addWidget(win)
    win.show()
    try:
        page = win.open_page("usersPage")
        qtbot.waitUntil(lambda: _usernames(page) == {ME}, timeout=10_000)
        sign_with_password(win.ui)
        win.load_demo()
        qtbot.waitUntil(lambda: _usernames(page) >= DEMO_USERS, timeout=30_000)
    finally:
        win.shutdown()


def test_demo_loaded_in_the_window_reaches_the_policy_pickers(qtbot, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """Load demo data on an empty register: the owner and assignee pickers offer alice."""
    from governance_desktop.ui.launch import create_main_window

    win = create_main_window(data_dir, embedded_worker=True)
    qtbot.addWidget(win)
    win.show()
    try:
        policies = win.open_page("policiesPage")
        sign_with_password(win.ui)
        win.load_demo()
        owner = policies.findChild(QComboBox, "policyOwner")
        assignee = policies.findChild(QComboBox, "policyAssignee")
        qtbot.waitUntil(lambda: "alice" in _offered(owner), timeout=30_000)
        qtbot.waitUntil(lambda: "alice" in _offered(assignee), timeout=10_000)
    finally:
        win.shutdown()


def test_own_writes_are_not_announced_twice(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A user added in this window is announced once, by the write; the poll that follows
    sees its events and announces nothing more about users."""
    poll = window.change_poll
    poll.stop()  # polled by hand below: the order of write and poll is the test's
    page = window.open_page("usersPage")
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=10_000)
    heard: list[Changes] = []
    window.ui.bridge.changed.connect(heard.append)
    page.add_user("yuri", "Yuri Tam", "officer")
    qtbot.waitUntil(lambda: any(Changes.USERS in c for c in heard), timeout=10_000)
    polls = poll.polls
    poll.poll()
    qtbot.waitUntil(lambda: poll.polls > polls, timeout=10_000)
    QApplication.processEvents()  # an announcement is delivered on the next turn
    assert sum(Changes.USERS in c for c in heard) == 1


def test_a_change_by_another_process_is_announced(window, qtbot, demo_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """A policy created by the CLI in another process reaches the bridge as POLICIES."""
    heard: list[Changes] = []
    window.ui.bridge.changed.connect(heard.append)
    done = cli_process(demo_dir, "policies", "add", "POL-900", "--title", "Travel")
    assert done.returncode == 0, done.stderr
    qtbot.waitUntil(lambda: any(Changes.POLICIES in c for c in heard), timeout=15_000)
