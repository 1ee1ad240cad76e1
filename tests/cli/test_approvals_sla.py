"""Delegation and the overdue sweep from the command line: `approvals delegate`,
`delegations`, `revoke-delegation`, `escalate`, and what `approvals list --json` shows."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from governance_desktop.app import open_app
from governance_desktop.config import load_settings
from governance_desktop.domain.clock import local_date, utc_now
from governance_desktop.store.models import WorkflowApproval

WORKFLOW = {
    "schema_version": 1,
    "name": "Approval with SLA",
    "trigger": {"type": "on_status_change", "to_status": "in_review"},
    "actions": [
        {
            "type": "approval",
            "approvers": ["bob"],
            "rule": "any",
            "due_in_days": 1,
            "escalate_after_days": 2,
        }
    ],
}


NOTHING = "overdue approvals: 0 approver(s) reminded, 0 escalated"


def _bob_asked(cli, tmp_path: Path) -> int:  # type: ignore[no-untyped-def]
    """alice (officer), bob and carol (approvers), POL-003 and WORKFLOW; alice puts POL-003
    in review; bob's request."""
    for name, role in (("alice", "officer"), ("bob", "approver"), ("carol", "approver")):
        assert cli("users", "add", name, "--role", role).code == 0
    assert cli("policies", "add", "POL-003", "--title", "Data Retention Policy").code == 0
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(WORKFLOW), encoding="utf-8")
    assert cli("workflows", "import", str(path)).code == 0
    assert cli("policies", "set-status", "POL-003", "in_review", actor="alice").code == 0
    assert cli("worker", "--burst").code == 0
    [pending] = cli("approvals", "list", "--mine", "--json", actor="bob").json()
    return int(pending["id"])


def test_delegate_list_answer_and_revoke(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """bob delegates to carol; carol answers for bob; the list names both; revoke ends it."""
    approval = _bob_asked(cli, tmp_path)
    today = local_date(utc_now())
    until = today + timedelta(days=3)
    made = cli(
        "approvals", "delegate", "--to", "carol", "--from", str(today), "--until", str(until),
        "--reason", "on leave", actor="bob",
    )  # fmt: skip
    assert made.code == 0, made.err
    assert made.out.strip() == (
        f"delegation 1: carol answers bob's approvals from {today} to {until}"
    )
    [row] = cli("approvals", "delegations", "--json").json()
    assert {k: row[k] for k in ("id", "delegator", "delegate", "state", "reason")} == {
        "id": 1,
        "delegator": "bob",
        "delegate": "carol",
        "state": "active",
        "reason": "on leave",
    }
    assert (row["starts_on"], row["ends_on"]) == (str(today), str(until))

    [listed] = cli("approvals", "list", "--json").json()
    assert {"delegated_from", "due_at", "overdue_days"} <= set(listed)
    assert listed["overdue_days"] is None and listed["due_at"] is not None
    ok = cli("approvals", "approve", str(approval), "--comment", "for bob", actor="carol")
    assert ok.code == 0, ok.err
    [answered] = cli("approvals", "list", "--json").json()
    assert (answered["delegated_from"], answered["responded_by"]) == ("bob", "carol")

    refused = cli("approvals", "revoke-delegation", "1", actor="carol")
    assert refused.code == 1 and "(rule: role)" in refused.err
    assert cli("approvals", "revoke-delegation", "1", actor="bob").code == 0
    assert cli("approvals", "delegations", "--json").json()[0]["state"] == "revoked"
    trail = cli("audit", "export", str(tmp_path / "audit.csv"))
    assert trail.code == 0, trail.err
    text = (tmp_path / "audit.csv").read_text(encoding="utf-8")
    assert "delegation.created" in text and "delegation.revoked" in text


def test_bad_delegations_are_one_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An officer as delegate, a bad date: one line naming the rule or value, exit 1."""
    _bob_asked(cli, tmp_path)
    today = str(local_date(utc_now()))
    officer = cli(
        "approvals", "delegate", "--to", "alice", "--from", today, "--until", today, actor="bob"
    )
    assert officer.code == 1 and officer.err.count("\n") == 1
    assert "cannot delegate to 'alice'" in officer.err and "(rule: role)" in officer.err
    for_bob = cli(
        "approvals", "delegate", "--to", "alice", "--from", today, "--until", today,
        "--for", "bob", actor="alice",
    )  # fmt: skip
    assert for_bob.code == 1 and "(rule: role)" in for_bob.err
    bad = cli(
        "approvals", "delegate", "--to", "carol", "--from", "tomorrow", "--until", today,
        actor="bob",
    )  # fmt: skip
    assert bad.code == 1 and "invalid date 'tomorrow'" in bad.err
    assert cli("approvals", "delegations", "--json").json() == []


def test_escalate_reminds_then_escalates_once(cli, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`approvals escalate` (admins only): a request 4 days past due reminds bob and tells
    the admins, once; run again, it does nothing new."""
    _bob_asked(cli, tmp_path)
    refused = cli("approvals", "escalate", actor="bob")
    assert refused.code == 1 and "(rule: role)" in refused.err
    assert cli("approvals", "escalate").out.strip() == NOTHING

    ctx = open_app(load_settings(data_dir=data_dir))
    try:  # the request was due four days ago
        with ctx.db.transaction() as session:
            session.execute(update(WorkflowApproval).values(due_at=utc_now() - timedelta(days=4)))
    finally:
        ctx.close()
    first = cli("approvals", "escalate")
    assert first.code == 0, first.err
    assert first.out.strip() == "overdue approvals: 1 approver(s) reminded, 1 escalated"
    assert cli("approvals", "escalate").out.strip() == NOTHING
    [listed] = cli("approvals", "list", "--json").json()
    assert listed["overdue_days"] in (4, 5)  # calendar days in the local zone
    notes = cli("notifications", "list", "--json").json()
    assert [n["title"] for n in notes if n["user"] == "bob"] == [
        f"approval {listed['id']} for POL-003 is overdue"
    ]
    assert len([n for n in notes if n["user"] != "bob"]) == 1  # the one admin
