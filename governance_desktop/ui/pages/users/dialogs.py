"""The small forms of the Users page: a new user, another role, and whom a deactivated
user's work moves to. OK hands the form to the page (`submitted`); the form closes only once
the act succeeded, and a refusal is shown in the form, under its fields (`error`), cleared by
the next edit."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from governance_desktop.domain.enums import Role
from governance_desktop.services.dto import UserInfo
from governance_desktop.ui.messages import InlineMessage
from governance_desktop.ui.widgets import named


def _roles(current: str = Role.OFFICER) -> QComboBox:
    box = named(QComboBox(), "roleChoice")
    for role in Role:
        box.addItem(role.value, role.value)
    box.setCurrentIndex(max(0, box.findData(str(current))))
    return box


class UserForm(QDialog):
    """OK emits `submitted` (the form stays open); `succeeded()` closes it."""

    submitted = Signal()

    def __init__(self, title: str, name: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(name)
        self.setWindowTitle(title)
        self.form = QFormLayout(self)
        self.error = InlineMessage(f"{name}Error")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def finish(self) -> None:
        self.form.addRow(self.error)
        self.form.addRow(self.buttons)

    def accept(self) -> None:
        self.error.clear()
        self.submitted.emit()

    def succeeded(self) -> None:
        super().accept()


class AddUserDialog(UserForm):
    """Username, display name and role of a new user."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Add user", "addUserForm", parent)
        self.username = named(QLineEdit(), "newUsername")
        self.username.setPlaceholderText("letters, digits, . _ @ -")
        self.display_name = named(QLineEdit(), "newDisplayName")
        self.role = _roles()
        self.form.addRow("Username", self.username)
        self.form.addRow("Name", self.display_name)
        self.form.addRow("Role", self.role)
        self.error.clear_on(
            self.username.textEdited, self.display_name.textEdited, self.role.activated
        )
        self.finish()


class RoleDialog(UserForm):
    """Another role for one user."""

    def __init__(self, user: UserInfo, parent: QWidget | None = None) -> None:
        super().__init__(f"Change the role of {user.username}", "roleForm", parent)
        self.role = _roles(user.role)
        self.form.addRow("Role", self.role)
        self.error.clear_on(self.role.activated)
        self.finish()


class DeactivateDialog(UserForm):
    """Whom the user's pending approvals, open tasks and assigned policies move to."""

    def __init__(self, user: UserInfo, others: list[UserInfo], parent: QWidget | None = None):
        super().__init__(f"Deactivate {user.username}", "deactivateForm", parent)
        self.reassign_to = named(QComboBox(), "reassignToChoice")
        for other in others:
            if other.active and other.username != user.username:
                self.reassign_to.addItem(
                    f"{other.display_name} ({other.username}, {other.role})", other.username
                )
        note = QLabel(
            f"{user.username} will no longer be able to act. Their pending approvals, open "
            "tasks and assigned policies move to the user chosen here (approvals only to an "
            "approver or admin)."
        )
        note.setWordWrap(True)
        self.form.addRow(note)
        self.form.addRow("Reassign to", self.reassign_to)
        self.error.clear_on(self.reassign_to.activated)
        self.finish()
