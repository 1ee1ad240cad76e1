"""The Users page on demo data: the table, an admin's add / role / deactivate through the
page, refusals shown beside the buttons, and a read-only page for anyone else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.users.dialogs import DeactivateDialog
from governance_desktop.ui.pages.users.page import UsersPage
from tests.helpers.actors import ME
from tests.helpers.pages import make_page
from tests.ui.signing import sign_with_password


def _open(qtbot, ui: UiContext) -> UsersPage:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, UsersPage(ui), 900, 500)
    page.signed_acts = sign_with_password(ui)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: page.model.rowCount() == 6, timeout=5000)
    return page


@pytest.fixture
def page(qtbot, ui_ctx: UiContext) -> UsersPage:  # type: ignore[no-untyped-def]
    return _open(qtbot, ui_ctx)


@pytest.fixture
def officer_ui(ui_ctx: UiContext) -> Iterator[UiContext]:
    ui_ctx.actor = "alice"
    yield ui_ctx
    ui_ctx.actor = ME


def _row(page: UsersPage, username: str) -> list[str]:
    row = page.model.row_of(username)
    return [page.model.index(row, c).data() for c in range(page.model.columnCount())]


def test_admin_adds_changes_role_and_deactivates(page: UsersPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Each act updates the table; deactivating greys the user and disables its buttons."""
    assert _row(page, "erin")[:4] == ["Erin Walsh", "erin", "auditor", "active"]
    assert page.add_button.isEnabled()
    page.add_user("frank", "Frank Ode", "approver")
    qtbot.waitUntil(lambda: page.model.row_of("frank") >= 0, timeout=5000)
    qtbot.waitUntil(lambda: page.findChild(QMessageBox, "initialPassword") is not None)
    box = page.findChild(QMessageBox, "initialPassword")
    assert len(box.informativeText()) >= 8 and "frank" in box.windowTitle()
    assert page.message.text() == "Added frank (approver)."
    assert page.ui.app.identity.must_change("frank")  # shown once, changed at first use
    page.change_role("frank", "admin")
    qtbot.waitUntil(lambda: _row(page, "frank")[2] == "admin", timeout=5000)
    page.deactivate("carol", "dave")
    qtbot.waitUntil(lambda: _row(page, "carol")[3].startswith("deactivated "), timeout=5000)
    assert "Deactivated carol; moved to dave" in page.message.text()
    acts = page.signed_acts  # type: ignore[attr-defined]
    assert [a.meaning for a in acts] == ["Deactivated user"]
    page.table.selectRow(page.model.row_of("carol"))
    assert not page.deactivate_button.isEnabled() and not page.role_button.isEnabled()


def test_refusals_are_shown_beside_the_buttons(page: UsersPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The last admin's demotion and a reassignment to an officer: one line, in the label."""
    page.change_role(ME, "officer")
    qtbot.waitUntil(lambda: "(rule: last admin)" in page.message.text(), timeout=5000)
    assert page.message.is_error and "color:" in page.message.styleSheet()
    page.add_user("bad name", "", "officer")
    qtbot.waitUntil(lambda: "invalid username" in page.message.text(), timeout=5000)
    assert _row(page, ME)[2] == "admin"


def test_deactivate_dialog_offers_active_users_only(page: UsersPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The reassign-to picker lists the other active users."""
    page.deactivate("carol", "bob")
    qtbot.waitUntil(lambda: _row(page, "carol")[3].startswith("deactivated"), timeout=5000)
    bob = page.model.row_at(page.model.row_of("bob"))
    assert bob is not None
    dialog = DeactivateDialog(bob, page.model.rows(), page)
    qtbot.addWidget(dialog)
    offered = [dialog.reassign_to.itemData(i) for i in range(dialog.reassign_to.count())]
    assert sorted(offered) == sorted(["alice", "dave", "erin", ME])


def test_officer_sees_the_page_read_only(qtbot, officer_ui: UiContext) -> None:  # type: ignore[no-untyped-def]
    """For an officer every button is disabled and the label says why; the service refuses
    the act anyway (rule: role)."""
    page = _open(qtbot, officer_ui)
    qtbot.waitUntil(lambda: "Read-only" in page.read_only.text(), timeout=5000)
    assert page.read_only.isVisible()
    page.table.selectRow(page.model.row_of("bob"))
    buttons = (page.add_button, page.role_button, page.deactivate_button)
    assert not any(b.isEnabled() for b in buttons)
    page.change_role("bob", "admin")
    qtbot.waitUntil(lambda: "(rule: role)" in page.message.text(), timeout=5000)
    assert _row(page, "bob")[2] == "approver"


def test_message_clears_at_the_next_selection(page: UsersPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A refusal no longer applies once another row is chosen: the line clears; a reload
    that keeps the selection does not clear it."""
    page.table.selectRow(page.model.row_of("bob"))
    page.change_role(ME, "officer")
    qtbot.waitUntil(lambda: "(rule: last admin)" in page.message.text(), timeout=5000)
    page.refresh()  # re-selects bob: not a person's choice
    qtbot.waitUntil(lambda: not page.reading, timeout=5000)
    assert "(rule: last admin)" in page.message.text()
    page.table.selectRow(page.model.row_of("erin"))
    assert page.message.text() == "" and not page.message.is_error


def test_a_refusal_shows_in_the_form_that_asked(page: UsersPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Add user with a bad name: the form stays open with the rule under its fields, the
    next keystroke clears it, and a good name closes the form and adds the user."""
    page.choose_add()
    form = page.form
    assert form is not None and form.isVisible()
    qtbot.keyClicks(form.username, "bad name")
    form.accept()
    qtbot.waitUntil(lambda: "invalid username" in form.error.text(), timeout=5000)
    assert form.isVisible() and page.message.text() == ""
    form.username.clear()
    qtbot.keyClicks(form.username, "gail")
    assert form.error.text() == ""
    form.accept()
    qtbot.waitUntil(lambda: page.model.row_of("gail") >= 0, timeout=5000)
    assert page.form is None or not page.form.isVisible()


def test_columns_fit_their_content(page: UsersPage) -> None:
    """Name comes first and no column cuts its widest cell."""
    assert page.model.headerData(0, Qt.Orientation.Horizontal) == "Name"
    header = page.table.horizontalHeader()
    for column in range(page.model.columnCount() - 1):
        assert header.sectionSize(column) >= page.table.sizeHintForColumn(column)
