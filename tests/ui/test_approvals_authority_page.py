"""The approvals inbox and the authority rules: an admin answering for another approver gives
a reason in the window (refused beside the buttons without one), and a request from a workflow
that allows self-approval is marked in red."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from governance_desktop.domain.enums import Role
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.approvals.page import PENDING_COLUMNS, ApprovalsPage
from governance_desktop.ui.pages.workflows.models import SELF_APPROVAL_COLOUR
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.pages import make_page
from tests.helpers.workflows import workflow
from tests.ui.signing import sign_with_password

CLICK = Qt.MouseButton.LeftButton
NOTE = [title for title, _ in PENDING_COLUMNS].index("Note")


def _request(qtbot, page: ApprovalsPage, policy: str, approver: str, wf: str) -> int:  # type: ignore[no-untyped-def]
    """The id of the pending request of `wf` about `policy` for `approver`, once listed."""

    def found() -> int | None:
        return next(
            (
                a.id
                for a in page.pending.rows()
                if (a.policy, a.approver, a.workflow) == (policy, approver, wf)
            ),
            None,
        )

    qtbot.waitUntil(lambda: found() is not None, timeout=5000)
    request = found()
    assert request is not None
    return request


def test_admin_answers_for_bob_with_a_reason(qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """An admin selecting bob's request sees "Reason (you answer for bob)"; Approve without
    one is refused in the error label and changes nothing; with one it is recorded for bob."""
    # Not ME: ME wrote the demo's texts, so segregation of duties bars ME from approving them.
    ui_ctx.app.users.add(ME, "frank", "Frank Admin", Role.ADMIN)
    page = make_page(qtbot, ApprovalsPage(replace(ui_ctx, actor="frank")))
    sign_with_password(page.ui)
    ui_ctx.app.policies.change_status("alice", "POL-003", "in_review")  # Review kickoff: bob
    request = _request(qtbot, page, "POL-003", "bob", "Review kickoff")
    qtbot.waitUntil(lambda: page.is_admin, timeout=5000)
    assert page.select(request)
    label = page.findChild(QLabel, "approvalReasonLabel")
    reason = page.findChild(QLineEdit, "approvalReason")
    assert label.isVisible() and reason.isVisible()
    assert label.text() == "Reason (you answer for bob)"

    qtbot.mouseClick(page.findChild(QPushButton, "approveButton"), CLICK)
    error = page.findChild(QLabel, "approvalError")
    qtbot.waitUntil(lambda: error.text() != "", timeout=5000)
    assert error.text().startswith("Not approved: ")
    assert f"answering approval {request} for 'bob' needs a reason" in error.text()
    assert ui_ctx.app.approvals.get(request).status == "pending"

    qtbot.keyClicks(reason, "bob is on leave, the board meets today")
    assert error.text() == ""  # typing clears the refusal
    qtbot.mouseClick(page.findChild(QPushButton, "approveButton"), CLICK)
    qtbot.waitUntil(lambda: ui_ctx.app.approvals.get(request).status == "approved", timeout=5000)
    info = ui_ctx.app.approvals.get(request)
    assert (info.approver, info.responded_by) == ("bob", "frank")
    assert info.on_behalf_reason == "bob is on leave, the board meets today"
    qtbot.waitUntil(lambda: reason.text() == "", timeout=5000)


def test_reason_is_hidden_for_your_own_requests(qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """bob answering his own request sees no reason field."""
    page = make_page(qtbot, ApprovalsPage(replace(ui_ctx, actor="bob")))
    assert page.select(_request(qtbot, page, "POL-005", "bob", "Standard approval"))
    assert page.comment.isVisible()
    assert not page.findChild(QLineEdit, "approvalReason").isVisible()
    assert not page.findChild(QLabel, "approvalReasonLabel").isVisible()


def test_self_approval_request_is_marked_red(qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """A request from a workflow that allows self-approval has a red row and a red note
    "self-approval allowed by this workflow"; a request from another workflow has neither."""
    step = {"type": "approval", "approvers": ["bob"], "title": "Quick check"}
    data = workflow("Self-approved review", [step], allow_self_approval=True)
    ui_ctx.app.workflows.import_definitions(
        ME, [DefinitionSource("self.json", data=data)], signer=signer(ui_ctx.app, ME)
    )
    page = make_page(qtbot, ApprovalsPage(replace(ui_ctx, actor="bob")))
    ui_ctx.app.policies.change_status("alice", "POL-003", "in_review")
    lax = _request(qtbot, page, "POL-003", "bob", "Self-approved review")
    strict = _request(qtbot, page, "POL-003", "bob", "Review kickoff")
    note = page.findChild(QLabel, "selfApprovalNote")

    assert page.select(lax)
    row = page.pending.find(lax)
    assert page.selected().self_approval_allowed
    assert note.isVisible() and "self-approval allowed by this workflow" in note.text()
    assert SELF_APPROVAL_COLOUR.name() in note.styleSheet()
    cell = page.pending.index(row, NOTE)
    assert page.pending.data(cell, Qt.ItemDataRole.DisplayRole).endswith(
        "self-approval allowed by this workflow"
    )
    assert page.pending.data(cell, Qt.ItemDataRole.ForegroundRole) == SELF_APPROVAL_COLOUR

    assert page.select(strict)
    assert not note.isVisible()
    cell = page.pending.index(page.pending.find(strict), NOTE)
    assert "self-approval" not in page.pending.data(cell, Qt.ItemDataRole.DisplayRole)
    assert page.pending.data(cell, Qt.ItemDataRole.ForegroundRole) is None
