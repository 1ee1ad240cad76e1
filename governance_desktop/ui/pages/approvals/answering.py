"""The approvals page's answer flow: sign once, answer each chosen request in its own signed
transaction (one background write), report each refusal, then show the next request.

`AnswerFlow` is mixed into `ApprovalsPage` (page.py builds the widgets it uses). The next
request is the row after the last answered one in the table's current SQL order: the model
follows its id when that row is loaded, else its position (rows above it that were answered
are gone, so it moves up by their number) — either way across a page boundary too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLineEdit, QPlainTextEdit, QWidget

from governance_desktop.domain.identity import Meaning
from governance_desktop.services.changes import Changes
from governance_desktop.services.inbox import ApprovalItem
from governance_desktop.services.inbox_answers import Answered, answer_each
from governance_desktop.ui.pages.approvals.answer import act_text, report
from governance_desktop.ui.signing.session import Signed, SigningAct

if TYPE_CHECKING:
    from governance_desktop.ui.background import OwnedCalls
    from governance_desktop.ui.context import UiContext
    from governance_desktop.ui.messages import InlineMessage
    from governance_desktop.ui.pages.approvals.model import PendingModel


class AnswerFlow:
    """approve(), reject() and what follows an answer, for `ApprovalsPage`."""

    if TYPE_CHECKING:  # what the page provides
        ui: UiContext
        calls: OwnedCalls
        is_admin: bool
        _busy: bool
        _next_row: int | None
        comment: QPlainTextEdit
        reason: QLineEdit
        go_next: QCheckBox
        error: InlineMessage
        message: InlineMessage
        pending: PendingModel

        def chosen(self) -> list[ApprovalItem]: ...
        def select_many(self, approval_ids: list[int]) -> None: ...
        def refresh(self) -> None: ...
        def _set_busy(self, busy: bool) -> None: ...
        def _announce(self, results: list[Answered]) -> None: ...

    def approve(self) -> None:
        self._answer(approve=True)

    def reject(self) -> None:
        self._answer(approve=False)

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

    def _answer(self, *, approve: bool) -> None:
        """Approve or reject the chosen requests, signed once in the sign dialog (its reason
        is the comment); Cancel answers nothing."""
        items = self.chosen()
        if not items or self._busy:
            return
        comment = self.comment.toPlainText().strip() or None
        if not approve and comment is None:  # the comment stays required here, as before
            self.error.error("Not rejected: comment: a rejection needs a reason")
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
            self.error.error(f"Not {'approved' if approve else 'rejected'}: not signed.")

        def signed(given: Signed) -> None:
            self._send(items, approve, given, reason, others)

        self.ui.sign(cast(QWidget, self), act, signed, cancelled)

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
            self._answered(items, results, approve)

        def failed(error: str) -> None:
            self._set_busy(False)
            self.error.error(f"Not {'approved' if approve else 'rejected'}: {error}")

        self.calls.write(run, done, failed, Changes.APPROVALS)

    def _answered(self, items: list[ApprovalItem], results: list[Answered], approve: bool) -> None:
        message, refusals = report(items, results, approve)
        answered = [r.approval_id for r in results if r.ok]
        refused = [r.approval_id for r in results if not r.ok]
        if message:
            self.message.note(message)
        if answered:
            self.comment.clear()
            self.reason.clear()
        if refused:  # what is left stays selected, with the reason beside it
            self.select_many(refused)
            self.pending.follow(refused[0])
        elif self.go_next.isChecked():
            self._show_next(answered)
            self.comment.setFocus(Qt.FocusReason.OtherFocusReason)
        if refusals:
            self.error.error(refusals)
        self._announce(results)
        self.refresh()

    def _show_next(self, answered: list[int]) -> None:
        """After the reload, select the row after the last answered one in the current order:
        by its id when it is loaded, else by where it will be."""
        rows = [row for i in answered if (row := self.pending.find(i)) >= 0]
        if not rows:
            return
        last = max(rows)
        following = self.pending.row_item(last + 1)
        self.pending.follow(following.id if following is not None else None)
        self._next_row = last + 1 - len(rows)
