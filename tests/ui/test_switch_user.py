"""Acting as another user in the window needs their password (Switch user…, and
`gui --actor NAME`): a wrong password or Cancel leaves the acting user as it was;
switching back to the OS account's own user needs none."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton

from governance_desktop.domain.errors import AuthenticationError
from governance_desktop.ui.signing.switch import SwitchUserDialog
from tests.helpers.actors import ME
from tests.helpers.identity import PASSWORD
from tests.ui.signing import password_for


def switch_dialog(qtbot, window) -> SwitchUserDialog:  # type: ignore[no-untyped-def]
    """Trigger the window's Switch user… action; the sign-in dialog it opens."""
    action = next(a for a in window.actions() if a.objectName() == "switchUserAction")
    action.trigger()

    def shown() -> list[SwitchUserDialog]:
        return [d for d in window.findChildren(SwitchUserDialog) if d.isVisible()]

    qtbot.waitUntil(lambda: bool(shown()), timeout=5000)
    return shown()[0]


def sign_in(qtbot, dialog: SwitchUserDialog, user: str, password: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.findChild(QLineEdit, "switchUserName"), user)
    qtbot.keyClicks(dialog.findChild(QLineEdit, "switchPassword"), password)
    dialog.findChild(QPushButton, "switchUserButton").click()


def test_wrong_password_or_cancel_leaves_the_actor(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Switch user… to bob with a wrong password is refused in the dialog; Cancel changes
    nothing: the window still acts as the OS user."""
    password_for(window.ui.app, "bob")
    dialog = switch_dialog(qtbot, window)
    sign_in(qtbot, dialog, "bob", "guess")
    error = dialog.findChild(QLabel, "switchUserError").text()
    assert error.startswith("wrong password for 'bob'") and error.endswith("(rule: identity)")
    assert dialog.isVisible()
    dialog.reject()
    assert window.ui.actor == ME
    assert window.findChild(QLabel, "currentUser").text() == f"Signed in as {ME}"
    events = window.ui.app.audit.events("user", "bob", 10)
    assert any(e.action == "auth.failed" for e in events)


def test_switch_to_bob_with_his_password_and_back(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """With bob's password the window acts as bob (status bar, title, pages rebuilt for him);
    switching back to the OS user needs no password."""
    password_for(window.ui.app, "bob")
    before = window.page("approvalsPage")
    sign_in(qtbot, switch_dialog(qtbot, window), "bob", PASSWORD)
    qtbot.waitUntil(lambda: window.ui.actor == "bob", timeout=5000)
    assert window.findChild(QLabel, "currentUser").text().startswith("Signed in as bob")
    assert window.windowTitle().endswith("bob")
    after = window.page("approvalsPage")
    assert after is not before and after.ui.actor == "bob"
    qtbot.waitUntil(lambda: after.scope.text() == "Approvals waiting for you", timeout=5000)

    dialog = switch_dialog(qtbot, window)
    qtbot.keyClicks(dialog.findChild(QLineEdit, "switchUserName"), ME)
    dialog.findChild(QPushButton, "switchUserButton").click()
    qtbot.waitUntil(lambda: window.ui.actor == ME, timeout=5000)


def test_gui_actor_cancelled_sign_in_opens_nothing(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """`gui --actor bob`: the sign-in dialog comes first; Cancel is refused in one line."""
    from governance_desktop.ui.launch import sign_in_first

    def cancel() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, SwitchUserDialog))
        assert dialog.findChild(QLineEdit, "switchUserName").text() == "bob"
        dialog.reject()

    QTimer.singleShot(0, cancel)
    with pytest.raises(AuthenticationError, match=r"acting as 'bob' needs their password"):
        sign_in_first(ui_ctx.app, "bob")


def test_gui_actor_signs_in_with_the_password(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """`gui --actor bob` with bob's password goes on to the window."""
    from governance_desktop.ui.launch import sign_in_first

    password_for(ui_ctx.app, "bob")

    def fill() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, SwitchUserDialog))
        dialog.findChild(QLineEdit, "switchPassword").setText(PASSWORD)
        dialog.findChild(QPushButton, "switchUserButton").click()

    QTimer.singleShot(0, fill)
    sign_in_first(ui_ctx.app, "bob")


def test_gui_actor_cancelled_exits_1_with_one_line(qtbot, demo_dir, capsys) -> None:  # type: ignore[no-untyped-def]
    """`governance-desktop --actor bob gui`, sign-in cancelled: exit 1, one line, no window."""
    from governance_desktop.cli.entry import main
    from governance_desktop.ui.main_window import MainWindow

    def cancel() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, SwitchUserDialog):
                widget.reject()

    QTimer.singleShot(0, cancel)
    assert main(["--data-dir", str(demo_dir), "--actor", "bob", "gui"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "error: acting as 'bob' needs their password: sign-in cancelled, nothing opened "
        "(rule: identity)\n"
    )
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
