"""Users page: the directory, and for admins adding users, changing roles and deactivating
users (their work moves to a user they name). A refusal is shown in the form that asked (or
beside the buttons), and clears at the next selection or edit (ui/messages.py)."""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
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
from governance_desktop.ui.messages import InlineMessage
from governance_desktop.ui.page import Page
from governance_desktop.ui.pages.users.dialogs import (
    AddUserDialog,
    DeactivateDialog,
    RoleDialog,
    UserForm,
)
from governance_desktop.ui.pages.users.model import UsersModel
from governance_desktop.ui.signing.session import SigningAct
from governance_desktop.ui.widgets import named

#: A deactivation moves approvals, tasks and policies as well.
DEACTIVATION_CHANGES = (
    Changes.USERS | Changes.APPROVALS | Changes.TASKS | Changes.POLICIES | Changes.AUDIT
)


class UsersPage(Page):
    """The user table and the admin's three acts; the service refuses anyone else anyway."""

    def __init__(self, ui: UiContext) -> None:
        super().__init__(ui, refresh_on=Changes.USERS)
        self.users = ui.app.users
        self.model = UsersModel(self)
        self.admin = False  # until the actor's role is read
        self.form: UserForm | None = None  # the open add / role / deactivate form
        self.table = named(QTableView(), "usersTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)

        self.add_button = named(QPushButton("Add user…"), "addUserButton")
        self.role_button = named(QPushButton("Change role…"), "changeRoleButton")
        self.deactivate_button = named(QPushButton("Deactivate…"), "deactivateUserButton")
        self.add_button.clicked.connect(self.choose_add)
        self.role_button.clicked.connect(self.choose_role)
        self.deactivate_button.clicked.connect(self.choose_deactivate)
        self.message = InlineMessage("usersMessage")
        self.message.clear_on(self.table.selectionModel().selectionChanged)
        self.read_only = named(QLabel(), "usersReadOnly")  # stays: it applies all along
        self.read_only.setWordWrap(True)
        self.read_only.hide()
        tools = QHBoxLayout()
        for button in (self.add_button, self.role_button, self.deactivate_button):
            tools.addWidget(button)
        tools.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(tools)
        layout.addWidget(self.read_only)
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
        with self.message.kept():  # restoring the selection is not a person's new choice
            self.model.set_rows(rows)
            if selected is not None and (row := self.model.row_of(selected.username)) >= 0:
                self.table.selectRow(row)
        me = next((u for u in rows if u.username == self.ui.actor), None)
        self.admin = me is not None and me.active and allows(me.role, Permission.MANAGE_USERS)
        role = me.role if me is not None and me.active else "not an active user"
        self.read_only.setText(f"Read-only: you are {role}; only an admin may manage users.")
        self.read_only.setVisible(not self.admin)
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
        self.message.error(message)

    def show_message(self, message: str) -> None:
        self.message.note(message)

    def _refused(self, form: UserForm | None) -> Callable[[str], None]:
        """Where a refusal goes: the form that asked (if still open), else beside the
        buttons."""

        def refuse(text: str) -> None:
            if form is not None and shiboken6.isValid(form) and form.isVisible():
                form.error.error(text)
            else:
                self.show_error(text)

        return refuse

    def _succeeded(self, form: UserForm | None, message: str) -> None:
        if form is not None and shiboken6.isValid(form):
            form.succeeded()
        self.show_message(message)

    # --- the forms (opened, not run: the window keeps working meanwhile) ------------------

    def _open(self, form: UserForm) -> UserForm:
        if self.form is not None:
            self.form.close()
        self.form = form
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form.destroyed.connect(self._form_closed)
        form.open()
        return form

    def _form_closed(self, *_args: object) -> None:
        self.form = None

    def choose_add(self) -> None:
        form = AddUserDialog(self)
        form.submitted.connect(
            lambda: self.add_user(
                form.username.text().strip(),
                form.display_name.text(),
                str(form.role.currentData()),
                form,
            )
        )
        self._open(form)

    def choose_role(self) -> None:
        user = self.selected()
        if user is None:
            return
        form = RoleDialog(user, self)
        form.submitted.connect(
            lambda: self.change_role(user.username, str(form.role.currentData()), form)
        )
        self._open(form)

    def choose_deactivate(self) -> None:
        user = self.selected()
        if user is None:
            return
        form = DeactivateDialog(user, self.model.rows(), self)

        def submitted() -> None:
            if form.reassign_to.count():
                self.deactivate(user.username, str(form.reassign_to.currentData()), form)
            else:
                form.error.error("No other active user to take the work (rule: reassignment).")

        form.submitted.connect(submitted)
        self._open(form)

    # --- the acts -------------------------------------------------------------------------

    def add_user(
        self, username: str, display_name: str, role: str, form: UserForm | None = None
    ) -> None:
        """Add a user with a generated initial password, shown once in a box that stays
        until closed (they change it at first use)."""
        actor, users = self.ui.actor, self.users
        password = initial_password(username)

        def done(info: UserInfo) -> None:
            self._succeeded(form, f"Added {info.username} ({info.role}).")
            self.show_password(info.username, password)

        self.calls.write(
            lambda: users.add(actor, username, display_name, Role(role), initial_password=password),
            done,
            self._refused(form),
            Changes.USERS | Changes.AUDIT,
        )

    def show_password(self, username: str, password: str) -> None:
        box = QMessageBox(self)
        box.setObjectName("initialPassword")
        box.setWindowTitle(f"Initial password of {username}")
        box.setIcon(QMessageBox.Icon.Information)
        box.setText(
            f"{username} signs in once with this initial password and then chooses their "
            "own. It is shown only now: note it."
        )
        box.setInformativeText(password)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def change_role(self, username: str, role: str, form: UserForm | None = None) -> None:
        actor, users = self.ui.actor, self.users
        self.calls.write(
            lambda: users.set_role(actor, username, role),
            lambda info: self._succeeded(form, f"{info.username} is now {info.role}."),
            self._refused(form),
            Changes.USERS | Changes.AUDIT,
        )

    def deactivate(self, username: str, reassign_to: str, form: UserForm | None = None) -> None:
        """Deactivating a user is a signing act: the sign dialog first (Cancel: nothing)."""
        act = SigningAct(
            f"Deactivate user {username}; their open work moves to {reassign_to}",
            Meaning.DEACTIVATED,
        )
        refuse = self._refused(form)
        self.ui.sign(
            self,
            act,
            lambda signed: self._deactivate_signed(username, reassign_to, signed.signer, form),
            lambda: refuse(f"Not deactivated: {username} was not signed for."),
        )

    def _deactivate_signed(
        self, username: str, reassign_to: str, signer: Signer, form: UserForm | None
    ) -> None:
        actor, users = self.ui.actor, self.users

        def done(r: DeactivationReport) -> None:
            self._succeeded(
                form,
                f"Deactivated {r.username}; moved to {r.reassigned_to}: "
                f"{r.approvals_moved} approval(s), {r.tasks_moved} task(s), "
                f"{r.policies_moved} policy(ies).",
            )

        self.calls.write(
            lambda: users.deactivate(actor, username, reassign_to, signer=signer),
            done,
            self._refused(form),
            DEACTIVATION_CHANGES,
        )
