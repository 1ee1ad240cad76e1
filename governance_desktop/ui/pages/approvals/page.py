"""The approvals inbox: what waits for the current user, with the context to decide on it.

An admin answering a request addressed to someone else gives a reason (docs/authority.md,
"Admin on behalf"); a request from a workflow that allows self-approval is marked in red.
"""

from __future__ import annotations

from html import escape
from itertools import pairwise

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
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
from governance_desktop.services.inbox import ApprovalItem
from governance_desktop.services.inbox_answers import Answered, answer_each
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.page import Page
from governance_desktop.ui.pages.approvals.answer import act_text, next_request, report
from governance_desktop.ui.pages.approvals.model import (
    AGE_COLUMN,
    ANSWERED_COLUMNS,
    PENDING_COLUMNS,
    PENDING_SORTS,
    SELF_APPROVAL,
    ApprovalsModel,
    overdue_text,
    signature_text,
)
from governance_desktop.ui.pages.approvals.pinned import PinnedText
from governance_desktop.ui.pages.policies.details import fit_columns, record_table
from governance_desktop.ui.pages.policies.models import show
from governance_desktop.ui.pages.workflows.models import SELF_APPROVAL_COLOUR
from governance_desktop.ui.signing.session import Signed, SigningAct
from governance_desktop.ui.widgets import named

__all__ = ["PENDING_COLUMNS", "ApprovalsPage", "signature_text"]

# USERS: a role change moves the admin's scope; a deactivation reassigns requests.
SHOWN = Changes.APPROVALS | Changes.POLICIES | Changes.USERS
Loaded = tuple[bool, list[ApprovalItem], list[ApprovalItem], int]
#: Answered requests listed under the inbox (the newest; the label says when there are more).
ANSWERED_SHOWN = 200


class ApprovalsPage(Page):
    """Approve or reject the selected requests (one signature dialog, one signed record each);
    then the next waiting request is shown. A rejection needs a comment."""

    count_changed = Signal(int)  # approvals waiting (unfiltered); for the navigation label
    loaded = Signal()
    answered_now = Signal(list)  # the per-request results of the last answer (Answered)

    def __init__(self, ui: UiContext) -> None:
        # job events: a workflow step may have asked for approvals
        super().__init__(ui, refresh_on=SHOWN, job_events=True)
        self.inbox = ui.app.inbox
        self.is_admin = False
        self._count = -1
        self._busy = False
        self._sort = (PENDING_SORTS[AGE_COLUMN], True)  # oldest first
        self._follow: int | None = None  # the request to show after the next load
        self._shown_id: int | None = None  # the request beside the buttons

        self.scope = named(QLabel("Approvals waiting for you"), "approvalsScope")
        font = self.scope.font()
        font.setBold(True)
        self.scope.setFont(font)
        self.overdue_only = named(QCheckBox("Overdue only"), "approvalsOverdueOnly")
        self.overdue_only.setToolTip("List only the requests past their due time")
        self.overdue_only.toggled.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.scope, 1)
        top.addWidget(self.overdue_only)
        self.message = named(QLabel(), "approvalsMessage")
        self.message.setWordWrap(True)

        self.pending = ApprovalsModel(
            PENDING_COLUMNS, lambda a: a.id, self, bold=lambda a: a.approver == ui.actor
        )
        self.table = record_table(self.pending, "approvalsTable")
        # Shift/Ctrl-click and Ctrl+A choose several requests for one answer.
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setToolTip(
            "Shift- or Ctrl-click (Ctrl+A: all) to answer several requests at once; "
            "click a column header to sort by it"
        )
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(AGE_COLUMN, Qt.SortOrder.DescendingOrder)
        header.sortIndicatorChanged.connect(self._sort_changed)
        selection = self.table.selectionModel()
        selection.currentRowChanged.connect(self._current_changed)
        selection.selectionChanged.connect(self._selection_changed)
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
        self.approve_button.clicked.connect(self.approve)
        self.reject_button = named(QPushButton("Reject…"), "rejectButton")
        self.reject_button.setToolTip("Reject with the comment as the reason (Ctrl+Shift+Return)")
        self.reject_button.clicked.connect(self.reject)
        self.go_next = named(QCheckBox("Then show the next request"), "approvalsGoNext")
        self.go_next.setChecked(True)
        self.go_next.setToolTip("After an answer, select the next waiting request")
        self.go_next.toggled.connect(self._name_buttons)
        buttons = QHBoxLayout()
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.reject_button)
        buttons.addWidget(self.go_next)
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
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        # Tab goes the way an approver reads: the requests, the text, the answer, the history.
        chain = [
            self.overdue_only,
            self.table,
            self.pinned.tabs,
            self.pinned.diff,
            self.pinned.text,
            self.comment,
            self.reason,
            self.approve_button,
            self.reject_button,
            self.go_next,
            self.answered_table,
        ]
        for first, then in pairwise(chain):
            QWidget.setTabOrder(first, then)

        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence("Ctrl+Return"), self, self.approve, context=context)
        QShortcut(QKeySequence("Ctrl+Shift+Return"), self, self.reject, context=context)
        QShortcut(QKeySequence.StandardKey.Refresh, self, self.refresh, context=context)
        self._name_buttons()
        self._show_selected()
        self.refresh()

    def _name_buttons(self) -> None:
        going = self.go_next.isChecked()
        self.approve_button.setText("Approve and next" if going else "Approve")
        self.approve_button.setToolTip(
            "Approve the selected requests"
            + (", then show the next one" if going else "")
            + " (Ctrl+Return)"
        )

    # --- views and sorting ----------------------------------------------------------------

    def open_with(self, view: str) -> None:
        """``waiting``: every request waiting for you; ``overdue``: those past due."""
        if view in ("waiting", "overdue"):
            self.overdue_only.setChecked(view == "overdue")

    def _sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        if 0 <= column < len(PENDING_SORTS):
            self._sort = (PENDING_SORTS[column], order == Qt.SortOrder.DescendingOrder)
            self.refresh()

    # --- loading --------------------------------------------------------------------------

    def pending_count(self) -> int:
        """Pending approvals listed on this page (0 until the first load)."""
        return self.pending.rowCount()

    def refresh(self) -> None:
        if not self.begin_read():
            return
        inbox, actor = self.inbox, self.ui.actor
        (sort, descending), overdue = self._sort, self.overdue_only.isChecked()

        def load() -> Loaded:
            admin = inbox.is_admin(actor)
            who = None if admin else actor
            pending = inbox.approvals(
                who, pending=True, sort=sort, descending=descending, overdue_only=overdue
            )
            count = inbox.pending_count(who) if overdue else len(pending)
            answered = inbox.approvals(who, pending=False, limit=ANSWERED_SHOWN + 1)
            return admin, pending, answered, count

        self.calls.read(load, self._loaded, self._load_failed)

    def _loaded(self, result: Loaded) -> None:
        self.is_admin, pending, answered, count = result
        chosen = self.chosen_ids()
        current = self._follow if self._follow is not None else self.current_id()
        self._follow = None
        overdue = " past their due time" if self.overdue_only.isChecked() else ""
        self.scope.setText(
            f"Everyone's pending approvals{overdue} — you are an admin and may answer any of them"
            if self.is_admin
            else f"Approvals waiting for you{overdue}"
        )
        if self.pending.set_rows(pending):
            fit_columns(self.table, 240)
            self._restore(chosen, current)
        if current is None and pending:
            self.select(pending[0].id)  # ready for the first answer
        more = len(answered) > ANSWERED_SHOWN
        if self.answered.set_rows(answered[:ANSWERED_SHOWN]):
            fit_columns(self.answered_table, 360)  # a manifestation fits whole
        self.answered_label.setText(
            f"Answered (the latest {ANSWERED_SHOWN}; older ones: Audit page)"
            if more
            else f"Answered ({len(answered)})"
        )
        self._show_answered(self.answered_table.selectionModel().currentIndex(), QModelIndex())
        if not pending:
            self.context.setText(
                "Nothing overdue." if self.overdue_only.isChecked() else "Nothing is waiting."
            )
        self._show_selected()
        if count != self._count:
            self._count = count
            self.count_changed.emit(count)
        self.end_read()
        self.loaded.emit()

    def _load_failed(self, error: str) -> None:
        self.end_read()
        self.message.setText(f"Could not load the approvals: {error}")

    # --- selection ------------------------------------------------------------------------

    def selected(self) -> ApprovalItem | None:
        """The request shown beside the buttons (the current row)."""
        index = self.table.selectionModel().currentIndex()
        return self.pending.row(index.row()) if index.isValid() else None

    def current_id(self) -> int | None:
        item = self.selected()
        return item.id if item is not None else None

    def chosen(self) -> list[ApprovalItem]:
        """The requests one answer goes to, in table order: the selected rows (the current
        one if no row is selected)."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        items = [self.pending.row(r) for r in rows if r < self.pending.rowCount()]
        if not items and (current := self.selected()) is not None:
            items = [current]
        return items

    def chosen_ids(self) -> list[int]:
        return [i.id for i in self.chosen()]

    def select(self, approval_id: int) -> bool:
        """Make `approval_id` the only selected request (and the one shown)."""
        row = self.pending.find(approval_id)
        if row < 0:
            return False
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.selectionModel().setCurrentIndex(self.pending.index(row, 0), flags)
        self.table.scrollTo(self.pending.index(row, 0))
        return True

    def select_many(self, approval_ids: list[int]) -> None:
        """Select these requests (as Ctrl-clicks would), the first one shown."""
        self._restore(approval_ids, approval_ids[0] if approval_ids else None)

    def _restore(self, ids: list[int], current: int | None) -> None:
        """Select `ids` again after the rows changed, `current` shown."""
        model, selection = self.pending, self.table.selectionModel()
        rows = QItemSelection()
        for key in ids:
            if (row := model.find(key)) >= 0:
                rows.select(model.index(row, 0), model.index(row, model.columnCount() - 1))
        flag = QItemSelectionModel.SelectionFlag
        if current is not None and (row := model.find(current)) >= 0:
            selection.setCurrentIndex(model.index(row, 0), flag.NoUpdate)
        selection.select(rows, flag.ClearAndSelect)

    def _current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        # A reload re-selects the same request: its refusal stays beside it.
        if self.current_id() != self._shown_id:
            self.error_clear()
        self._show_selected()

    def _selection_changed(self, *_args: object) -> None:
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

    def _for_others(self, items: list[ApprovalItem]) -> list[ApprovalItem]:
        """The requests an admin would answer in someone else's place (a reason is needed)."""
        if not self.is_admin:
            return []
        return [i for i in items if i.approver != self.ui.actor]

    def answering_for(self) -> str | None:
        """The approver(s) the chosen requests are addressed to, when an admin answers them in
        their place (a reason is then needed); else None."""
        names = sorted({i.approver for i in self._for_others(self.chosen())})
        return ", ".join(names) if names else None

    def _show_selected(self) -> None:
        item, chosen = self.selected(), self.chosen()
        enabled = bool(chosen) and not self._busy
        self.approve_button.setEnabled(enabled)
        self.reject_button.setEnabled(enabled)
        self.comment.setEnabled(bool(chosen))
        self.self_approval.setVisible(any(i.self_approval_allowed for i in chosen))
        other = self.answering_for()
        self.reason_label.setVisible(other is not None)
        self.reason.setVisible(other is not None)
        if other is not None:
            self.reason_label.setText(f"Reason (you answer for {other})")
            self.reason.setPlaceholderText(f"Why you answer in {other}'s place")
        self._shown_id = item.id if item is not None else None
        self.pinned.show_approval(self._shown_id)
        if item is None:
            if self.pending.rowCount():
                self.context.setText("Select a request to see what it is about.")
            return
        several = (
            f"<b>{len(chosen)} requests selected</b>: one answer signs each in its own record. "
            "Shown: the current one.<br>"
            if len(chosen) > 1
            else ""
        )
        due = show(item.due_at) or "no due date"
        late = overdue_text(item.overdue_days)
        if late:
            due = f"{due} — <b>{late}</b>"
        stale = (
            f"<br><b>Note:</b> the policy changed since this was asked (now version "
            f"{item.current_version}); it can no longer be approved as is."
            if item.policy_version is not None and item.policy_version != item.current_version
            else ""
        )
        note = f"<br>{escape(item.note)}" if item.note else ""
        self.context.setText(
            f"{several}<b>{escape(item.policy)} — {escape(item.policy_title)}</b> "
            f"(now {escape(item.policy_status.replace('_', ' '))})<br>"
            f"What changed: {escape(item.change)}, version {item.policy_version or '—'}<br>"
            f"Asked by <b>{escape(item.asked_by)}</b> on {show(item.requested_at)}; due {due}<br>"
            f"Workflow <i>{escape(item.workflow)}</i>, step {item.step_index + 1} of "
            f"{item.step_count}: {escape(item.step_title)} ({escape(item.rule)} needed); "
            f"addressed to {escape(item.approver)}{note}{stale}"
        )

    # --- answering ------------------------------------------------------------------------

    def error_clear(self) -> None:
        self.error.clear()

    def approve(self) -> None:
        self._answer(approve=True)

    def reject(self) -> None:
        self._answer(approve=False)

    def _answer(self, *, approve: bool) -> None:
        """Approve or reject the chosen requests, signed once in the sign dialog (its reason
        is the comment); Cancel answers nothing."""
        items = self.chosen()
        if not items or self._busy:
            return
        comment = self.comment.toPlainText().strip() or None
        if not approve and comment is None:  # the comment stays required here, as before
            self.error.setText("Not rejected: comment: a rejection needs a reason")
            return
        # Only when answering for someone else: the service refuses that without a reason.
        others = frozenset(i.id for i in self._for_others(items))
        reason = (self.reason.text().strip() or None) if others else None
        meaning = Meaning.APPROVED if approve else Meaning.REJECTED
        act = SigningAct(
            act_text(items, approve), meaning, reason=comment, reason_required=not approve
        )
        self._set_busy(True)

        def cancelled() -> None:
            self._set_busy(False)
            self.error.setText(f"Not {'approved' if approve else 'rejected'}: not signed.")

        def signed(given: Signed) -> None:
            self._send(items, approve, given, reason, others)

        self.ui.sign(self, act, signed, cancelled)

    def _send(
        self,
        items: list[ApprovalItem],
        approve: bool,
        signed: Signed,
        reason: str | None,
        others: frozenset[int],
    ) -> None:
        """One background write answers each request in its own signed transaction."""
        ui, approvals = self.ui, self.ui.app.approvals
        comment, signer = signed.reason, signed.signer
        ids = [i.id for i in items]

        def run() -> list[Answered]:
            return answer_each(
                approvals,
                ids,
                ui.actor,
                approve=approve,
                comment=comment,
                reason=reason,
                signer=signer,
                on_behalf=others,
            )

        def done(results: list[Answered]) -> None:
            self._set_busy(False)
            message, refusals = report(items, results, approve)
            answered = {r.approval_id for r in results if r.ok}
            refused = [r.approval_id for r in results if not r.ok]
            if message:
                self.message.setText(message)
            if answered:
                self.comment.clear()
                self.reason.clear()
            if refused:  # what is left stays selected, with the reason beside it
                self.select_many(refused)
                self._follow = refused[0]
            elif self.go_next.isChecked():
                following = next_request(self.pending.rows(), ids, answered)
                if following is not None:
                    self.select(following)
                self._follow = following
                self.comment.setFocus(Qt.FocusReason.OtherFocusReason)
            self.error.setText(refusals)
            self.answered_now.emit(results)
            self.refresh()

        def failed(error: str) -> None:
            self._set_busy(False)
            self.error.setText(f"Not {'approved' if approve else 'rejected'}: {error}")

        self.calls.write(run, done, failed, Changes.APPROVALS)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._show_selected()
