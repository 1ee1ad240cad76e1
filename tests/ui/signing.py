"""Signing in window tests: passwords for the demo users, a prepared signature for tests
about something else, and the real sign dialog found and filled with qtbot.

The demo gives its users random initial passwords; `password_for` has an admin reset one to
INITIAL and the user change it to PASSWORD, the way a person would."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from governance_desktop.app import AppContext
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.signing.dialog import SignDialog
from governance_desktop.ui.signing.session import Signed, SigningAct
from tests.helpers.actors import ME
from tests.helpers.identity import INITIAL, PASSWORD, credential, signer


def password_for(app: AppContext, username: str) -> None:
    """``username`` signs with PASSWORD from now on."""
    identity = app.identity
    if username != ME and identity.has_password(username) and identity.must_change(username):
        # the demo's random initial password is not known here: an admin resets it
        identity.reset(ME, username, INITIAL, admin=signer(app, ME))
    credential(app, username)


def sign_with_password(ui: UiContext) -> list[SigningAct]:
    """Every signature the window asks for is given at once by the acting user with
    PASSWORD (for tests about something else); returns the acts asked, in order."""
    asked: list[SigningAct] = []

    def ask(
        _parent: QWidget,
        act: SigningAct,
        done: Callable[[Signed], None],
        _cancelled: Callable[[], None],
    ) -> None:
        asked.append(act)
        password_for(ui.app, ui.actor)
        done(Signed(signer(ui.app, ui.actor), act.reason))

    ui.signing.ask = ask
    return asked


def sign_dialog(qtbot: QtBot) -> SignDialog:
    """The sign dialog the window opened."""
    found: list[SignDialog] = []

    def shown() -> bool:
        found[:] = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, SignDialog) and w.isVisible()
        ]
        return bool(found)

    qtbot.waitUntil(shown, timeout=5000)
    return found[0]


def field(dialog: QWidget, name: str) -> QLineEdit:
    widget = dialog.findChild(QLineEdit, name)
    assert widget is not None, name
    return widget


def sign_in_dialog(
    qtbot: QtBot, dialog: SignDialog, password: str = PASSWORD, user: str | None = None
) -> None:
    """Type the user name (when asked) and the password, and press Sign."""
    if dialog.asks_user_name:
        qtbot.keyClicks(field(dialog, "signUserName"), user or dialog.username)
    qtbot.keyClicks(field(dialog, "signPassword"), password)
    button = dialog.findChild(QPushButton, "signButton")
    assert button is not None
    button.click()
