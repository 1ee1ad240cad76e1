"""The small forms of the Users page: a new user, another role, and whom a deactivated
user's work moves to."""

from __future__ import annotations

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
from governance_desktop.ui.widgets import named


def _roles(current: str = Role.OFFICER) -> QComboBox:
    box = named(QComboBox(), "roleChoice")
    for role in Role:
        box.addItem(role.value, role.value)
    box.setCurrentIndex(max(0, box.findData(str(current))))
    return box


class _Form(QDialog):
    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def finish(self) -> None:
        self.form.addRow(self.buttons)


class AddUserDialog(_Form):
    """Username, display name and role of a new user."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Add user", parent)
        self.username = named(QLineEdit(), "newUsername")
        self.username.setPlaceholderText("letters, digits, . _ @ -")
        self.display_name = named(QLineEdit(), "newDisplayName")
        self.role = _roles()
        self.form.addRow("Username", self.username)
        self.form.addRow("Name", self.display_name)
        self.form.addRow("Role", self.role)
        self.finish()


class RoleDialog(_Form):
    """Another role for one user."""

    def __init__(self, user: UserInfo, parent: QWidget | None = None) -> None:
        super().__init__(f"Change the role of {user.username}", parent)
        self.role = _roles(user.role)
        self.form.addRow("Role", self.role)
        self.finish()


class DeactivateDialog(_Form):
    """Whom the user's pending approvals, open tasks and assigned policies move to."""

    def __init__(self, user: UserInfo, others: list[UserInfo], parent: QWidget | None = None):
        super().__init__(f"Deactivate {user.username}", parent)
        self.reassign_to = named(QComboBox(), "reassignToChoice")
        for other in others:
            if other.active and other.username != user.username:
                self.reassign_to.addItem(
                    f"{other.username} ({other.display_name}, {other.role})", other.username
                )
        note = QLabel(
            f"{user.username} will no longer be able to act. Their pending approvals, open "
            "tasks and assigned policies move to the user chosen here (approvals only to an "
            "approver or admin)."
        )
        note.setWordWrap(True)
        self.form.addRow(note)
        self.form.addRow("Reassign to", self.reassign_to)
        self.finish()
