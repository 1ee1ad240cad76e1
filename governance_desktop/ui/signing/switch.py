"""Switch user: the sign-in dialog that lets the window act as another person (a second
person at a shared workstation, or `gui --actor NAME`). That person's password is needed;
switching back to the OS account's own user is not. A user with an initial password
replaces it here first. Wrong password or Cancel: the window acts as before.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.app import AppContext
from governance_desktop.domain.errors import GovernanceError
from governance_desktop.ui.signing.fields import Mode, PasswordFields
from governance_desktop.ui.widgets import named


class SwitchUserDialog(QDialog):
    """Accepted with ``username`` set once that user has proved who they are."""

    def __init__(
        self,
        app: AppContext,
        os_user: str,
        current: str,
        parent: QWidget | None = None,
        *,
        fixed: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("switchUserDialog")
        self.setAccessibleName("switchUserDialog")
        self.setWindowTitle("Sign in as another user")
        self.setMinimumWidth(420)
        self.app, self.os_user = app, os_user
        self.username: str | None = None
        intro = named(
            QLabel(
                f"Acting as {current} now. Sign in as another user with their password; "
                f"switching back to {os_user} (this computer's account) needs none."
            ),
            "switchUserIntro",
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        form = QFormLayout()
        self.user_field = named(QLineEdit(fixed or ""), "switchUserName")
        self.user_field.setReadOnly(fixed is not None)
        self.user_field.textChanged.connect(self._user_changed)
        form.addRow("User name", self.user_field)
        self.passwords = PasswordFields(form, "switch")
        self.note = named(QLabel(), "switchUserNote")
        self.note.setWordWrap(True)
        self.note.hide()
        self.error = named(QLabel(), "switchUserError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sign_in_button = named(
            buttons.addButton("Sign in", QDialogButtonBox.ButtonRole.AcceptRole),
            "switchUserButton",
        )
        self.sign_in_button.setDefault(True)
        buttons.accepted.connect(self.try_sign_in)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        (self.passwords.current if fixed else self.user_field).setFocus()

    def _user_changed(self) -> None:
        self.passwords.set_mode(Mode.PASSWORD)
        self.note.hide()
        self.error.clear()

    def try_sign_in(self) -> None:
        name = self.user_field.text().strip()
        self.error.clear()
        if not name:
            self.error.setText("type the user name to sign in as")
            return
        if name == self.os_user:  # this computer's account: no password (docs/security.md)
            self.username = name
            self.accept()
            return
        identity, fields = self.app.identity, self.passwords
        try:
            if fields.mode is Mode.CHANGE:
                identity.change_own(name, fields.current.text(), fields.chosen())
                identity.sign_in(name, fields.new.text())
            elif identity.has_password(name) and identity.must_change(name):
                # The password is checked first (and counts toward the lockout).
                identity.sign_in(name, fields.current.text(), purpose="change")
                fields.set_mode(Mode.CHANGE)
                self.note.setText(
                    f"'{name}' still has the initial password an admin gave: choose a new one."
                )
                self.note.show()
                fields.new.setFocus()
                return
            else:
                identity.sign_in(name, fields.current.text())
        except GovernanceError as error:
            if fields.mode is not Mode.CHANGE:
                fields.clear()
            self.error.setText(str(error))
            return
        self.username = name
        self.accept()
