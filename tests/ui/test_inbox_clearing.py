"""An inbox an approver can clear: approve-and-next, one answer for several requests (each its
own signed record, each refusal reported), sorting by age and due date, overdue rows that say
so, the text beside the buttons at 1024×700, and the waiting/overdue views."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton
from sqlalchemy import update

from governance_desktop.domain.clock import utc_now
from governance_desktop.store.models import WorkflowApproval
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.approvals.page import ApprovalsPage
from tests.helpers.pages import make_page
from tests.ui.signing import sign_with_password

CLICK = Qt.MouseButton.LeftButton
ASC, DESC = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder


def three_for_bob(qtbot, ui_ctx: UiContext) -> tuple[ApprovalsPage, dict[str, int]]:  # type: ignore[no-untyped-def]
    """bob's inbox with three requests (the demo's POL-005, then POL-003 and POL-009 put in
    review by alice); returns the page and the request id by policy."""
    bob = replace(ui_ctx, actor="bob")
    page = make_page(qtbot, ApprovalsPage(bob))
    for code in ("POL-003", "POL-009"):
        ui_ctx.app.policies.change_status("alice", code, "in_review")
    qtbot.waitUntil(lambda: page.pending_count() == 3, timeout=10_000)
    return page, {a.policy: a.id for a in page.pending.rows()}


def column(page: ApprovalsPage, header: str) -> int:
    """The pending table's column with this header."""
    model = page.pending
    names = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return names.index(header)


def policies(page: ApprovalsPage) -> list[str]:
    return [a.policy for a in page.pending.rows()]


def set_due(ui_ctx: UiContext, due: dict[int, timedelta]) -> None:
    """Move the due time of each request to now + the offset (negative: overdue)."""
    now = utc_now()
    with ui_ctx.app.db.transaction() as session:
        for approval_id, offset in due.items():
            session.execute(
                update(WorkflowApproval)
                .where(WorkflowApproval.id == approval_id)
                .values(due_at=now + offset)
            )


def test_approve_and_next_shows_the_next_request(qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """After approving, the next waiting request is selected with its text shown and the
    comment box ready (before: the selection was cleared after every answer)."""
    page, _ids = three_for_bob(qtbot, ui_ctx)
    sign_with_password(page.ui)
    first, middle, last = page.pending.rows()
    assert first.policy == "POL-005"  # oldest first
    assert page.select(middle.id)
    page.activateWindow()
    qtbot.mouseClick(page.findChild(QPushButton, "approveButton"), CLICK)
    qtbot.waitUntil(lambda: ui_ctx.app.approvals.get(middle.id).status == "approved")
    qtbot.waitUntil(lambda: middle.id not in [a.id for a in page.pending.rows()])
    qtbot.wait(100)  # the reload after the answer has been applied
    current = page.selected()
    assert current is not None and current.id == last.id
    qtbot.waitUntil(lambda: last.policy in page.pinned.heading.text(), timeout=5000)
    assert last.policy in page.findChild(QLabel, "approvalDetails").text()
    assert page.approve_button.isEnabled()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.comment, timeout=2000)


def test_the_shortcut_approves_and_moves_on(qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+Return approves the shown request and shows the next one."""
    page, ids = three_for_bob(qtbot, ui_ctx)
    sign_with_password(page.ui)
    second = page.pending.row(1)
    assert page.select(ids["POL-005"])
    page.activateWindow()
    page.comment.setFocus()
    qtbot.keyClick(page.comment, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: ui_ctx.app.approvals.get(ids["POL-005"]).status == "approved")
    qtbot.waitUntil(lambda: ids["POL-005"] not in [a.id for a in page.pending.rows()])
    qtbot.wait(100)
    current = page.selected()
    assert current is not None and current.id == second.id


def test_one_answer_for_three_requests_makes_three_signed_records(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+A, one sign dialog, one comment: each of the three requests gets its own signed
    approval by bob."""
    page, ids = three_for_bob(qtbot, ui_ctx)
    asked = sign_with_password(page.ui)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert sorted(page.chosen_ids()) == sorted(ids.values())
    assert "3 requests selected" in page.findChild(QLabel, "approvalDetails").text()
    page.comment.setPlainText("Read all three")
    qtbot.mouseClick(page.findChild(QPushButton, "approveButton"), CLICK)
    approvals = ui_ctx.app.approvals
    qtbot.waitUntil(
        lambda: all(approvals.get(i).status == "approved" for i in ids.values()), timeout=10_000
    )
    assert len(asked) == 1 and asked[0].what.startswith("Approve 3 requests")
    infos = [approvals.get(i) for i in ids.values()]
    signatures = [info.signature for info in infos]
    assert all(s is not None and s.signer == "bob" for s in signatures)
    assert len({s.id for s in signatures if s is not None}) == 3
    assert {info.comment for info in infos} == {"Read all three"}
    message = page.findChild(QLabel, "approvalsMessage")
    qtbot.waitUntil(lambda: message.text().startswith("Approved 3 of 3"), timeout=5000)


def test_a_refused_request_is_reported_and_the_others_are_answered(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """The admin answers three of bob's requests at once; the one the admin asked for himself
    (the demo's POL-005) is refused by segregation of duties and stays selected, the two
    others (texts alice wrote) are approved and signed."""
    admin = ui_ctx
    page = make_page(qtbot, ApprovalsPage(admin))
    sign_with_password(admin)
    for code in ("POL-101", "POL-102"):
        ui_ctx.app.policies.add("alice", code, f"Policy {code}", body="Text.", owner="alice")
        ui_ctx.app.policies.change_status("alice", code, "in_review")

    def bobs() -> dict[str, int]:
        return {a.policy: a.id for a in page.pending.rows() if a.approver == "bob"}

    qtbot.waitUntil(lambda: len(bobs()) == 3, timeout=10_000)
    ids = bobs()
    page.select_many(list(ids.values()))
    assert page.answering_for() == "bob"
    page.findChild(QLineEdit, "approvalReason").setText("bob is away, the board meets today")
    qtbot.mouseClick(page.findChild(QPushButton, "approveButton"), CLICK)
    approvals = ui_ctx.app.approvals
    error = page.findChild(QLabel, "approvalError")
    qtbot.waitUntil(lambda: "POL-005" in error.text(), timeout=10_000)
    assert approvals.get(ids["POL-101"]).status == approvals.get(ids["POL-102"]).status
    assert approvals.get(ids["POL-101"]).status == "approved"
    assert approvals.get(ids["POL-005"]).status == "pending"
    assert all(approvals.get(ids[c]).signature is not None for c in ("POL-101", "POL-102"))
    assert f"POL-005 v1 (approval {ids['POL-005']})" in error.text()
    assert "rule: segregation of duties" in error.text() and "POL-101" not in error.text()
    assert "Approved 2 of 3" in page.findChild(QLabel, "approvalsMessage").text()
    qtbot.waitUntil(lambda: page.chosen_ids() == [ids["POL-005"]], timeout=5000)
    qtbot.waitUntil(lambda: page.pending.find(ids["POL-101"]) < 0, timeout=5000)
    assert "rule: segregation of duties" in error.text()  # still beside what is left


def test_every_column_sorts_and_age_and_due_sort_in_both_directions(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """Clicking Due sorts by due date (none last), clicking again reverses; Age sorts oldest
    or youngest first; every column has a sort."""
    page, ids = three_for_bob(qtbot, ui_ctx)
    set_due(ui_ctx, {ids["POL-005"]: timedelta(days=2), ids["POL-003"]: timedelta(days=9)})
    set_due(ui_ctx, {ids["POL-009"]: timedelta(days=-1)})
    header = page.table.horizontalHeader()
    due, age = column(page, "Due"), column(page, "Age")

    def sorted_to(expected: list[str]) -> None:
        qtbot.waitUntil(lambda: policies(page) == expected, timeout=5000)

    header.setSortIndicator(due, ASC)
    sorted_to(["POL-009", "POL-005", "POL-003"])
    header.setSortIndicator(due, DESC)
    sorted_to(["POL-003", "POL-005", "POL-009"])
    header.setSortIndicator(age, ASC)  # youngest first
    sorted_to(["POL-009", "POL-003", "POL-005"])
    header.setSortIndicator(age, DESC)
    sorted_to(["POL-005", "POL-003", "POL-009"])
    for number in range(page.pending.columnCount()):
        header.setSortIndicator(number, ASC)
        qtbot.waitUntil(lambda: not page.reading, timeout=5000)
        assert page.pending_count() == 3 and not page.message.text()


def test_overdue_rows_are_tinted_and_say_how_late(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """An overdue request's Due cell reads "Overdue 3 days" on a tinted row (not colour
    alone); the SLA note stays; rows on time are not tinted."""
    page, ids = three_for_bob(qtbot, ui_ctx)
    set_due(ui_ctx, {ids["POL-003"]: timedelta(days=-3, hours=-1)})
    set_due(ui_ctx, {ids["POL-009"]: timedelta(days=4)})
    page.refresh()
    model = page.pending
    due = column(page, "Due")

    def due_cell() -> str:
        return str(model.data(model.index(model.find(ids["POL-003"]), due)))

    qtbot.waitUntil(lambda: "Overdue 3 days" in due_cell(), timeout=5000)
    row = model.find(ids["POL-003"])
    on_time = model.find(ids["POL-009"])
    assert model.data(model.index(row, 0), Qt.ItemDataRole.BackgroundRole) is not None
    assert model.data(model.index(on_time, 0), Qt.ItemDataRole.BackgroundRole) is None
    assert "Overdue" not in str(model.data(model.index(on_time, due)))
    assert "overdue 3 days" in model.row(row).note
    assert page.select(ids["POL-003"])
    assert "Overdue 3 days" in page.findChild(QLabel, "approvalDetails").text()


def test_open_with_overdue_and_waiting(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """open_with("overdue") lists only the overdue requests (the navigation count stays all
    that wait); open_with("waiting") lists them all again."""
    page, ids = three_for_bob(qtbot, ui_ctx)
    set_due(ui_ctx, {ids["POL-009"]: timedelta(days=-2)})
    counts: list[int] = []
    page.count_changed.connect(counts.append)
    page.open_with("overdue")
    qtbot.waitUntil(lambda: policies(page) == ["POL-009"], timeout=5000)
    assert "past their due time" in page.findChild(QLabel, "approvalsScope").text()
    assert not counts or counts[-1] == 3
    page.open_with("waiting")
    qtbot.waitUntil(lambda: page.pending_count() == 3, timeout=5000)


def test_text_and_diff_are_beside_the_buttons_at_1024x700(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """At 1024×700 the diff, the comment box and Approve/Reject are all on screen, the text
    to the left of the buttons."""
    page, ids = three_for_bob(qtbot, ui_ctx)
    page.resize(1024, 700)
    assert page.select(ids["POL-003"])
    qtbot.waitUntil(lambda: "POL-003" in page.pinned.heading.text(), timeout=5000)
    diff, approve = page.pinned.diff, page.approve_button
    for widget in (diff, page.comment, approve, page.reject_button):
        assert widget.isVisible() and widget.height() > 10
        corner = widget.mapTo(page, QPoint(widget.width(), widget.height()))
        assert corner.x() <= 1024 and corner.y() <= 700
    right_of_diff = diff.mapTo(page, QPoint(diff.width(), 0)).x()
    assert right_of_diff <= approve.mapTo(page, QPoint(0, 0)).x()
    assert diff.height() >= 120  # a readable amount of text
