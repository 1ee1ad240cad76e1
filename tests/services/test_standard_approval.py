"""The built-in approval: a move to awaiting_approval no workflow governs asks every eligible
approver, and its answer is the only way to approved (then published); the CLI refuses a
direct move to approved naming the rule."""

from __future__ import annotations

import pytest

from governance_desktop.app import AppContext
from governance_desktop.domain.enums import ApprovalStatus
from governance_desktop.domain.errors import LifecycleError
from tests.helpers.actors import ME
from tests.helpers.identity import signer

STANDARD_APPROVAL = "Standard approval"  # the reserved workflow (services/standard_approval.py)


@pytest.fixture
def reg(ctx: AppContext) -> AppContext:
    """alice (officer), bob and carol (approvers); POL-2 written by alice, in review."""
    for name, role in (("alice", "officer"), ("bob", "approver"), ("carol", "approver")):
        ctx.users.add(ME, name, name.title(), role)  # type: ignore[arg-type]
    ctx.policies.add("alice", "POL-2", "Access Control Policy", body="v1", owner="alice")
    ctx.policies.change_status("alice", "POL-2", "in_review")
    return ctx


def test_move_without_workflow_gets_a_standard_approval(reg: AppContext) -> None:
    """The move itself creates a Standard approval request for each eligible approver."""
    reg.policies.change_status("alice", "POL-2", "awaiting_approval")
    rows = reg.approvals.list()
    assert [(a.approver, a.workflow, a.status) for a in rows] == [
        ("bob", STANDARD_APPROVAL, "pending"),
        ("carol", STANDARD_APPROVAL, "pending"),
    ]
    assert rows[0].content_hash and rows[0].policy_version == 1
    assert STANDARD_APPROVAL in [w.name for w in reg.workflows.list()]
    [execution] = reg.monitor.executions()
    assert (execution.status, execution.workflow) == ("awaiting_approval", STANDARD_APPROVAL)


def test_standard_approval_approves_then_publish_works(reg: AppContext) -> None:
    """One approver's yes makes the policy approved; publishing then works; an edit after
    approval opens a new text that cannot be published."""
    reg.policies.change_status("alice", "POL-2", "awaiting_approval")
    bob = next(a.id for a in reg.approvals.list(approver="bob"))
    reg.approvals.approve(bob, "bob", "looks right", signer=signer(reg, "bob"))
    assert reg.policies.get("POL-2").status == "approved"
    assert reg.monitor.executions()[0].status == "completed"
    assert [a.status for a in reg.approvals.list(approver="carol")] == ["expired"]
    assert (
        reg.policies.change_status(
            "alice", "POL-2", "published", signer=signer(reg, "alice")
        ).effective_version
        == 1
    )
    reg.policies.update("alice", "POL-2", body="v2, never approved")
    with pytest.raises(LifecycleError):
        reg.policies.change_status("alice", "POL-2", "published", signer=signer(reg, "alice"))
    assert reg.policies.get("POL-2").effective_version == 1


def test_no_approvers_at_all_refuses_the_move(ctx: AppContext) -> None:
    """A register without approvers cannot put a policy up for approval: one line, the rule."""
    ctx.policies.add(ME, "POL-3", "Backup Policy")
    ctx.policies.change_status(ME, "POL-3", "in_review")
    with pytest.raises(LifecycleError, match=r"no active approver.*\(rule: segregation"):
        ctx.policies.change_status(ME, "POL-3", "awaiting_approval")
    assert ctx.policies.get("POL-3").status == "in_review"


def test_cli_refuses_direct_approved_and_shows_pinned_fields(ctx: AppContext, cli) -> None:  # type: ignore[no-untyped-def]
    """`policies set-status X approved` is refused naming the rule; `approvals list/show
    --json` carry the pinned text and who answered; an admin answering needs --reason."""
    for name, role in (("alice", "officer"), ("bob", "approver")):
        ctx.users.add(ME, name, name.title(), role)  # type: ignore[arg-type]
    ctx.policies.add("alice", "POL-2", "Access Control Policy", body="v1")
    ctx.policies.change_status("alice", "POL-2", "in_review")
    ctx.policies.change_status("alice", "POL-2", "awaiting_approval")
    refused = cli("policies", "set-status", "POL-2", "approved", actor="alice")
    assert refused.code == 1 and "(rule: guarded transition)" in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    [row] = cli("approvals", "list", "--json").json()  # type: ignore[misc]
    for key in ("content_hash", "policy_version", "responded_by", "on_behalf_reason"):
        assert key in row
    no_reason = cli("approvals", "approve", str(row["id"]))
    assert no_reason.code == 1 and "reason" in no_reason.err
    assert len(no_reason.err.strip().splitlines()) == 1
    done = cli("approvals", "approve", str(row["id"]), "--reason", "bob is away")
    assert done.code == 0, done.err
    shown = cli("approvals", "show", str(row["id"]), "--json").json()
    assert shown["responded_by"] == ME and shown["on_behalf_reason"] == "bob is away"
    assert ctx.policies.get("POL-2").status == "approved"


def test_the_author_is_not_asked_again_in_a_later_round(reg: AppContext) -> None:
    """A text approved once and sent for approval again unchanged: its author, since made an
    approver, is neither asked nor allowed to answer (one list of who is barred)."""
    reg.policies.change_status("alice", "POL-2", "awaiting_approval")
    bob = next(a.id for a in reg.approvals.list() if a.approver == "bob")
    reg.approvals.approve(bob, "bob", signer=signer(reg, "bob"))
    reg.users.set_role(ME, "alice", "approver")
    for status in ("draft", "in_review", "awaiting_approval"):
        reg.policies.change_status(ME, "POL-2", status)
    asked = [a.approver for a in reg.approvals.list(status=ApprovalStatus.PENDING)]
    assert asked == ["bob", "carol"]
