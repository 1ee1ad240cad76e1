"""Signing in the window (21 CFR 11.200): the real sign dialog asks user name and password
at the first signature of a session and the password only later, again both after the idle
time; Cancel or a wrong password signs and answers nothing; the answer shows its
manifestation in the inbox."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.approvals.page import ApprovalsPage
from governance_desktop.ui.signing.session import SigningSession
from tests.helpers.actors import ME
from tests.helpers.identity import INITIAL, PASSWORD, signer
from tests.helpers.pages import make_page
from tests.ui.signing import field, password_for, sign_dialog, sign_in_dialog

CLICK = Qt.MouseButton.LeftButton


class Clock:
    """A monotonic clock the test moves by hand (no sleeping)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def bob_inbox(qtbot, ui_ctx: UiContext, clock: Clock | None = None) -> ApprovalsPage:  # type: ignore[no-untyped-def]
    """bob's inbox (PASSWORD set) with his first request selected: the demo's POL-005, and,
    after alice puts POL-003 into review, POL-003's."""
    password_for(ui_ctx.app, "bob")
    session = SigningSession(15, clock) if clock is not None else SigningSession(15)
    bob = replace(ui_ctx, actor="bob", signing=session)
    page = make_page(qtbot, ApprovalsPage(bob))
    ui_ctx.app.policies.change_status("alice", "POL-003", "in_review")
    qtbot.waitUntil(lambda: page.pending_count() >= 2, timeout=5000)
    assert page.select(page.pending.row(0).id)
    return page


def approve_selected(qtbot, page: ApprovalsPage) -> int:  # type: ignore[no-untyped-def]
    """Press Approve on the selected request; its id."""
    qtbot.waitUntil(page.approve_button.isEnabled, timeout=5000)  # the last answer is done
    item = page.selected()
    assert item is not None
    qtbot.mouseClick(page.findChild(QPushButton, "approveButton"), CLICK)
    return item.id


def test_first_signature_asks_user_name_and_password_the_second_the_password(
    qtbot, ui_ctx: UiContext
) -> None:  # type: ignore[no-untyped-def]
    """The first approval's dialog shows what is signed, its meaning, "Signing as Bob Chen
    (bob)", and asks user name and password; the next one asks the password only; each
    answer shows its manifestation (printed name, date, time with zone, meaning)."""
    page = bob_inbox(qtbot, ui_ctx)
    first = approve_selected(qtbot, page)
    dialog = sign_dialog(qtbot)
    assert dialog.asks_user_name and field(dialog, "signUserName").isVisible()
    assert field(dialog, "signPassword").isVisible()
    assert dialog.findChild(QLabel, "signWhat").text().startswith("<b>Approve POL-005 v")
    assert f"(approval {first})" in dialog.findChild(QLabel, "signWhat").text()
    assert "Approved" in dialog.findChild(QLabel, "signMeaning").text()
    printed = ui_ctx.app.users.get("bob").display_name
    assert dialog.findChild(QLabel, "signAs").text() == f"Signing as {printed} (bob)"
    sign_in_dialog(qtbot, dialog)
    qtbot.waitUntil(lambda: ui_ctx.app.approvals.get(first).status == "approved", timeout=5000)
    signature = ui_ctx.app.approvals.get(first).signature
    assert signature is not None and signature.signer == "bob"
    assert signature.manifestation == f"Approved by {printed} on " + signature.signed_at.strftime(
        "%Y-%m-%d %H:%M:%S UTC"
    )

    qtbot.waitUntil(lambda: page.answered.find(first) >= 0, timeout=5000)
    row = page.answered.find(first)
    assert page.answered.index(row, 2).data() == signature.manifestation
    page.answered_table.selectRow(row)
    details = page.findChild(QLabel, "answeredDetails").text()
    assert signature.manifestation in details and "UTC" in details

    qtbot.waitUntil(lambda: page.answered.find(first) >= 0 and page.pending_count(), timeout=5000)
    assert page.select(page.pending.row(0).id)
    second = approve_selected(qtbot, page)
    dialog = sign_dialog(qtbot)
    assert not dialog.asks_user_name and not field(dialog, "signUserName").isVisible()
    sign_in_dialog(qtbot, dialog)
    qtbot.waitUntil(lambda: ui_ctx.app.approvals.get(second).status == "approved", timeout=5000)


def test_cancel_or_a_wrong_password_answers_nothing(qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """A wrong password is refused in the dialog in one line (counting toward the lockout)
    and signs nothing; Cancel leaves the request pending and says it was not signed."""
    page = bob_inbox(qtbot, ui_ctx)
    request = approve_selected(qtbot, page)
    dialog = sign_dialog(qtbot)
    sign_in_dialog(qtbot, dialog, password="not-the-password")
    error = dialog.findChild(QLabel, "signError")
    assert error.text() == (
        "wrong password for 'bob' (4 attempt(s) left before the account locks) (rule: identity)"
    )
    assert dialog.isVisible() and field(dialog, "signPassword").text() == ""
    dialog.reject()
    message = page.findChild(QLabel, "approvalError")
    qtbot.waitUntil(lambda: message.text() != "", timeout=5000)
    assert message.text() == "Not approved: not signed."
    assert ui_ctx.app.approvals.get(request).status == "pending"
    assert page.approve_button.isEnabled()


def test_someone_elses_user_name_is_refused(qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """bob cannot sign by typing carol's user name (and her password) in his window."""
    password_for(ui_ctx.app, "carol")
    page = bob_inbox(qtbot, ui_ctx)
    request = approve_selected(qtbot, page)
    dialog = sign_dialog(qtbot)
    sign_in_dialog(qtbot, dialog, user="carol")
    error = dialog.findChild(QLabel, "signError").text()
    assert "user name 'carol' is not the acting user 'bob'" in error
    assert error.endswith("(rule: signature)")
    dialog.reject()
    assert ui_ctx.app.approvals.get(request).status == "pending"


def test_after_the_idle_time_the_user_name_is_asked_again(qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """Idle longer than signing_idle_minutes ends the signing session: the next signature
    asks user name and password again; within it, the password only."""
    clock = Clock()
    page = bob_inbox(qtbot, ui_ctx, clock)
    first = approve_selected(qtbot, page)
    sign_in_dialog(qtbot, sign_dialog(qtbot))
    qtbot.waitUntil(lambda: ui_ctx.app.approvals.get(first).status == "approved", timeout=5000)
    assert page.ui.signing.continues_for("bob")
    clock.now += 15 * 60  # 15 idle minutes
    assert not page.ui.signing.continues_for("bob")
    qtbot.waitUntil(lambda: page.answered.find(first) >= 0 and page.pending_count(), timeout=5000)
    assert page.select(page.pending.row(0).id)
    second = approve_selected(qtbot, page)
    dialog = sign_dialog(qtbot)
    assert dialog.asks_user_name and field(dialog, "signUserName").isVisible()
    sign_in_dialog(qtbot, dialog)
    qtbot.waitUntil(lambda: ui_ctx.app.approvals.get(second).status == "approved", timeout=5000)


def test_the_idle_time_comes_from_the_settings(ui_ctx: UiContext) -> None:
    """signing_idle_minutes (default 15) sets the window's signing session."""
    assert ui_ctx.app.settings.signing_idle_minutes == 15
    assert ui_ctx.signing.idle_seconds == 15 * 60
    fresh = replace(ui_ctx, signing=None)
    assert fresh.signing is not ui_ctx.signing and fresh.signing.idle_seconds == 15 * 60


def test_an_initial_password_is_replaced_before_signing(qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """bob, with an initial password from an admin, is asked for it and a new one (twice);
    the signature then uses the new password."""
    page = bob_inbox(qtbot, ui_ctx)
    ui_ctx.app.identity.reset(ME, "bob", INITIAL, admin=signer(ui_ctx.app, ME))
    request = approve_selected(qtbot, page)
    dialog = sign_dialog(qtbot)
    assert field(dialog, "signNewPassword").isVisible()
    assert field(dialog, "signRepeatPassword").isVisible()
    qtbot.keyClicks(field(dialog, "signUserName"), "bob")
    qtbot.keyClicks(field(dialog, "signPassword"), INITIAL)
    qtbot.keyClicks(field(dialog, "signNewPassword"), PASSWORD)
    qtbot.keyClicks(field(dialog, "signRepeatPassword"), PASSWORD)
    dialog.findChild(QPushButton, "signButton").click()
    qtbot.waitUntil(lambda: ui_ctx.app.approvals.get(request).status == "approved", timeout=5000)
    assert not ui_ctx.app.identity.must_change("bob")
