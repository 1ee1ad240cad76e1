"""The editor beside the policies table: fields, Save, and the lifecycle moves allowed now."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.domain.authority import Permission, allows, refusal
from governance_desktop.domain.enums import PolicyStatus
from governance_desktop.domain.identity import Meaning
from governance_desktop.domain.lifecycle import person_moves
from governance_desktop.services.changes import Changes
from governance_desktop.services.dto import PolicyInfo
from governance_desktop.services.identity import Signer
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.policies.models import show, status_label
from governance_desktop.ui.pages.policies.versions import document_status
from governance_desktop.ui.signing.session import Signed, SigningAct
from governance_desktop.ui.widgets import named

NO_ASSIGNEE = "(nobody)"
#: The moves that are signing acts (PolicyService.change_status signs them), with their meaning.
SIGNED_MOVES = {
    PolicyStatus.PUBLISHED.value: Meaning.PUBLISHED,
    PolicyStatus.RETIRED.value: Meaning.RETIRED,
}
#: Moves that cannot be undone, and what the confirmation says they do (services/ending.py).
ENDS_WORK = "Its open runs are cancelled, pending approvals expire and open tasks are cancelled."
IRREVERSIBLE = {
    PolicyStatus.RETIRED.value: ("Retire {code}?", f"{ENDS_WORK} This cannot be undone."),
    PolicyStatus.DRAFT.value: (
        "Return {code} to draft?",
        f"{ENDS_WORK} The cancelled runs cannot be resumed.",
    ),
}


def user_picker(name: str) -> QComboBox:
    """A user combo that completes as you type (any part of the name, any case)."""
    combo = named(QComboBox(), name)
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    completer = QCompleter(combo.model(), combo)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    combo.setCompleter(completer)
    return combo


def move_button_name(status: str) -> str:
    """objectName of the button that moves the selected policy to `status`."""
    return f"statusMove_{status}"


class PolicyEditor(QWidget):
    """Edits one policy through PolicyService; refusals are shown under the button."""

    changed = Signal(object)  # PolicyInfo after a save or a move

    def __init__(self, ui: UiContext) -> None:
        super().__init__()
        self.ui = ui
        self.calls = ui.calls(self)
        self.policy: PolicyInfo | None = None
        # What the acting user's role allows (docs/authority.md); the services refuse anyway,
        # the window does not offer what would be refused.
        self.read_only_reason: str | None = None
        self.heading = named(QLabel("Select a policy"), "policyHeading")
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.heading.setFont(font)
        self.meta = named(QLabel(), "policyMeta")
        self.meta.setWordWrap(True)
        self.title = named(QLineEdit(), "policyTitle")
        self.body = named(QPlainTextEdit(), "policyBody")
        self.body.setTabChangesFocus(True)
        self.body.setMinimumHeight(60)
        self.owner = user_picker("policyOwner")
        self.assignee = user_picker("policyAssignee")
        self.interval = named(QSpinBox(), "policyReviewInterval")
        self.interval.setRange(1, 3650)
        self.interval.setSuffix(" days")
        self.save_button = named(QPushButton("Save"), "savePolicyButton")
        self.save_button.setToolTip("Save the changed fields (Ctrl+S)")
        self.save_button.clicked.connect(lambda _=False: self.save())
        QShortcut(
            QKeySequence.StandardKey.Save,
            self,
            self.save,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        self.message = named(QLabel(), "policyEditorMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow("Title", self.title)
        form.addRow("Text", self.body)
        form.addRow("Owner", self.owner)
        form.addRow("Assignee", self.assignee)
        form.addRow("Review every", self.interval)
        save_row = QHBoxLayout()
        save_row.addWidget(self.message, 1)
        save_row.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignTop)

        self.moves_box = named(QGroupBox("Move to"), "policyStatusBox")
        self.moves = named(QWidget(), "policyStatusMoves")
        self.moves_row = QGridLayout(self.moves)  # two buttons a row keeps the editor narrow
        self.moves_row.setContentsMargins(0, 0, 0, 0)
        self.comment = named(QLineEdit(), "statusComment")
        self.comment.setPlaceholderText("Comment (optional)")
        self.move_message = named(QLabel(), "policyStatusMessage")
        self.move_message.setWordWrap(True)
        self.move_message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box = QVBoxLayout(self.moves_box)
        box.addWidget(self.moves)
        box.addWidget(self.comment)
        box.addWidget(self.move_message)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.meta)
        layout.addLayout(form, 1)
        layout.addLayout(save_row)
        layout.addWidget(self.moves_box)
        self._set_enabled(False)

    # --- loading --------------------------------------------------------------------------

    def set_users(self, usernames: list[str]) -> None:
        for combo, extra in ((self.owner, []), (self.assignee, [NO_ASSIGNEE])):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([*extra, *usernames])
            combo.setCurrentText(current)
            combo.blockSignals(False)
        if self.policy is not None:
            for combo, value in (
                (self.owner, self.policy.owner or ""),
                (self.assignee, self.policy.assignee or NO_ASSIGNEE),
            ):
                if combo.findText(value) < 0 and combo.currentText() == value:
                    combo.addItem(value)  # a deactivated owner still reads as the owner

    def show_policy(self, policy: PolicyInfo | None) -> None:
        """Show `policy`; unsaved edits of the same policy are kept across refreshes."""
        same = policy is not None and self.policy is not None and policy.code == self.policy.code
        keep_edits = same and self.dirty()
        if not same:
            self.message.clear()
            self.move_message.clear()
            self.comment.clear()
        self.policy = policy
        self._set_enabled(policy is not None)
        if policy is None:
            self.heading.setText("Select a policy")
            self.meta.clear()
            self._set_moves(None)
            return
        self.heading.setText(f"{policy.code} — {policy.title}")
        self.meta.setText(
            f"{document_status(policy)} · "
            f"next review {show(policy.next_review_date) or '—'} · "
            f"updated {show(policy.updated_at)} by {policy.updated_by}"
        )
        if not keep_edits:
            self._fill_fields(policy)
        self._set_moves(PolicyStatus(policy.status))

    def _fill_fields(self, policy: PolicyInfo) -> None:
        self.title.setText(policy.title)
        if self.body.toPlainText() != (policy.body or ""):
            self.body.setPlainText(policy.body or "")
        self._select(self.owner, policy.owner or "")
        self._select(self.assignee, policy.assignee or NO_ASSIGNEE)
        self.interval.setValue(policy.review_interval_days)

    @staticmethod
    def _select(combo: QComboBox, value: str) -> None:
        if value and combo.findText(value) < 0:
            combo.addItem(value)
        combo.setCurrentText(value)

    def set_role(self, role: str | None, active: bool) -> None:
        """The acting user's role: without the right to author and move policies the editor
        is read-only and says why."""
        if role is None or not active:
            reason = f"Read-only: '{self.ui.actor}' is not an active user (rule: active users)."
        elif not allows(role, Permission.AUTHOR_POLICIES):
            reason = f"Read-only: {refusal(self.ui.actor, role, Permission.AUTHOR_POLICIES)}."
        else:
            reason = None
        self.read_only_reason = reason
        self._set_enabled(self.policy is not None)

    def _set_enabled(self, enabled: bool) -> None:
        writable = enabled and self.read_only_reason is None
        for widget in (self.title, self.body, self.owner, self.assignee, self.interval):
            widget.setEnabled(writable)
        self.save_button.setEnabled(writable)
        self.moves_box.setEnabled(writable)
        if enabled and self.read_only_reason is not None:
            self.message.setText(self.read_only_reason)

    def _set_moves(self, status: PolicyStatus | None) -> None:
        while (item := self.moves_row.takeAt(0)) is not None:
            if (widget := item.widget()) is not None:
                widget.setParent(None)  # findChild must miss it now
                widget.deleteLater()
        targets = person_moves(status) if status is not None else []
        self.move_buttons: dict[str, QPushButton] = {}
        for number, target in enumerate(targets):
            text = "Retire" if target is PolicyStatus.RETIRED else status_label(target)
            button = named(QPushButton(text), move_button_name(target))
            button.setToolTip(f"Move to {status_label(target)}")
            button.clicked.connect(lambda _=False, t=target: self.move_to(t))
            self.moves_row.addWidget(button, number // 2, number % 2)
            self.move_buttons[target.value] = button
        previous: QWidget = self.save_button
        for button in self.move_buttons.values():  # new buttons: Tab visits them in order
            QWidget.setTabOrder(previous, button)
            previous = button
        QWidget.setTabOrder(previous, self.comment)
        if status is not None and not targets:
            final = QLabel(f"No moves: {status_label(status)} is final.")
            self.moves_row.addWidget(final, 0, 0, 1, 2)

    def offered_moves(self) -> list[str]:
        """The statuses the move buttons offer now (for tests and accessibility checks)."""
        return list(self.move_buttons)

    # --- editing --------------------------------------------------------------------------

    def edits(self) -> dict[str, Any]:
        """The fields that differ from the loaded policy."""
        p = self.policy
        if p is None:
            return {}
        assignee = self.assignee.currentText()
        values: dict[str, Any] = {
            "title": self.title.text(),
            "body": self.body.toPlainText(),
            "owner": self.owner.currentText() or None,
            "assignee": None if assignee in ("", NO_ASSIGNEE) else assignee,
            "review_interval_days": self.interval.value(),
        }
        return {k: v for k, v in values.items() if getattr(p, k) != v}

    def dirty(self) -> bool:
        return bool(self.edits())

    def save(self, on_saved: Callable[[PolicyInfo], None] | None = None) -> None:
        """Save the changed fields; `on_saved` (instead of showing the saved policy again)
        runs after a successful save."""
        policy, changes = self.policy, self.edits()
        if policy is None:
            return
        if not changes:
            self.message.setText("Nothing to save.")
            return
        self.save_button.setEnabled(False)
        self.message.setText("Saving…")
        ui = self.ui

        def done(info: PolicyInfo) -> None:
            self.save_button.setEnabled(True)
            self.policy = None  # reload every field from what was stored
            self.show_policy(info)
            self.message.setText(f"Saved {info.code} (version {info.version}).")
            self.changed.emit(info)
            if on_saved is not None:
                on_saved(info)

        def failed(error: str) -> None:
            self.save_button.setEnabled(True)
            self.message.setText(f"Not saved: {error}")

        def run() -> PolicyInfo:
            return ui.app.policies.update(ui.actor, policy.code, **changes)

        self.calls.write(run, done, failed, Changes.POLICIES)

    def move_to(self, target: str) -> None:
        """Move the policy to ``target``; publishing and retiring are signed first (the sign
        dialog; Cancel moves nothing), the other moves are not."""
        policy = self.policy
        if policy is None:
            return
        comment = self.comment.text().strip() or None
        if str(target) in IRREVERSIBLE and not self.confirm_move(policy.code, str(target)):
            self.move_message.setText(
                f"Not moved: {policy.code} stays {status_label(policy.status)}."
            )
            return
        meaning = SIGNED_MOVES.get(str(target))
        if meaning is None:
            self._move(policy, target, comment, None)
            return
        verb = "Retire" if meaning is Meaning.RETIRED else "Publish"
        act = SigningAct(f"{verb} {policy.code} v{policy.version}", meaning, reason=comment)
        self.moves.setEnabled(False)

        def signed(result: Signed) -> None:
            self._move(policy, target, result.reason, result.signer)

        def cancelled() -> None:
            self.moves.setEnabled(True)
            self.move_message.setText(f"Not moved: {policy.code} was not signed.")

        self.ui.sign(self, act, signed, cancelled)

    def confirm_move(self, code: str, target: str) -> bool:
        """Ask before a move that cannot be undone, naming what it does."""
        question, consequence = IRREVERSIBLE[target]
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            question.format(code=code),
            f"{question.format(code=code)} {consequence}",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        named(box, "confirmMoveBox")
        verb = "Retire" if target == PolicyStatus.RETIRED.value else "Return to draft"
        go = named(box.addButton(verb, QMessageBox.ButtonRole.DestructiveRole), "confirmMoveButton")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is go

    def _move(
        self, policy: PolicyInfo, target: str, comment: str | None, signer: Signer | None
    ) -> None:
        self.moves.setEnabled(False)
        self.move_message.setText(f"Moving {policy.code} to {status_label(target)}…")
        ui = self.ui

        def done(info: PolicyInfo) -> None:
            self.moves.setEnabled(True)
            self.comment.clear()
            self.show_policy(info)
            self.move_message.setText(f"{info.code} is now {status_label(info.status)}.")
            self.changed.emit(info)

        def failed(error: str) -> None:
            self.moves.setEnabled(True)
            self.move_message.setText(f"Not moved: {error}")

        self.calls.write(
            lambda: ui.app.policies.change_status(
                ui.actor, policy.code, target, comment, signer=signer
            ),
            done,
            failed,
            Changes.POLICIES | Changes.AUDIT,
        )
