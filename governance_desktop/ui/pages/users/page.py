"""Users page: the directory, and for admins adding users, changing roles and deactivating
users (their work moves to a user they name). Refusals are shown beside the buttons."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from governance_desktop.domain.authority import Permission, allows
from governance_desktop.domain.enums import Role
from governance_desktop.domain.identity import Meaning
from governance_desktop.services.changes import Changes
from governance_desktop.services.dto import DeactivationReport, UserInfo
from governance_desktop.services.identity import Signer, initial_password
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.page import Page
from governance_desktop.ui.pages.users.dialogs import AddUserDialog, DeactivateDialog, RoleDialog
from governance_desktop.ui.pages.users.model import UsersModel
from governance_desktop.ui.signing.session import SigningAct
from governance_desktop.ui.widgets import named

#: A deactivation moves approvals, tasks and policies as well.
DEACTIVATION_CHANGES = (
    Changes.USERS | Changes.APPROVALS | Changes.TASKS | Changes.POLICIES | Changes.AUDIT
)
ERROR_STYLE = "color: #c0392b;"


class UsersPage(Page):
    """The user table and the admin's three acts; the service refuses anyone else anyway."""

    def __init__(self, ui: UiContext) -> None:
        super().__init__(ui, refresh_on=Changes.USERS)
        self.users = ui.app.users
        self.model = UsersModel(self)
        self.admin = False  # until the actor's role is read
        self.table = named(QTableView(), "usersTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)

        self.add_button = named(QPushButton("Add user…"), "addUserButton")
        self.role_button = named(QPushButton("Change role…"), "changeRoleButton")
        self.deactivate_button = named(QPushButton("Deactivate…"), "deactivateUserButton")
        self.add_button.clicked.connect(self.choose_add)
        self.role_button.clicked.connect(self.choose_role)
        self.deactivate_button.clicked.connect(self.choose_deactivate)
        self.message = named(QLabel(), "usersMessage")
        self.message.setWordWrap(True)
        tools = QHBoxLayout()
        for button in (self.add_button, self.role_button, self.deactivate_button):
            tools.addWidget(button)
        tools.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(tools)
        layout.addWidget(self.table, 1)
        self._update_buttons()
        self.refresh()

    # --- loading --------------------------------------------------------------------------

    def refresh(self) -> None:
        if not self.begin_read():
            return
        self.calls.read(self.users.list, self._loaded, self._load_failed)

    def _loaded(self, rows: list[UserInfo]) -> None:
        selected = self.selected()
        self.model.set_rows(rows)
        me = next((u for u in rows if u.username == self.ui.actor), None)
        self.admin = me is not None and me.active and allows(me.role, Permission.MANAGE_USERS)
        if not self.admin and not self.message.text():
            role = me.role if me is not None and me.active else "not an active user"
            self.show_message(f"Read-only: you are {role}; only an admin may manage users.")
        if selected is not None and (row := self.model.row_of(selected.username)) >= 0:
            self.table.selectRow(row)
        self._update_buttons()
        self.end_read()

    def _load_failed(self, error: str) -> None:
        self.end_read()
        self.show_error(f"Could not load: {error}")

    def selected(self) -> UserInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _update_buttons(self, *_args: object) -> None:
        user = self.selected()
        self.add_button.setEnabled(self.admin)
        self.role_button.setEnabled(self.admin and user is not None and user.active)
        self.deactivate_button.setEnabled(self.admin and user is not None and user.active)

    # --- messages -------------------------------------------------------------------------

    def show_error(self, message: str) -> None:
        self.message.setText(message)
        self.message.setStyleSheet(ERROR_STYLE)

    def show_message(self, message: str) -> None:
        self.message.setText(message)
        self.message.setStyleSheet("")

    # --- the dialogs (tests call the acts below directly) ---------------------------------

    def choose_add(self) -> None:
        dialog = AddUserDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            role = str(dialog.role.currentData())
            self.add_user(dialog.username.text().strip(), dialog.display_name.text(), role)

    def choose_role(self) -> None:
        user = self.selected()
        if user is None:
            return
        dialog = RoleDialog(user, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.change_role(user.username, str(dialog.role.currentData()))

    def choose_deactivate(self) -> None:
        user = self.selected()
        if user is None:
            return
        dialog = DeactivateDialog(user, self.model.rows(), self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.reassign_to.count():
            self.deactivate(user.username, str(dialog.reassign_to.currentData()))

    # --- the acts -------------------------------------------------------------------------

    def add_user(self, username: str, display_name: str, role: str) -> None:
        """Add a user with a generated initial password, shown here once (they change it
        at first use)."""
        actor, users = self.ui.actor, self.users
        password = initial_password()

        def done(info: UserInfo) -> None:
            self.show_message(
                f"Added {info.username} ({info.role}). Initial password: {password} "
                "(shown only now; they choose their own at first use)."
            )

        self.calls.write(
            lambda: users.add(actor, username, display_name, Role(role), initial_password=password),
            done,
            self.show_error,
            Changes.USERS | Changes.AUDIT,
        )

    def change_role(self, username: str, role: str) -> None:
        actor, users = self.ui.actor, self.users
        self.calls.write(
            lambda: users.set_role(actor, username, role),
            lambda info: self.show_message(f"{info.username} is now {info.role}."),
            self.show_error,
            Changes.USERS | Changes.AUDIT,
        )

    def deactivate(self, username: str, reassign_to: str) -> None:
        """Deactivating a user is a signing act: the sign dialog first (Cancel: nothing)."""
        act = SigningAct(
            f"Deactivate user {username}; their open work moves to {reassign_to}",
            Meaning.DEACTIVATED,
        )
        self.ui.sign(
            self,
            act,
            lambda signed: self._deactivate_signed(username, reassign_to, signed.signer),
            lambda: self.show_error(f"Not deactivated: {username} was not signed for."),
        )

    def _deactivate_signed(self, username: str, reassign_to: str, signer: Signer) -> None:
        actor, users = self.ui.actor, self.users

        def done(r: DeactivationReport) -> None:
            self.show_message(
                f"Deactivated {r.username}; moved to {r.reassigned_to}: "
                f"{r.approvals_moved} approval(s), {r.tasks_moved} task(s), "
                f"{r.policies_moved} policy(ies)."
            )

        self.calls.write(
            lambda: users.deactivate(actor, username, reassign_to, signer=signer),
            done,
            self.show_error,
            DEACTIVATION_CHANGES,
        )
