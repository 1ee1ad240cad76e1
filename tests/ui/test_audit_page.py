"""The audit page: lazy filtered table, live appends, chain verification, CSV export."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from governance_desktop.services.changes import Changes
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.audit.model import C_ID, AuditModel
from governance_desktop.ui.pages.audit.page import AuditPage
from tests.helpers.actors import ME
from tests.helpers.pages import make_page
from tests.helpers.rawdb import past_the_triggers

CLICK = Qt.MouseButton.LeftButton


def _page(ui_ctx: UiContext, qtbot) -> AuditPage:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, AuditPage(ui_ctx), 1000, 600)
    qtbot.waitUntil(lambda: not page.model.loading and page.model.rowCount() > 0, timeout=5000)
    return page


def _rows(page: AuditPage) -> list:  # type: ignore[type-arg]
    return [page.model.row_item(r) for r in range(page.model.rowCount())]


def test_audit_model_passes_modeltester(ui_ctx: UiContext, qtbot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    """The audit model over the demo trail is a valid Qt item model, newest first."""
    model = AuditModel(ui_ctx.app.audit_pages, ui_ctx.background)
    model.reload()
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() > 0, timeout=5000)
    qtmodeltester.check(model)
    ids = [int(model.index(r, C_ID).data()) for r in range(model.rowCount())]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(ui_ctx.app.audit.events())


def test_filters_narrow_the_rows(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Entity, action and actor filters each leave only matching events."""
    page = _page(ui_ctx, qtbot)
    total = page.model.rowCount()
    page.findChild(QLineEdit, "auditFilterEntity").setText("pol-003")
    qtbot.waitUntil(
        lambda: (
            0 < page.model.rowCount() < total
            and all(e and e.entity_id == "POL-003" for e in _rows(page))
        ),
        timeout=5000,
    )
    page.findChild(QLineEdit, "auditFilterAction").setText("created")
    qtbot.waitUntil(
        lambda: [e.action for e in _rows(page) if e] == ["policy.created"], timeout=5000
    )
    page.findChild(QLineEdit, "auditFilterActor").setText("nobody")
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=5000)
    page.hide()


def test_new_events_appear_at_the_top(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A change made elsewhere is prepended without reloading the table."""
    page = _page(ui_ctx, qtbot)
    before = page.model.rowCount()
    generation = page.model.generation
    ui_ctx.app.policies.change_status(ME, "POL-009", "in_review")
    ui_ctx.bridge.announce(Changes.POLICIES)
    qtbot.waitUntil(lambda: page.model.rowCount() > before, timeout=10000)
    top = page.model.row_item(0)
    assert top is not None and top.entity_id == "POL-009"
    assert page.model.generation == generation
    page.hide()


def test_verify_detects_a_tampered_event(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Verify reports an intact chain, then names the event edited behind the app's back."""
    page = _page(ui_ctx, qtbot)
    button = page.findChild(QPushButton, "verifyAuditButton")
    result = page.findChild(QLabel, "auditVerifyResult")
    qtbot.mouseClick(button, CLICK)
    qtbot.waitUntil(lambda: "Chain intact" in result.text(), timeout=10000)
    assert f"{len(ui_ctx.app.audit.events()):,} events" in result.text()
    with past_the_triggers(ui_ctx.app) as db:
        db.execute("UPDATE audit_events SET actor = 'mallory' WHERE id = 7")
    qtbot.mouseClick(button, CLICK)
    qtbot.waitUntil(lambda: "Event 7" in result.text(), timeout=10000)
    assert "changed after it was written" in result.text()
    page.hide()


def test_export_csv_off_the_gui_thread(ui_ctx: UiContext, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Export writes the CSV and its head-hash file and says so in the page."""
    page = _page(ui_ctx, qtbot)
    target = tmp_path / "audit.csv"
    page.export_to(target)
    message = page.findChild(QLabel, "auditMessage")
    qtbot.waitUntil(lambda: message.text().startswith("Exported"), timeout=10000)
    assert "chain intact" in message.text()
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("id,occurred_at,actor") and len(lines) > 10
    assert (tmp_path / "audit.csv.chain.txt").exists()
    page.hide()


def test_verify_with_a_kept_head_detects_truncation(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """With the head hash from an earlier export, removing the newest event is caught."""
    page = _page(ui_ctx, qtbot)
    kept = ui_ctx.app.audit.verify().head_hash
    page.findChild(QLineEdit, "auditAnchor").setText(kept)
    button = page.findChild(QPushButton, "verifyAuditButton")
    result = page.findChild(QLabel, "auditVerifyResult")
    qtbot.mouseClick(button, CLICK)
    qtbot.waitUntil(lambda: "kept head hash is in it" in result.text(), timeout=10000)
    with past_the_triggers(ui_ctx.app) as db:
        db.execute("DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)")
    qtbot.mouseClick(button, CLICK)
    qtbot.waitUntil(lambda: "no longer in the trail" in result.text(), timeout=10000)
    page.hide()


def test_export_refuses_the_data_folder(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The window's export goes through the same checks: governance.db is refused in one line
    and the database is untouched."""
    page = _page(ui_ctx, qtbot)
    db_file = ui_ctx.app.settings.data_dir / "governance.db"
    before = db_file.read_bytes()[:100]
    page.export_to(db_file)
    message = page.findChild(QLabel, "auditMessage")
    qtbot.waitUntil(lambda: message.text().startswith("⚠"), timeout=10000)
    assert "inside the data folder" in message.text() and "\n" not in message.text()
    assert db_file.read_bytes()[:100] == before and ui_ctx.app.audit.verify().ok
    page.hide()


def test_verify_checks_signatures_and_names_a_forged_approval(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Verify in the window checks every signature too: an approval answered in the file
    behind the app's back (hash chain recomputed, so the chain alone looks intact) is named
    by id."""
    from tests.helpers.tamper import rechain

    page = _page(ui_ctx, qtbot)
    button = page.findChild(QPushButton, "verifyAuditButton")
    result = page.findChild(QLabel, "auditVerifyResult")
    qtbot.mouseClick(button, CLICK)
    qtbot.waitUntil(lambda: "signatures verified" in result.text(), timeout=10000)
    with past_the_triggers(ui_ctx.app) as db:
        forged = db.execute(
            "SELECT id FROM workflow_approvals WHERE status = 'pending' ORDER BY id LIMIT 1"
        ).fetchone()[0]
        db.execute(
            "UPDATE workflow_approvals SET status = 'approved', responded_by = approver,"
            " responded_at = requested_at WHERE id = ?",
            (forged,),
        )
    rechain(ui_ctx.app)
    assert ui_ctx.app.audit.verify().ok  # the chain alone cannot tell
    qtbot.mouseClick(button, CLICK)
    qtbot.waitUntil(lambda: "✘" in result.text(), timeout=10000)
    assert f"approval {forged}: answered without a valid signature" in result.toolTip()
    page.hide()
