"""The approvals inbox: context, approve lets the workflow finish, reject needs a reason."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QPushButton

from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.approvals.page import ApprovalsPage
from tests.helpers.pages import make_page
from tests.ui.signing import sign_with_password

CLICK = Qt.MouseButton.LeftButton


def review_pol_003(ui: UiContext) -> None:
    """alice puts POL-003 into review; the Review kickoff workflow asks bob and carol."""
    ui.app.policies.change_status("alice", "POL-003", "in_review")


def kickoff_status(ui: UiContext) -> str | None:
    """The status of POL-003's Review kickoff execution, if it started."""
    runs = ui.app.monitor.executions(entity="POL-003")
    return next((e.status for e in runs if e.workflow == "Review kickoff"), None)


def pol_003_requests(page: ApprovalsPage) -> list[int]:
    """The ids of the pending requests about POL-003 on the page (the demo's POL-005 waits too)."""
    return [a.id for a in page.pending.rows() if a.policy == "POL-003"]


def wait_for_request(qtbot, page: ApprovalsPage) -> None:  # type: ignore[no-untyped-def]
    """Wait until POL-003's request is listed, then select it."""
    qtbot.waitUntil(lambda: bool(pol_003_requests(page)), timeout=5000)
    assert page.select(pol_003_requests(page)[0])


def test_bob_approves_and_the_workflow_finishes(qtbot, qtmodeltester, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """bob sees the request with its context, approves it, and the execution completes."""
    bob = replace(ui_ctx, actor="bob")
    page = make_page(qtbot, ApprovalsPage(bob))
    sign_with_password(bob)
    counts: list[int] = []
    page.count_changed.connect(counts.append)
    qtbot.waitUntil(lambda: bool(counts), timeout=5000)
    before = counts[-1]  # the demo's POL-005 awaits bob's Standard approval
    assert [a.policy for a in page.pending.rows()] == ["POL-005"] * before
    review_pol_003(ui_ctx)
    wait_for_request(qtbot, page)
    assert counts[-1] == page.pending_count() == before + 1
    item = page.selected()
    assert item is not None
    assert (item.policy, item.policy_title, item.asked_by, item.approver) == (
        "POL-003",
        "Data Retention Policy",
        "alice",
        "bob",
    )
    assert item.change == "status draft → in_review" and item.due_at is not None
    assert item.workflow == "Review kickoff" and item.step_title == "Review of POL-003"
    details = page.findChild(QLabel, "approvalDetails").text()
    assert "Asked by <b>alice</b>" in details and "step 3 of 4" in details
    assert "waiting for you" in page.findChild(QLabel, "approvalsScope").text()
    qtmodeltester.check(page.pending)

    page.findChild(QPlainTextEdit, "approvalComment").setPlainText("Looks right")
    qtbot.mouseClick(page.findChild(QPushButton, "approveButton"), CLICK)
    qtbot.waitUntil(lambda: kickoff_status(ui_ctx) == "completed", timeout=5000)
    assert ui_ctx.app.policies.get("POL-003").status == "awaiting_approval"
    qtbot.waitUntil(lambda: any(a.id == item.id for a in page.answered.rows()), timeout=5000)
    answered = next(a for a in page.answered.rows() if a.id == item.id)
    assert (answered.status, answered.comment, answered.responded_by) == (
        "approved",
        "Looks right",
        "bob",
    )
    qtmodeltester.check(page.answered)


def test_reject_without_a_comment_is_refused(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """Reject with an empty comment shows the reason next to the box and changes nothing."""
    bob = replace(ui_ctx, actor="bob")
    page = make_page(qtbot, ApprovalsPage(bob))
    sign_with_password(bob)
    review_pol_003(ui_ctx)
    wait_for_request(qtbot, page)
    qtbot.mouseClick(page.findChild(QPushButton, "rejectButton"), CLICK)
    error = page.findChild(QLabel, "approvalError")
    qtbot.waitUntil(lambda: error.text() != "", timeout=5000)
    assert error.text() == "Not rejected: comment: a rejection needs a reason"
    request = pol_003_requests(page)[0]
    assert ui_ctx.app.approvals.get(request).status == "pending"

    page.findChild(QPlainTextEdit, "approvalComment").setPlainText("Retention periods missing")
    qtbot.mouseClick(page.findChild(QPushButton, "rejectButton"), CLICK)
    qtbot.waitUntil(lambda: kickoff_status(ui_ctx) == "rejected", timeout=5000)
    qtbot.waitUntil(lambda: not pol_003_requests(page), timeout=5000)
    assert ui_ctx.app.approvals.get(request).status == "rejected"


def test_admin_sees_everyones_pending_approvals(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """An admin's inbox lists bob's and carol's requests (and the demo's POL-005 ones for bob,
    carol and dave) and says so."""
    page = make_page(qtbot, ApprovalsPage(ui_ctx))
    review_pol_003(ui_ctx)
    qtbot.waitUntil(lambda: len(pol_003_requests(page)) == 2, timeout=5000)
    by_policy = {(a.policy, a.approver) for a in page.pending.rows()}
    assert by_policy == {
        ("POL-003", "bob"),
        ("POL-003", "carol"),
        ("POL-005", "bob"),
        ("POL-005", "carol"),
        ("POL-005", "dave"),
    }
    assert "you are an admin" in page.findChild(QLabel, "approvalsScope").text()
