"""The approval SLA: an overdue approval reminds its approver once, then escalates once to the
step's escalate_to or the admins; the sweep is idempotent and audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from governance_desktop.app import AppContext
from governance_desktop.services.escalation import overdue_days
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.workflows import drain


def _overdue_flow(eng: AppContext, install: Callable[..., None], **step: Any) -> datetime:
    """bob is asked to approve POL-001 within 2 days; returns the due instant."""
    approval = {"type": "approval", "approvers": ["bob"], "rule": "any", "due_in_days": 2}
    install(
        {
            "schema_version": 1,
            "name": "Approve",
            "trigger": {"type": "on_status_change", "to_status": "in_review"},
            "actions": [{**approval, **step}],
        }
    )
    eng.policies.change_status("alice", "POL-001", "in_review")
    drain(eng)
    [row] = eng.approvals.list(approver="bob")
    assert row.due_at is not None
    return row.due_at


def _titles(eng: AppContext, user: str) -> list[str]:
    return [n.title for n in eng.inbox.notifications(user)]


def test_overdue_notifies_once_then_escalates_once_to_the_named_user(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """Past due: bob is reminded once; 3 days later carol (escalate_to) is told once."""
    due = _overdue_flow(eng, install, escalate_after_days=3, escalate_to="carol")
    [approval] = eng.approvals.list(approver="bob")
    assert eng.escalation.sweep(due - timedelta(hours=1)).notified == []
    first = eng.escalation.sweep(due + timedelta(hours=1))
    assert (first.notified, first.escalated) == ([approval.id], [])
    assert eng.escalation.sweep(due + timedelta(hours=2)).notified == []
    assert _titles(eng, "bob") == [f"approval {approval.id} for POL-001 is overdue"]
    assert _titles(eng, "carol") == []

    assert eng.escalation.sweep(due + timedelta(days=2, hours=23)).escalated == []
    later = eng.escalation.sweep(due + timedelta(days=3, hours=1))
    assert (later.notified, later.escalated) == ([], [approval.id])
    again = eng.escalation.sweep(due + timedelta(days=9))
    assert (again.notified, again.escalated) == ([], [])
    [escalated] = _titles(eng, "carol")
    assert escalated.startswith(f"escalated: approval {approval.id} for POL-001 is overdue")
    assert len(_titles(eng, "bob")) == 1 and _titles(eng, ME) == []

    actions = [e.action for e in eng.audit.events(entity_id="POL-001")]
    assert actions.count("approval.overdue") == 1 and actions.count("approval.escalated") == 1
    event = next(e for e in eng.audit.events() if e.action == "approval.escalated")
    assert event.actor == "scheduler"
    assert event.details["notified"] == ["carol"] and event.details["approver"] == "bob"


def test_escalation_goes_to_every_admin_when_no_one_is_named(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """Without escalate_to, every active admin hears of the waiting approval."""
    eng.users.add(ME, "erin", "Erin", "admin")  # type: ignore[arg-type]
    due = _overdue_flow(eng, install, escalate_after_days=1)
    report = eng.escalation.sweep(due + timedelta(days=1, hours=1))
    assert len(report.notified) == len(report.escalated) == 1  # both at once after a gap
    for admin in (ME, "erin"):
        assert len(_titles(eng, admin)) == 1
    assert _titles(eng, "carol") == []
    [row] = eng.approvals.list(approver="bob")
    assert row.overdue_days == overdue_days(row.due_at, datetime.now().astimezone())


def test_no_escalation_without_escalate_after_days(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """A step without escalate_after_days reminds the approver and stops there."""
    due = _overdue_flow(eng, install)
    assert len(eng.escalation.sweep(due + timedelta(hours=1)).notified) == 1
    assert eng.escalation.sweep(due + timedelta(days=400)).escalated == []


def test_answered_approvals_are_not_chased(eng: AppContext, install: Callable[..., None]) -> None:
    """Once answered, an approval is never reminded nor escalated."""
    due = _overdue_flow(eng, install, escalate_after_days=1)
    eng.approvals.approve(
        eng.approvals.list(approver="bob")[0].id, "bob", signer=signer(eng, "bob")
    )
    report = eng.escalation.sweep(due + timedelta(days=5))
    assert (report.notified, report.escalated) == ([], [])
