"""The password fields the sign and sign-in dialogs share: one password, or a new one
chosen (first password: new + repeat; an initial one replaced: current + new + repeat)."""

from __future__ import annotations

from enum import Enum

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit

from governance_desktop.domain.errors import ValidationError
from governance_desktop.ui.widgets import named


class Mode(Enum):
    """What the person types: their password, a first one, or a replacement for an initial
    password an admin gave them (to be changed at first use)."""

    PASSWORD = "password"
    CHOOSE = "choose"
    CHANGE = "change"


def password_field(name: str) -> QLineEdit:
    field = named(QLineEdit(), name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class PasswordFields:
    """Adds the fields of `mode` to a form; `password()` is the one that signs or signs in
    afterwards (the new one when a password is chosen or changed)."""

    def __init__(self, form: QFormLayout, prefix: str) -> None:
        self.form = form
        self.current = password_field(f"{prefix}Password")
        self.new = password_field(f"{prefix}NewPassword")
        self.repeat = password_field(f"{prefix}RepeatPassword")
        self.current_label = QLabel("Password")
        self.new_label = QLabel("New password")
        self.repeat_label = QLabel("Repeat new password")
        form.addRow(self.current_label, self.current)
        form.addRow(self.new_label, self.new)
        form.addRow(self.repeat_label, self.repeat)
        self.mode = Mode.PASSWORD
        self.set_mode(Mode.PASSWORD)

    def set_mode(self, mode: Mode) -> None:
        self.mode = mode
        self.current_label.setText("Initial password" if mode is Mode.CHANGE else "Password")
        for widget in (self.current_label, self.current):
            widget.setVisible(mode is not Mode.CHOOSE)
        for widget in (self.new_label, self.new, self.repeat_label, self.repeat):
            widget.setVisible(mode is not Mode.PASSWORD)

    def first(self) -> QLineEdit:
        return self.new if self.mode is Mode.CHOOSE else self.current

    def chosen(self) -> str:
        """The new password (CHOOSE, CHANGE), checked to be typed the same twice."""
        if self.new.text() != self.repeat.text():
            raise ValidationError("the new password and its repetition differ", "password")
        return self.new.text()

    def password(self) -> str:
        """The password that signs once this dialog has set it."""
        return self.current.text() if self.mode is Mode.PASSWORD else self.new.text()

    def clear(self) -> None:
        for field in (self.current, self.new, self.repeat):
            field.clear()
