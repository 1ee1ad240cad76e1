"""The policies page: filter, lifecycle moves, editing, adding, the selected policy's history."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton

from governance_desktop.domain.enums import PolicyStatus
from governance_desktop.domain.lifecycle import allowed_moves
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.policies.editor import move_button_name
from governance_desktop.ui.pages.policies.page import PoliciesPage
from tests.helpers.identity import signer
from tests.helpers.pages import make_page
from tests.ui.dialogs import answer_box
from tests.ui.signing import sign_dialog, sign_with_password

CLICK = Qt.MouseButton.LeftButton


def open_page(qtbot, ui: UiContext) -> PoliciesPage:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, PoliciesPage(ui))
    qtbot.waitUntil(lambda: page.model.rowCount() == 12, timeout=5000)
    return page


def select(qtbot, page: PoliciesPage, code: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: page.select_code(code), timeout=5000)
    qtbot.waitUntil(lambda: page.editor.policy is not None and page.editor.policy.code == code)


def test_models_pass_modeltester(qtbot, qtmodeltester, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """The register model, its filter proxy and the three detail models are valid Qt models."""
    page = open_page(qtbot, ui_ctx)
    select(qtbot, page, "POL-001")
    qtbot.waitUntil(lambda: page.details.events.rowCount() > 0, timeout=5000)
    for model in (page.model, page.details.executions, page.details.tasks,
                  page.details.events):  # fmt: skip
        qtmodeltester.check(model)
    assert page.findChild(object, "policiesTable").model() is page.model


def test_filter_as_you_type_narrows_the_table(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """Typing filters code/title/owner (in SQL) as you type; the status filter narrows further."""
    page = open_page(qtbot, ui_ctx)
    model = page.model
    box = page.findChild(QLineEdit, "policiesFilter")
    qtbot.keyClicks(box, "reten")
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=5000)
    qtbot.waitUntil(lambda: model.index(0, 0).data() == "POL-003", timeout=5000)
    box.clear()
    qtbot.keyClicks(box, "carol")  # owner
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=5000)
    status = page.findChild(QComboBox, "policiesStatusFilter")
    status.setCurrentIndex(status.findData(PolicyStatus.PUBLISHED.value))
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=5000)
    assert {model.index(r, 0).data() for r in range(model.rowCount())} == {"POL-007", "POL-011"}
    assert page.findChild(QLabel, "policiesCount").text() == "2 matching"


def test_status_moves_offered_equal_the_lifecycle(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """For a policy in each status, the move buttons are exactly the lifecycle's moves a
    person may ask for: never "approved", which only a met approval rule reaches."""
    page = open_page(qtbot, ui_ctx)
    for code in ("POL-003", "POL-004", "POL-005", "POL-006", "POL-007", "POL-008"):
        select(qtbot, page, code)
        status = PolicyStatus(page.editor.policy.status)  # type: ignore[union-attr]
        expected = [s.value for s in allowed_moves(status) if s is not PolicyStatus.APPROVED]
        assert page.editor.offered_moves() == expected
        for target in expected:
            assert page.findChild(QPushButton, move_button_name(target)) is not None


def test_move_through_the_ui_and_a_refused_move(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """A move button changes the policy (with its comment); a stale move shows the refusal."""
    page = open_page(qtbot, ui_ctx)
    asked = sign_with_password(ui_ctx)
    policies = ui_ctx.app.policies
    select(qtbot, page, "POL-009")
    page.findChild(QLineEdit, "statusComment").setText("ready for review")
    qtbot.mouseClick(page.findChild(QPushButton, move_button_name("in_review")), CLICK)
    qtbot.waitUntil(lambda: policies.get("POL-009").status == "in_review", timeout=5000)
    message = page.findChild(QLabel, "policyStatusMessage")
    qtbot.waitUntil(lambda: "is now In review" in message.text(), timeout=5000)
    # The embedded worker may already have run the move's workflow (its audit events are
    # newer), so find the move's own event rather than assume it is the newest.
    events = ui_ctx.app.audit.events("policy", "POL-009")
    moved = [e for e in events if e.action == "policy.status_changed"]
    assert len(moved) == 1
    assert moved[0].details["comment"] == "ready for review"

    select(qtbot, page, "POL-003")
    policies.change_status(  # behind the page's back
        ui_ctx.actor, "POL-003", "retired", signer=signer(ui_ctx.app, ui_ctx.actor)
    )
    qtbot.mouseClick(page.findChild(QPushButton, move_button_name("in_review")), CLICK)
    qtbot.waitUntil(lambda: "Not moved" in message.text(), timeout=5000)
    assert "cannot move from retired to in_review" in message.text()
    assert policies.get("POL-003").status == "retired"
    assert asked == []  # neither move is a signing act


def test_retire_is_signed_and_cancel_moves_nothing(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """Retire asks for a signature meaning "Retired" with the comment as its reason; Cancel
    in the sign dialog leaves the policy as it was."""
    page = open_page(qtbot, ui_ctx)
    policies = ui_ctx.app.policies
    select(qtbot, page, "POL-009")
    before = policies.get("POL-009").status
    answer_box("confirmMoveBox", "confirmMoveButton")
    qtbot.mouseClick(page.findChild(QPushButton, move_button_name("retired")), CLICK)
    dialog = sign_dialog(qtbot)
    assert "Retired" in dialog.findChild(QLabel, "signMeaning").text()
    dialog.reject()
    message = page.findChild(QLabel, "policyStatusMessage")
    qtbot.waitUntil(lambda: "not signed" in message.text(), timeout=5000)
    assert policies.get("POL-009").status == before

    asked = sign_with_password(ui_ctx)
    page.findChild(QLineEdit, "statusComment").setText("superseded by POL-010")
    answer_box("confirmMoveBox", "confirmMoveButton")
    qtbot.mouseClick(page.findChild(QPushButton, move_button_name("retired")), CLICK)
    qtbot.waitUntil(lambda: policies.get("POL-009").status == "retired", timeout=5000)
    assert [(a.what, a.meaning, a.reason) for a in asked] == [
        (f"Retire POL-009 v{policies.get('POL-009').version}", "Retired", "superseded by POL-010")
    ]
    signatures = ui_ctx.app.policy_versions.versions(ui_ctx.actor, "POL-009")[-1].signatures
    assert signatures[-1].meaning == "Retired" and signatures[-1].reason == "superseded by POL-010"


def test_editing_saves_and_shows_refusals(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """Save writes the changed fields; an invalid title is refused inline."""
    page = open_page(qtbot, ui_ctx)
    select(qtbot, page, "POL-009")
    qtbot.waitUntil(lambda: page.editor.owner.count() >= 4, timeout=5000)
    page.editor.title.setText("Remote and Hybrid Working Policy")
    page.editor.assignee.setCurrentText("carol")
    page.editor.interval.setValue(180)
    qtbot.mouseClick(page.findChild(QPushButton, "savePolicyButton"), CLICK)
    message = page.findChild(QLabel, "policyEditorMessage")
    qtbot.waitUntil(lambda: message.text().startswith("Saved"), timeout=5000)
    stored = ui_ctx.app.policies.get("POL-009")
    assert (stored.title, stored.assignee, stored.review_interval_days, stored.version) == (
        "Remote and Hybrid Working Policy",
        "carol",
        180,
        2,
    )
    page.editor.title.setText("   ")
    qtbot.mouseClick(page.findChild(QPushButton, "savePolicyButton"), CLICK)
    qtbot.waitUntil(lambda: message.text().startswith("Not saved"), timeout=5000)
    assert "title: must not be empty" in message.text()


def test_add_policy_selects_it(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """Add policy (code + title) creates a draft and selects it; a bad code is refused."""
    page = open_page(qtbot, ui_ctx)
    qtbot.mouseClick(page.findChild(QPushButton, "addPolicyButton"), CLICK)
    page.findChild(QLineEdit, "newPolicyCode").setText("bad code")
    page.findChild(QLineEdit, "newPolicyTitle").setText("Mobile Device Policy")
    qtbot.mouseClick(page.findChild(QPushButton, "createPolicyButton"), CLICK)
    note = page.findChild(QLabel, "newPolicyMessage")
    qtbot.waitUntil(lambda: "invalid code" in note.text(), timeout=5000)
    page.findChild(QLineEdit, "newPolicyCode").setText("POL-013")
    qtbot.mouseClick(page.findChild(QPushButton, "createPolicyButton"), CLICK)
    qtbot.waitUntil(lambda: page.selected_code() == "POL-013", timeout=5000)
    assert page.model.rowCount() == 13
    assert page.editor.offered_moves() == ["in_review", "retired"]


@pytest.mark.parametrize("who", ["bob", "erin"])
def test_roles_that_may_not_author_see_the_editor_read_only(qtbot, ui_ctx, who: str) -> None:  # type: ignore[no-untyped-def]
    """An approver or an auditor sees the fields, Save and the moves disabled, and why."""
    page = open_page(qtbot, replace(ui_ctx, actor=who))
    select(qtbot, page, "POL-003")
    editor = page.editor
    qtbot.waitUntil(lambda: editor.read_only_reason is not None, timeout=5000)
    assert not editor.title.isEnabled() and not editor.save_button.isEnabled()
    assert not editor.moves_box.isEnabled() and not page.add_button.isEnabled()
    assert "(rule: role)" in editor.message.text() and who in editor.message.text()


def test_an_officer_may_edit_and_move(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """alice (officer) gets the editor and the moves enabled, with no read-only note."""
    page = open_page(qtbot, replace(ui_ctx, actor="alice"))
    select(qtbot, page, "POL-003")
    qtbot.waitUntil(lambda: page.editor.save_button.isEnabled(), timeout=5000)
    assert page.editor.moves_box.isEnabled() and page.editor.read_only_reason is None
    assert page.add_button.isEnabled()
