"""The Audit page shows `audit verify`'s warning about an event dated before its predecessor
(the clock was put back), while still reporting the chain intact."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton
from sqlalchemy import insert, select

from governance_desktop.services.audit import event_hash
from governance_desktop.store.models import AuditEvent
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.audit.page import AuditPage


def _append_backwards(ui_ctx: UiContext) -> int:
    """Append a correctly chained event dated a day before the current head."""
    with ui_ctx.app.db.transaction() as session:
        head = session.execute(
            select(AuditEvent.hash, AuditEvent.occurred_at).order_by(AuditEvent.id.desc()).limit(1)
        ).one()
        at = head.occurred_at - timedelta(days=1)
        digest = event_hash(head.hash, at, "alice", "clock.back", "policy", "POL-001", {})
        row = session.execute(
            insert(AuditEvent).values(
                occurred_at=at,
                actor="alice",
                action="clock.back",
                entity_type="policy",
                entity_id="POL-001",
                details={},
                prev_hash=head.hash,
                hash=digest,
            )
        )
        return int(row.inserted_primary_key[0])


def test_verify_shows_the_backwards_time_warning(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Chain intact, plus a warning naming the event whose time went back."""
    back = _append_backwards(ui_ctx)
    page = AuditPage(ui_ctx)
    qtbot.addWidget(page)
    page.show()
    result = page.findChild(QLabel, "auditVerifyResult")
    qtbot.mouseClick(page.findChild(QPushButton, "verifyAuditButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Chain intact" in result.text(), timeout=10000)
    assert "1 warning(s)" in result.text() and f"event {back} is dated" in result.text()
    assert f"event {back} is dated" in result.toolTip()
    page.hide()
