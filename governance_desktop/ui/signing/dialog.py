"""The sign dialog: shown for every signing act (approve, reject, publish, retire, publish a
workflow version, deactivate a user, load the demo).

It shows what is signed and its meaning, "Signing as <printed name> (<user>)", the user name
field on the first signature of a signing session (21 CFR 11.200(a)(1)(i)), the password,
and the reason. Signing re-authenticates through `identity.signer` (a wrong password counts
toward the lockout and is shown here in one line). The OS user with no password yet chooses
one here; a user with an initial password replaces it here first.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

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
from governance_desktop.domain.errors import GovernanceError, ValidationError
from governance_desktop.services.identity import Signer
from governance_desktop.ui.signing.fields import Mode, PasswordFields
from governance_desktop.ui.signing.session import Signed, SigningAct, SigningSession
from governance_desktop.ui.widgets import named


class SignDialog(QDialog):
    """Returns a `Signed` in ``signed`` when accepted; Cancel signs nothing."""

    def __init__(
        self,
        app: AppContext,
        actor: str,
        session: SigningSession,
        act: SigningAct,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("signDialog")
        self.setAccessibleName("signDialog")
        self.setWindowTitle(f"Sign: {act.meaning}")
        self.setMinimumWidth(460)
        self.app, self.session, self.act = app, session, act
        self.username = actor
        self.signed: Signed | None = None
        identity = app.identity
        printed = app.users.get(actor).display_name or actor
        self.asks_user_name = not session.continues_for(actor)

        what = named(QLabel(f"<b>{escape(act.what)}</b>"), "signWhat")
        what.setTextFormat(Qt.TextFormat.RichText)
        what.setWordWrap(True)
        meaning = named(
            QLabel(f"Meaning of this signature: <b>{escape(act.meaning)}</b>"), "signMeaning"
        )
        signer = named(QLabel(f"Signing as {printed} ({self.username})"), "signAs")
        signer.setTextFormat(Qt.TextFormat.PlainText)
        self.note = named(QLabel(), "signNote")
        self.note.setWordWrap(True)
        form = QFormLayout()
        self.user_field = named(QLineEdit(), "signUserName")
        self.user_label = QLabel("User name")
        form.addRow(self.user_label, self.user_field)
        self.user_label.setVisible(self.asks_user_name)
        self.user_field.setVisible(self.asks_user_name)
        self.passwords = PasswordFields(form, "sign")
        if not identity.has_password(self.username):
            self.passwords.set_mode(Mode.CHOOSE)
            self.note.setText(
                "This is your first signature: choose your password. It signs your acts from "
                "now on and is asked for at every signature."
            )
        elif identity.must_change(self.username):
            self.passwords.set_mode(Mode.CHANGE)
            self.note.setText(
                "Your password is the initial one an admin gave you: replace it to sign."
            )
        self.note.setVisible(bool(self.note.text()))
        self.reason = named(QLineEdit(act.reason or ""), "signReason")
        self.reason.setPlaceholderText(
            "Reason (required)" if act.reason_required else "Reason (optional)"
        )
        self.reason.setMaxLength(2000)
        reason_label = QLabel("Reason")
        form.addRow(reason_label, self.reason)
        reason_label.setVisible(act.asks_reason)
        self.reason.setVisible(act.asks_reason)
        self.error = named(QLabel(), "signError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sign_button = named(
            buttons.addButton("Sign", QDialogButtonBox.ButtonRole.AcceptRole), "signButton"
        )
        self.sign_button.setDefault(True)
        buttons.accepted.connect(self.try_sign)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        for widget in (what, meaning, signer, self.note):
            layout.addWidget(widget)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        (self.user_field if self.asks_user_name else self.passwords.first()).setFocus()

    def try_sign(self) -> None:
        """Re-authenticate and unlock the key; a refusal stays in the dialog as one line."""
        self.error.clear()
        try:
            self.signed = Signed(self._signer(), self._reason())
        except GovernanceError as error:
            self.passwords.clear()
            self.error.setText(str(error))
            return
        self.session.signed(self.username)
        self.accept()

    def _reason(self) -> str | None:
        reason = self.reason.text().strip() or None
        if reason is None and self.act.reason_required:
            raise ValidationError(f"{self.act.meaning}: a reason is required", "reason")
        return reason

    def _signer(self) -> Signer:
        if self.asks_user_name:
            typed = self.user_field.text().strip()
            if typed != self.username:
                raise ValidationError(
                    f"user name '{typed}' is not the acting user '{self.username}': sign as "
                    "yourself, or use Switch user… first (rule: signature)",
                    "user",
                )
        identity, fields = self.app.identity, self.passwords
        if self.act.reason_required:
            self._reason()  # before a password change, not after it
        if fields.mode is not Mode.PASSWORD:
            new = fields.chosen()
            current = fields.current.text() if fields.mode is Mode.CHANGE else None
            identity.change_own(self.username, current, new)
            fields.set_mode(Mode.PASSWORD)  # the new password is now the one that signs
            fields.current.setText(new)
            self.note.hide()
        return identity.signer(self.username, fields.password())


def ask_in_dialog(
    app: AppContext,
    actor: str,
    session: SigningSession,
    parent: QWidget,
    act: SigningAct,
    done: Callable[[Signed], None],
    cancelled: Callable[[], None],
) -> None:
    """Open the sign dialog over ``parent`` (window-modal, without a nested event loop)."""
    dialog = SignDialog(app, actor, session, act, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def finished(result: int) -> None:
        if result == QDialog.DialogCode.Accepted and dialog.signed is not None:
            done(dialog.signed)
        else:
            cancelled()

    dialog.finished.connect(finished)
    dialog.open()
