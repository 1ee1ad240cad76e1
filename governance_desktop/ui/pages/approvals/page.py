"""The approvals inbox: what waits for the current user, with the context to decide on it.

The pending requests are a lazy table (`model.PendingModel` over `services/inbox_pages`):
sorted and filtered in SQL, every request listed however many wait, only the pages on screen
held. The selection is kept by request id across reloads (`follow` / `located`). The answer
flow is in answering.py. An admin answering a request addressed to someone else gives a reason
(docs/authority.md, "Admin on behalf"); a request from a workflow that allows self-approval is
marked in red.
"""

from __future__ import annotations

from html import escape
from itertools import pairwise

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
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

from governance_desktop.services.changes import Changes
from governance_desktop.services.inbox import ApprovalItem
from governance_desktop.services.inbox_answers import Answered
from governance_desktop.services.inbox_pages import ApprovalFilter
from governance_desktop.services.sorted_pages import Sort
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.messages import InlineMessage
from governance_desktop.ui.page import Page
from governance_desktop.ui.pages.approvals.answering import AnswerFlow
from governance_desktop.ui.pages.approvals.model import (
    AGE_COLUMN,
    ANSWERED_COLUMNS,
    PENDING_COLUMNS,
    PENDING_SORTS,
    SELF_APPROVAL,
    ApprovalsModel,
    PendingModel,
    lazy_table,
    overdue_text,
    signature_text,
)
from governance_desktop.ui.pages.approvals.pinned import PinnedText
from governance_desktop.ui.pages.policies.details import fit_columns, record_table
from governance_desktop.ui.pages.policies.models import show
from governance_desktop.ui.pages.workflows.models import SELF_APPROVAL_COLOUR
from governance_desktop.ui.widgets import named

__all__ = ["PENDING_COLUMNS", "ApprovalsPage", "signature_text"]

# USERS: a role change moves the admin's scope; a deactivation reassigns requests.
SHOWN = Changes.APPROVALS | Changes.POLICIES | Changes.USERS
Loaded = tuple[bool, list[ApprovalItem], int]
#: Answered requests listed under the inbox (the newest; the label says when there are more).
ANSWERED_SHOWN = 200


class ApprovalsPage(AnswerFlow, Page):
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
        self._result: Loaded | None = None  # the page read, shown with the table's snapshot
        self._busy = False
        self._shown_id: int | None = None  # the request beside the buttons
        self._keep: list[int] = []  # the selected requests, selected again after a reload
        self._next_row: int | None = None  # approve-and-next: where the next request will be
        self._page_read = False  # the scope / answered / count read is in flight

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
        self.message = InlineMessage("approvalsMessage")

        actor = ui.actor
        self.pending = PendingModel(
            ui.background,
            ui.app.approval_pages,
            ApprovalFilter(actor),
            self,
            columns=PENDING_COLUMNS,
            sorts=PENDING_SORTS,
            sort=Sort(PENDING_SORTS[AGE_COLUMN], True),  # oldest first
            overdue=lambda a: a.overdue_days is not None,
            bold=lambda a: a.approver == actor,
        )
        self.pending.located.connect(self._located)
        self.pending.failed.connect(self._load_failed)
        self.pending.modelAboutToBeReset.connect(self._remember)
        self.pending.dataChanged.connect(self._rows_changed)
        # Shift/Ctrl-click and Ctrl+A choose several requests for one answer.
        self.table = lazy_table(self.pending, "approvalsTable")
        self.table.setToolTip(
            "Shift- or Ctrl-click (Ctrl+A: all) to answer several requests at once; "
            "click a column header to sort by it"
        )
        header = self.table.horizontalHeader()
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
        self.error = InlineMessage("approvalError")
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
        self.pending.sort(column, order)  # a new snapshot in that SQL order, same request shown

    # --- loading --------------------------------------------------------------------------

    @property
    def reading(self) -> bool:
        """A read runs: the page's own, or the table's."""
        return super().reading or self.pending.loading

    def pending_count(self) -> int:
        """Pending approvals listed on this page (0 until the first load)."""
        return self.pending.rowCount()

    def refresh(self) -> None:
        if not self.begin_read():
            return
        self._keep = self.chosen_ids()
        wanted = ApprovalFilter(self.ui.actor, self.overdue_only.isChecked())
        if wanted != self.pending.filter:
            self.pending.set_filter(wanted)
        else:
            self.pending.refresh()  # in place when the count is unchanged
        inbox, actor = self.inbox, self.ui.actor
        self._page_read = True

        def load() -> Loaded:
            admin = inbox.is_admin(actor)
            who = None if admin else actor
            answered = inbox.approvals(who, pending=False, limit=ANSWERED_SHOWN + 1)
            return admin, answered, inbox.pending_count(who)  # the navigation count: all

        self.calls.read(load, self._loaded, self._load_failed)

    def _loaded(self, result: Loaded) -> None:
        self._page_read = False
        self._result = result
        self.end_read()
        self._settle()

    def _settle(self) -> None:
        """Once both reads of a reload have landed, show the page read's part with the table's
        (an answer leaves the pending table as it joins the answered list): the scope, the
        answered list, the navigation count, then `loaded`."""
        if self.reading or self._result is None:
            return
        (self.is_admin, answered, count), self._result = self._result, None
        overdue = " past their due time" if self.overdue_only.isChecked() else ""
        self.scope.setText(
            f"Everyone's pending approvals{overdue} — you are an admin and may answer any of them"
            if self.is_admin
            else f"Approvals waiting for you{overdue}"
        )
        more = len(answered) > ANSWERED_SHOWN
        if self.answered.set_rows(answered[:ANSWERED_SHOWN]):
            fit_columns(self.answered_table, 360)  # a manifestation fits whole
        self.answered_label.setText(
            f"Answered (the newest {ANSWERED_SHOWN}; older ones: Audit page)"
            if more
            else f"Answered ({len(answered)})"
        )
        self._show_answered(self.answered_table.selectionModel().currentIndex(), QModelIndex())
        self._show_selected()
        if count != self._count:
            self._count = count
            self.count_changed.emit(count)
        self.loaded.emit()

    def _located(self, row: int) -> None:
        """A table snapshot arrived: select again what was selected (`row`: where the
        followed request is now, -1: gone), or after an answer the next request."""
        keep, self._keep = self._keep, []
        target, self._next_row = self._next_row, None
        total = self.pending.rowCount()
        if not total:
            self.context.setText(
                "Nothing overdue." if self.overdue_only.isChecked() else "Nothing is waiting."
            )
        elif target is not None:  # approve-and-next
            self._select_row(row if row >= 0 else min(target, total - 1))
        elif row >= 0:
            self._restore(keep, row)
        elif not self.table.selectionModel().currentIndex().isValid():
            self._select_row(0)  # ready for the first answer
        fit_columns(self.table, 240)
        self._show_selected()
        self._settle()

    def _remember(self) -> None:
        # A reset clears the view's selection: keep its ids to select them again.
        if not self._keep:
            self._keep = self.chosen_ids()

    def _rows_changed(self, *_args: object) -> None:
        current = self.table.selectionModel().currentIndex()
        if current.isValid():
            self._show_selected()  # its page arrived, or its row was read again

    def _load_failed(self, error: str) -> None:
        if self._page_read:
            self._page_read = False
            self.end_read()
        self.message.error(f"Could not load the approvals: {error}")

    # --- selection ------------------------------------------------------------------------

    def selected(self) -> ApprovalItem | None:
        """The request shown beside the buttons (the current row)."""
        index = self.table.selectionModel().currentIndex()
        return self.pending.row_item(index.row()) if index.isValid() else None

    def current_id(self) -> int | None:
        item = self.selected()
        return item.id if item is not None else None

    def chosen(self) -> list[ApprovalItem]:
        """The requests one answer goes to, in table order: the selected rows that are loaded
        (the current one if no row is selected)."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        found = (self.pending.row_item(r) for r in rows)
        items = [item for item in found if item is not None]
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
        self._select_row(row)
        return True

    def _select_row(self, row: int) -> None:
        """Make `row` the only selected row (and the one shown), scrolled into view."""
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        index = self.pending.index(row, 0)
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)

    def select_many(self, approval_ids: list[int]) -> None:
        """Select these requests (as Ctrl-clicks would), the first one shown."""
        first = self.pending.find(approval_ids[0]) if approval_ids else -1
        self._restore(approval_ids, first if first >= 0 else None)

    def _restore(self, ids: list[int], current: int | None) -> None:
        """Select the loaded rows of `ids` again after the rows changed, row `current` shown
        (and selected); nothing changes (no signal) when they are already selected."""
        model, selection = self.pending, self.table.selectionModel()
        wanted = {r for key in ids if (r := model.find(key)) >= 0}
        if current is not None:
            wanted.add(current)
        rows = QItemSelection()
        last = model.columnCount() - 1
        for number in sorted(wanted):
            rows.select(model.index(number, 0), model.index(number, last))
        flag = QItemSelectionModel.SelectionFlag
        if current is not None and selection.currentIndex().row() != current:
            selection.setCurrentIndex(model.index(current, 0), flag.NoUpdate)
        if {i.row() for i in selection.selectedRows()} != wanted:
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
        if item is not None:
            self.pending.follow(item.id)  # kept (or found again) by every snapshot
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

    def _announce(self, results: list[Answered]) -> None:
        self.answered_now.emit(results)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._show_selected()
