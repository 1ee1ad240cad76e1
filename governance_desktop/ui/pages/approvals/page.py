"""The approvals inbox: what waits for the current user, with the context to decide on it.

An admin answering a request addressed to someone else gives a reason (docs/authority.md,
"Admin on behalf"); a request from a workflow that allows self-approval is marked in red.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.domain.identity import Meaning
from governance_desktop.services.changes import Changes
from governance_desktop.services.dto import ApprovalInfo
from governance_desktop.services.inbox import ApprovalItem
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.page import Page
from governance_desktop.ui.pages.approvals.pinned import PinnedText
from governance_desktop.ui.pages.policies.details import fit_columns, record_table
from governance_desktop.ui.pages.policies.models import Column, Index, RecordTableModel, show
from governance_desktop.ui.pages.workflows.models import SELF_APPROVAL_COLOUR
from governance_desktop.ui.signing.session import Signed, SigningAct
from governance_desktop.ui.widgets import named

SHOWN = Changes.APPROVALS | Changes.POLICIES
Loaded = tuple[bool, list[ApprovalItem], list[ApprovalItem]]
#: Shown, in red, with a request whose workflow version lets people approve their own change.
SELF_APPROVAL = "self-approval allowed by this workflow"


def _note(a: ApprovalItem) -> str:
    """The SLA note, and the self-approval warning where it applies."""
    warning = SELF_APPROVAL if a.self_approval_allowed else ""
    return " · ".join(part for part in (a.note, warning) if part)


def _version(a: ApprovalItem) -> str:
    if a.policy_version is None:
        return ""
    if a.policy_version != a.current_version:
        return f"v{a.policy_version} (now v{a.current_version})"
    return f"v{a.policy_version}"


PENDING_COLUMNS: list[Column] = [
    ("Policy", lambda a: f"{a.policy} — {a.policy_title}"),
    ("What changed", lambda a: f"{a.change}, {_version(a)}"),
    ("Asked by", lambda a: a.asked_by),
    ("Approver", lambda a: a.approver),
    ("Workflow", lambda a: a.workflow),
    ("Step", lambda a: f"{a.step_title} ({a.step_index + 1} of {a.step_count})"),
    ("Requested", lambda a: a.requested_at),
    ("Due", lambda a: a.due_at),
    ("Note", _note),  # delegated, overdue, escalated (services/inbox.sla_note), self-approval
]


def signature_text(a: ApprovalItem) -> str:
    """The answer's manifestation (21 CFR 11.50): "Approved by Bob Chen on 2026-12-03
    18:23:58 UTC"; an answer given before signatures existed says so."""
    if a.signature is not None:
        return a.signature.manifestation
    return "not signed (answered before signatures)" if a.responded_by else ""


ANSWERED_COLUMNS: list[Column] = [
    ("Policy", lambda a: f"{a.policy} — {a.policy_title}"),
    ("Answer", lambda a: a.status),
    ("Signature", signature_text),
    ("Comment", lambda a: a.comment),
    ("Answered by", lambda a: a.responded_by),
    ("When", lambda a: a.responded_at),
    ("Approver", lambda a: a.approver),
    ("Workflow", lambda a: f"{a.workflow}: {a.step_title}"),
    ("Version", _version),
    ("Note", _note),
]


class ApprovalsModel(RecordTableModel[ApprovalItem]):
    """Approval rows; those from a workflow that allows self-approval are drawn in red."""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        red = (
            role == Qt.ItemDataRole.ForegroundRole
            and index.isValid()
            and 0 <= index.row() < self.rowCount()
            and self.row(index.row()).self_approval_allowed
        )
        return SELF_APPROVAL_COLOUR if red else super().data(index, role)


class ApprovalsPage(Page):
    """Approve or reject the selected request; a rejection needs a comment."""

    count_changed = Signal(int)  # pending approvals shown; for the navigation label
    loaded = Signal()

    def __init__(self, ui: UiContext) -> None:
        # job events: a workflow step may have asked for approvals
        super().__init__(ui, refresh_on=SHOWN, job_events=True)
        self.inbox = ui.app.inbox
        self.is_admin = False
        self._count = -1
        self._busy = False

        self.scope = named(QLabel("Approvals waiting for you"), "approvalsScope")
        font = self.scope.font()
        font.setBold(True)
        self.scope.setFont(font)
        self.message = named(QLabel(), "approvalsMessage")
        self.message.setWordWrap(True)

        self.pending = ApprovalsModel(
            PENDING_COLUMNS, lambda a: a.id, self, bold=lambda a: a.approver == ui.actor
        )
        self.table = record_table(self.pending, "approvalsTable")
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.context = named(QLabel(), "approvalDetails")
        self.context.setWordWrap(True)
        self.context.setTextFormat(Qt.TextFormat.RichText)
        self.context.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.context.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.self_approval = named(QLabel(f"⚠ {SELF_APPROVAL}"), "selfApprovalNote")
        self.self_approval.setStyleSheet(f"color: {SELF_APPROVAL_COLOUR.name()}; font-weight: bold")
        self.self_approval.setToolTip(
            "The workflow that asked sets allow_self_approval: the requester and the text's "
            "authors may answer it (segregation of duties is off)."
        )

        self.comment = named(QPlainTextEdit(), "approvalComment")
        self.comment.setPlaceholderText("Comment (required to reject)")
        self.comment.setTabChangesFocus(True)
        self.comment.setMaximumHeight(self.fontMetrics().height() * 4 + 12)
        self.comment.textChanged.connect(self.error_clear)
        # An admin answering someone else's request says why (ApprovalService: reason).
        self.reason_label = named(QLabel(), "approvalReasonLabel")
        self.reason = named(QLineEdit(), "approvalReason")
        self.reason.setPlaceholderText("Why you answer in the approver's place (recorded)")
        self.reason.textChanged.connect(self.error_clear)
        self.reason_label.setBuddy(self.reason)
        reason_row = QHBoxLayout()
        reason_row.addWidget(self.reason_label)
        reason_row.addWidget(self.reason, 1)
        self.error = named(QLabel(), "approvalError")
        self.error.setWordWrap(True)
        self.approve_button = named(QPushButton("Approve"), "approveButton")
        self.approve_button.setToolTip("Approve the selected request (Ctrl+Return)")
        self.approve_button.clicked.connect(self.approve)
        self.reject_button = named(QPushButton("Reject…"), "rejectButton")
        self.reject_button.setToolTip("Reject with the comment as the reason (Ctrl+Shift+Return)")
        self.reject_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.reject_button)
        buttons.addStretch(1)
        self.pinned = PinnedText(ui)
        decide = QVBoxLayout()
        decide.addWidget(self.context)
        decide.addWidget(self.self_approval)
        decide.addWidget(self.comment)
        decide.addLayout(reason_row)
        decide.addLayout(buttons)
        decide.addWidget(self.error)
        decide.addStretch(1)
        answer = QHBoxLayout()  # the text under approval right beside the buttons
        answer.addWidget(self.pinned, 3)
        answer.addLayout(decide, 2)
        answer_box = QWidget()
        answer_box.setLayout(answer)

        self.answered = ApprovalsModel(ANSWERED_COLUMNS, lambda a: a.id, self, status_column=1)
        self.answered_table = record_table(self.answered, "answeredApprovalsTable")
        self.answered_table.selectionModel().currentRowChanged.connect(self._show_answered)
        self.answered_details = named(QLabel(), "answeredDetails")
        self.answered_details.setWordWrap(True)
        self.answered_details.setTextFormat(Qt.TextFormat.RichText)
        self.answered_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        self.answered_label = named(QLabel("Answered"), "answeredApprovalsLabel")
        self.answered_label.setFont(font)
        lower_layout.addWidget(self.answered_label)
        lower_layout.addWidget(self.answered_table)
        lower_layout.addWidget(self.answered_details)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(answer_box)
        splitter.addWidget(lower)
        splitter.setSizes([200, 320, 160])
        layout = QVBoxLayout(self)
        layout.addWidget(self.scope)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)

        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence("Ctrl+Return"), self, self.approve, context=context)
        QShortcut(QKeySequence("Ctrl+Shift+Return"), self, self.reject, context=context)
        QShortcut(QKeySequence.StandardKey.Refresh, self, self.refresh, context=context)
        self._show_selected()
        self.refresh()

    # --- loading --------------------------------------------------------------------------

    def pending_count(self) -> int:
        """Pending approvals on this page (0 until the first load)."""
        return self.pending.rowCount()

    def refresh(self) -> None:
        if not self.begin_read():
            return
        inbox, actor = self.inbox, self.ui.actor

        def load() -> Loaded:
            admin = inbox.is_admin(actor)
            who = None if admin else actor
            return (
                admin,
                inbox.approvals(who, pending=True),
                inbox.approvals(who, pending=False, limit=200),
            )

        self.calls.read(load, self._loaded, self._load_failed)

    def _loaded(self, result: Loaded) -> None:
        self.is_admin, pending, answered = result
        selected = self.selected()
        self.scope.setText(
            "Everyone's pending approvals — you are an admin and may answer any of them"
            if self.is_admin
            else "Approvals waiting for you"
        )
        if self.pending.set_rows(pending):
            fit_columns(self.table, 240)
            if selected is not None:
                self.select(selected.id)
        if self.answered.set_rows(answered):
            fit_columns(self.answered_table, 360)  # a manifestation fits whole
        self.answered_label.setText(f"Answered ({len(answered)})")
        self._show_answered(self.answered_table.selectionModel().currentIndex(), QModelIndex())
        if not pending:
            self.context.setText("Nothing is waiting for an answer.")
        self._show_selected()
        if len(pending) != self._count:
            self._count = len(pending)
            self.count_changed.emit(self._count)
        self.end_read()
        self.loaded.emit()

    def _load_failed(self, error: str) -> None:
        self.end_read()
        self.message.setText(f"Could not load the approvals: {error}")

    # --- selection ------------------------------------------------------------------------

    def selected(self) -> ApprovalItem | None:
        index = self.table.selectionModel().currentIndex()
        return self.pending.row(index.row()) if index.isValid() else None

    def select(self, approval_id: int) -> bool:
        row = self.pending.find(approval_id)
        if row < 0:
            return False
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.selectionModel().setCurrentIndex(self.pending.index(row, 0), flags)
        return True

    def _current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self.error_clear()
        self._show_selected()

    def _show_answered(self, current: QModelIndex, _previous: QModelIndex) -> None:
        """The selected answer with its signature's manifestation, printed name, date and
        time with zone, and meaning (21 CFR 11.50)."""
        if not current.isValid() or current.row() >= self.answered.rowCount():
            self.answered_details.clear()
            return
        a = self.answered.row(current.row())
        signature = a.signature
        signed = (
            f"<b>{escape(signature.manifestation)}</b> (signed as {escape(signature.signer)})"
            if signature is not None
            else escape(signature_text(a))
        )
        comment = f"<br>Comment: {escape(a.comment)}" if a.comment else ""
        self.answered_details.setText(
            f"{escape(a.policy)} v{a.policy_version or '—'} · {escape(a.step_title)} "
            f"(addressed to {escape(a.approver)})<br>Signature: {signed}{comment}"
        )

    def answering_for(self) -> str | None:
        """The approver the selected request is addressed to, when an admin answers it in
        their place (a reason is then needed); else None."""
        item = self.selected()
        if item is None or not self.is_admin or item.approver == self.ui.actor:
            return None
        return item.approver

    def _show_selected(self) -> None:
        item = self.selected()
        enabled = item is not None and not self._busy
        self.approve_button.setEnabled(enabled)
        self.reject_button.setEnabled(enabled)
        self.comment.setEnabled(item is not None)
        self.self_approval.setVisible(item is not None and item.self_approval_allowed)
        other = self.answering_for()
        self.reason_label.setVisible(other is not None)
        self.reason.setVisible(other is not None)
        if other is not None:
            self.reason_label.setText(f"Reason (you answer for {other})")
            self.reason.setPlaceholderText(f"Why you answer in {other}'s place")
        self.pinned.show_approval(item.id if item is not None else None)
        if item is None:
            if self.pending.rowCount():
                self.context.setText("Select a request to see what it is about.")
            return
        due = show(item.due_at) or "no due date"
        stale = (
            f"<br><b>Note:</b> the policy changed since this was asked (now version "
            f"{item.current_version}); it can no longer be approved as is."
            if item.policy_version is not None and item.policy_version != item.current_version
            else ""
        )
        self.context.setText(
            f"<b>{escape(item.policy)} — {escape(item.policy_title)}</b> "
            f"(now {escape(item.policy_status.replace('_', ' '))})<br>"
            f"What changed: {escape(item.change)}, version {item.policy_version or '—'}<br>"
            f"Asked by <b>{escape(item.asked_by)}</b> on {show(item.requested_at)}; due {due}<br>"
            f"Workflow <i>{escape(item.workflow)}</i>, step {item.step_index + 1} of "
            f"{item.step_count}: {escape(item.step_title)} ({escape(item.rule)} needed); "
            f"addressed to {escape(item.approver)}{stale}"
        )

    # --- answering ------------------------------------------------------------------------

    def error_clear(self) -> None:
        self.error.clear()

    def approve(self) -> None:
        self._answer(approve=True)

    def reject(self) -> None:
        self._answer(approve=False)

    def _answer(self, *, approve: bool) -> None:
        """Approve or reject the selected request, signed in the sign dialog (its reason is
        the comment); Cancel answers nothing."""
        item = self.selected()
        if item is None or self._busy:
            return
        comment = self.comment.toPlainText().strip() or None
        if not approve and comment is None:  # the comment stays required here, as before
            self.error.setText("Not rejected: comment: a rejection needs a reason")
            return
        # Only when answering for someone else: the service refuses that without a reason.
        reason = (self.reason.text().strip() or None) if self.answering_for() else None
        meaning = Meaning.APPROVED if approve else Meaning.REJECTED
        verb = "Approve" if approve else "Reject"
        version = f" v{item.policy_version}" if item.policy_version is not None else ""
        act = SigningAct(
            f"{verb} {item.policy}{version} (approval {item.id}): {item.step_title}",
            meaning,
            reason=comment,
            reason_required=not approve,
        )
        self._set_busy(True)

        def cancelled() -> None:
            self._set_busy(False)
            self.error.setText(f"Not {'approved' if approve else 'rejected'}: not signed.")

        self.ui.sign(self, act, lambda signed: self._send(item, approve, signed, reason), cancelled)

    def _send(self, item: ApprovalItem, approve: bool, signed: Signed, reason: str | None) -> None:
        ui, approvals = self.ui, self.ui.app.approvals
        comment, signer = signed.reason, signed.signer

        def run() -> ApprovalInfo:
            if approve:
                return approvals.approve(item.id, ui.actor, comment, reason, signer=signer)
            return approvals.reject(item.id, ui.actor, comment, reason, signer=signer)

        def done(info: ApprovalInfo) -> None:
            self._set_busy(False)
            self.comment.clear()
            self.reason.clear()
            signature = info.signature.manifestation if info.signature else info.status
            self.message.setText(f"{signature}: {item.policy} ({item.step_title}).")
            self.refresh()

        def failed(error: str) -> None:
            self._set_busy(False)
            self.error.setText(f"Not {'approved' if approve else 'rejected'}: {error}")

        self.calls.write(run, done, failed, Changes.APPROVALS)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._show_selected()
