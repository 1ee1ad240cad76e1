"""The approvals inbox shows the SLA: a delegate sees the delegator's request with "delegated
by bob until …", "overdue N days" and "escalated", and answering it records the delegation."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from sqlalchemy import update

from governance_desktop.app import open_app
from governance_desktop.config import load_settings
from governance_desktop.domain.clock import local_date, utc_now
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store.models import WorkflowApproval
from governance_desktop.ui.pages.approvals.page import PENDING_COLUMNS, ApprovalsPage
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.pages import make_page
from tests.helpers.workflows import drain, workflow
from tests.ui.signing import sign_with_password


@pytest.fixture
def demo_dir(data_dir: Path) -> Path:
    """bob's request for POL-003, due three days ago and escalated; bob delegated to carol
    until the day after tomorrow."""
    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        for name, role in (("alice", "officer"), ("bob", "approver"), ("carol", "approver")):
            ctx.users.add(ME, name, name.title(), role)  # type: ignore[arg-type]
        ctx.policies.add(ME, "POL-003", "Data Retention Policy", owner="alice")
        step = {"type": "approval", "approvers": ["bob"], "due_in_days": 1}
        definition = workflow("SLA", [{**step, "escalate_after_days": 1}])
        ctx.workflows.import_definitions(
            ME, [DefinitionSource("sla.json", data=definition)], signer=signer(ctx, ME)
        )
        ctx.policies.change_status("alice", "POL-003", "in_review")
        drain(ctx)
        now = utc_now()
        with ctx.db.transaction() as session:
            session.execute(update(WorkflowApproval).values(due_at=now - timedelta(days=3)))
        assert ctx.escalation.sweep(now).escalated
        today = local_date(now)
        ctx.delegations.delegate("bob", "carol", today, today + timedelta(days=2), "on leave")
    finally:
        ctx.close()
    return data_dir


def test_delegate_sees_the_note_and_answers_for_bob(qtbot, qtmodeltester, ui_ctx) -> None:  # type: ignore[no-untyped-def]
    """carol's inbox lists bob's request with its note; her approval is recorded for bob."""
    carol = replace(ui_ctx, actor="carol")
    page = make_page(qtbot, ApprovalsPage(carol))
    sign_with_password(carol)
    qtbot.waitUntil(lambda: page.pending_count() == 1, timeout=5000)
    item = page.pending.row(0)
    until = local_date(utc_now()) + timedelta(days=2)
    assert item.approver == "bob"
    assert item.note.startswith(f"delegated by bob until {until.day} {until:%b} · overdue ")
    assert item.note.endswith(" days · escalated")
    note_column = [title for title, _ in PENDING_COLUMNS].index("Note")
    shown = page.pending.data(page.pending.index(0, note_column), Qt.ItemDataRole.DisplayRole)
    assert shown == item.note
    qtmodeltester.check(page.pending)

    assert page.select(item.id)
    qtbot.mouseClick(page.findChild(QPushButton, "approveButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(a.id == item.id for a in page.answered.rows()), timeout=5000)
    answered = next(a for a in page.answered.rows() if a.id == item.id)
    assert (answered.responded_by, answered.delegated_from) == ("carol", "bob")
    assert answered.note == "answered for bob"
