"""The policies page keeps work and says what moves do: the unsaved-edits prompt, the
confirmation of final moves, running a manual workflow, pickers that follow the user list,
the tiles' views, status dots on light and dark palettes, and a register past the old cap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QPushButton
from sqlalchemy import update

from governance_desktop.domain.clock import local_date, utc_now
from governance_desktop.domain.enums import PolicyStatus
from governance_desktop.services.changes import Changes
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store.models import Policy
from governance_desktop.ui.pages.policies.editor import move_button_name
from governance_desktop.ui.pages.policies.models import STATUS_COLOURS, status_dot
from governance_desktop.ui.pages.policies.page import PoliciesPage
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.pages import make_page
from tests.helpers.register import seed_policies
from tests.helpers.workflows import workflow
from tests.ui.dialogs import answer_box
from tests.ui.signing import sign_with_password

Button = QMessageBox.StandardButton
LEFT = Qt.MouseButton.LeftButton


def open_page(qtbot, ui) -> PoliciesPage:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, PoliciesPage(ui))
    qtbot.waitUntil(lambda: page.model.rowCount() >= 12 and page.editor.policy is not None)
    return page


def show(qtbot, page: PoliciesPage, code: str) -> None:  # type: ignore[no-untyped-def]
    page.select_code(code)
    qtbot.waitUntil(lambda: page.selected_code() == code and page.editor.policy.body is not None)  # type: ignore[union-attr]


def click_row(page: PoliciesPage, code: str) -> None:
    row = page.model.find_loaded(code)
    assert row >= 0
    page.table.selectRow(row)


@pytest.mark.parametrize("answer", [Button.Save, Button.Discard, Button.Cancel])
def test_unsaved_edits_prompt_when_another_row_is_clicked(qtbot, ui_ctx, answer) -> None:  # type: ignore[no-untyped-def]
    """Typed edits and another row clicked: Save stores them and moves on, Discard drops them
    and moves on, Cancel stays on the policy with the edits (before: they vanished)."""
    page = open_page(qtbot, ui_ctx)
    show(qtbot, page, "POL-009")
    page.editor.title.setText("Typed but not saved")
    seen = answer_box("unsavedChangesBox", answer)
    click_row(page, "POL-001")
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert "POL-009" in seen[0]
    stored = ui_ctx.app.policies.get("POL-009").title
    if answer == Button.Cancel:
        assert page.selected_code() == "POL-009"
        assert page.editor.title.text() == "Typed but not saved"
        qtbot.waitUntil(
            lambda: page.table.currentIndex().row() == page.model.find_loaded("POL-009")
        )
        assert stored != "Typed but not saved"
        return
    qtbot.waitUntil(lambda: page.selected_code() == "POL-001", timeout=5000)
    qtbot.waitUntil(
        lambda: (
            (ui_ctx.app.policies.get("POL-009").title == "Typed but not saved")
            == (answer == Button.Save)
        ),
        timeout=5000,
    )


def test_retire_confirms_naming_what_happens(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """Retire asks first, naming the policy and what ends; Cancel moves nothing (before: one
    click retired it)."""
    page = open_page(qtbot, ui_ctx)
    asked = sign_with_password(ui_ctx)
    show(qtbot, page, "POL-009")
    seen = answer_box("confirmMoveBox", Button.Cancel)
    qtbot.mouseClick(page.findChild(QPushButton, move_button_name("retired")), LEFT)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen[0].startswith("Retire POL-009?")
    assert "open runs are cancelled" in seen[0] and "cannot be undone" in seen[0]
    assert "Not moved" in page.findChild(QLabel, "policyStatusMessage").text()
    assert asked == [] and ui_ctx.app.policies.get("POL-009").status != "retired"
    answer_box("confirmMoveBox", "confirmMoveButton")
    qtbot.mouseClick(page.findChild(QPushButton, move_button_name("retired")), LEFT)
    qtbot.waitUntil(lambda: ui_ctx.app.policies.get("POL-009").status == "retired", timeout=5000)


def test_run_workflow_on_this_policy_starts_a_run(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """ "Run workflow on this policy…" offers the enabled manual workflows; Run starts one on
    the selected policy with the real engine, and the run appears in its details."""
    step = {"type": "notify", "users": ["alice"], "title": "Look at {policy.code}"}
    data = workflow("Ad hoc check", [step], trigger={"type": "manual"})
    ui_ctx.app.workflows.import_definitions(
        ME, [DefinitionSource("adhoc.json", data=data)], signer=signer(ui_ctx.app, ME)
    )
    page = open_page(qtbot, ui_ctx)
    show(qtbot, page, "POL-003")
    qtbot.waitUntil(page.run_button.isEnabled, timeout=5000)
    qtbot.mouseClick(page.run_button, LEFT)
    qtbot.waitUntil(lambda: page.run_workflow.dialog is not None, timeout=5000)
    dialog = page.run_workflow.dialog
    assert dialog is not None
    names = [dialog.choice.itemData(i) for i in range(dialog.choice.count())]
    assert "Ad hoc check" in names  # the demo's own workflows are triggered by events
    dialog.choice.setCurrentIndex(names.index("Ad hoc check"))
    qtbot.mouseClick(dialog.run_button, LEFT)
    qtbot.waitUntil(lambda: "Started 'Ad hoc check' on POL-003" in page.message.text())
    runs = ui_ctx.app.monitor.executions(entity="POL-003")
    assert any(r.workflow == "Ad hoc check" for r in runs)
    qtbot.waitUntil(
        lambda: any(e.workflow == "Ad hoc check" for e in page.details.executions._rows),
        timeout=10_000,
    )


def test_owner_and_assignee_pickers_follow_new_users(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """A user added while the page is open appears in both pickers once USERS changes arrive,
    and the pickers complete as you type (before: loaded once)."""
    page = open_page(qtbot, ui_ctx)
    owner, assignee = (
        page.findChild(object, "policyOwner"),
        page.findChild(object, "policyAssignee"),
    )
    assert owner.findText("zoe") < 0
    ui_ctx.app.users.add(ME, "zoe", "Zoe Park")
    ui_ctx.bridge.announce(Changes.USERS)
    qtbot.waitUntil(lambda: owner.findText("zoe") >= 0 and assignee.findText("zoe") >= 0)
    assert owner.isEditable() and owner.completer() is not None


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ("status:published", None),
        ("review:overdue", {"POL-011"}),
        ("review:due", {"POL-007"}),
    ],
)
def test_open_with_views(qtbot, ui_ctx, view: str, expected: set[str] | None) -> None:  # type: ignore[no-untyped-def]
    """The home page's views: a status, reviews due within 30 days, reviews overdue (local
    calendar dates)."""
    today = local_date(utc_now())
    with ui_ctx.app.db.transaction() as session:
        for code, day in (
            ("POL-007", today + timedelta(days=10)),
            ("POL-011", today - timedelta(days=1)),
        ):
            session.execute(update(Policy).where(Policy.code == code).values(next_review_date=day))

    def wanted() -> set[str]:  # the embedded worker may still be moving demo policies
        if expected is not None:
            return expected
        return {p.code for p in ui_ctx.app.policies.list(status=PolicyStatus.PUBLISHED)}

    page = open_page(qtbot, ui_ctx)
    page.open_with(view)
    qtbot.waitUntil(lambda: bool(page.model.filter.status or page.model.filter.review))
    qtbot.waitUntil(
        lambda: (
            not page.model.loading
            and {page.model.index(r, 0).data() for r in range(page.model.rowCount())} == wanted()
        ),
        timeout=5000,
    )


def _contrast(a: QColor, b: QColor) -> float:
    def lum(c: QColor) -> float:
        def lin(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF())

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("base", ["#ffffff", "#f0f0f0", "#2d2d2d", "#1e1e1e", "#353535"])
def test_every_status_dot_stands_out_from_the_base(qapp, base: str) -> None:  # type: ignore[no-untyped-def]
    """Each dot has pixels at 3:1 contrast or more against the palette's base colour, light
    and dark (before: the retired dot vanished on a dark palette)."""
    old = QGuiApplication.palette()
    palette = QPalette(old)
    palette.setColor(QPalette.ColorRole.Base, QColor(base))
    QApplication.setPalette(palette)
    try:
        for status in STATUS_COLOURS:
            icon = status_dot(status)
            assert icon is not None
            image = icon.pixmap(10, 10).toImage()
            best = 0.0
            for x in range(image.width()):
                for y in range(image.height()):
                    pixel = image.pixelColor(x, y)
                    if pixel.alpha() > 200:
                        best = max(best, _contrast(pixel, QColor(base)))
            assert best >= 3.0, f"{status} dot on {base}: {best:.2f}"
    finally:
        QApplication.setPalette(old)


def test_a_register_past_the_old_cap_shows_every_row(qtbot, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """3,000 policies more: the page shows all 3,012 (before: 2,000) and holds few of them."""
    seed_policies(ui_ctx.app.db, 3000)
    page = make_page(qtbot, PoliciesPage(ui_ctx))
    qtbot.waitUntil(lambda: page.model.rowCount() == 3012, timeout=10_000)
    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: page.model.row_item(3011) is not None, timeout=10_000)
    assert page.model.loaded_rows() < 3000
