"""Issue 15's approval rules: one person one vote, admin on behalf with a reason, segregation
of duties (requester, author, editors since the last approved version), rejection and
return, and the last approval step approving the policy."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from governance_desktop.app import AppContext
from governance_desktop.domain.errors import PermissionDeniedError, ValidationError
from governance_desktop.store.models import AuditEvent, Notification
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.workflows import drain, only_execution, workflow


@pytest.fixture
def reg(ctx: AppContext) -> AppContext:
    """alice and oscar (officers), bob, carol and dave (approvers); POL-2 written by alice, so
    the admin (ME) is neither its author nor its editor."""
    for name, role in (
        ("alice", "officer"),
        ("oscar", "officer"),
        ("bob", "approver"),
        ("carol", "approver"),
        ("dave", "approver"),
    ):
        ctx.users.add(ME, name, name.title(), role)  # type: ignore[arg-type]
    ctx.policies.add("alice", "POL-2", "Access Control Policy", body="v1", owner="alice")
    return ctx


def _install(ctx: AppContext, *definitions: dict[str, Any]) -> None:
    from governance_desktop.services.workflows import DefinitionSource

    sources = [DefinitionSource(f"{d['name']}.json", data=d) for d in definitions]
    ctx.workflows.import_definitions(ME, sources, signer=signer(ctx, ME))


def _to_review(
    ctx: AppContext, actions: list[dict[str, Any]], by: str = "alice", **extra: Any
) -> None:
    _install(ctx, workflow("Review", actions, **extra))
    ctx.policies.change_status(by, "POL-2", "in_review")
    drain(ctx)


def _pending(ctx: AppContext, approver: str) -> int:
    return next(a.id for a in ctx.approvals.list(approver=approver) if a.status == "pending")


def _audit(ctx: AppContext, action: str) -> list[tuple[str, dict[str, Any]]]:
    """(actor, details) of each audit event ``action``, oldest first."""
    with ctx.db.reading() as session:
        query = select(AuditEvent.actor, AuditEvent.details).where(AuditEvent.action == action)
        return [(actor, dict(details)) for actor, details in session.execute(query)]


@pytest.mark.parametrize("rule", ["all", {"at_least": 2}])
def test_one_admin_answering_two_rows_counts_once(reg: AppContext, rule: object) -> None:
    """An admin answering bob's and carol's requests counts once: the rule is not met."""
    _to_review(reg, [{"type": "approval", "approvers": ["bob", "carol"], "rule": rule}])
    reg.approvals.approve(
        _pending(reg, "bob"), ME, reason="bob is on leave", signer=signer(reg, ME)
    )
    with pytest.raises(PermissionDeniedError, match=r"\(rule: one person, one vote\)"):
        reg.approvals.approve(
            _pending(reg, "carol"), ME, reason="carol is on leave", signer=signer(reg, ME)
        )
    assert only_execution(reg).status == "awaiting_approval"
    reg.approvals.approve(_pending(reg, "carol"), "carol", signer=signer(reg, "carol"))
    drain(reg)
    assert only_execution(reg).status == "completed"


def test_author_of_the_version_under_approval_is_refused(reg: AppContext) -> None:
    """The author of the text under approval may not approve it, though someone else asked."""
    reg.policies.update(ME, "POL-2", body="v2 by the admin")
    _to_review(reg, [{"type": "approval", "approvers": [ME, "bob"], "rule": "any"}])
    with pytest.raises(PermissionDeniedError, match=r"wrote version 2.*segregation of duties"):
        reg.approvals.approve(_pending(reg, ME), ME, signer=signer(reg, ME))
    assert only_execution(reg).status == "awaiting_approval"


def test_editor_since_last_approved_version_is_refused(reg: AppContext) -> None:
    """Anyone who saved a version since the last approved one may not approve the text."""
    reg.policies.update(ME, "POL-2", body="v2 by the admin")
    reg.policies.update("alice", "POL-2", body="v3 by alice")
    _to_review(reg, [{"type": "approval", "approvers": [ME, "bob"], "rule": "any"}])
    with pytest.raises(PermissionDeniedError, match=r"edited the text.*segregation of duties"):
        reg.approvals.approve(_pending(reg, ME), ME, signer=signer(reg, ME))
    with pytest.raises(PermissionDeniedError, match="segregation of duties"):
        reg.approvals.approve(
            _pending(reg, "bob"), ME, reason="bob is away", signer=signer(reg, ME)
        )


def test_on_behalf_needs_a_reason_and_records_it(reg: AppContext) -> None:
    """An admin answers for an approver only with a reason, recorded as admin for approver;
    a non-admin may answer only their own requests."""
    _to_review(reg, [{"type": "approval", "approvers": ["bob", "carol"], "rule": "all"}])
    bob_row = _pending(reg, "bob")
    with pytest.raises(ValidationError) as refused:
        reg.approvals.approve(bob_row, ME, signer=signer(reg, ME))
    assert refused.value.path == "reason"
    with pytest.raises(PermissionDeniedError, match="is for 'bob'"):
        reg.approvals.approve(bob_row, "dave", reason="helping", signer=signer(reg, "dave"))
    info = reg.approvals.approve(
        bob_row, ME, "fine", reason="bob is in hospital", signer=signer(reg, ME)
    )
    assert (info.responded_by, info.on_behalf_reason) == (ME, "bob is in hospital")
    [(_, details)] = _audit(reg, "approval.approved")
    assert details["answered_as"] == "admin for approver"
    assert details["on_behalf_of"] == "bob"
    assert details["reason"] == "bob is in hospital"


def test_answering_needs_the_approver_role(reg: AppContext) -> None:
    """An approver made an officer after being asked cannot answer: answering approvals is the
    approver's act (a workflow naming an officer is refused at import already)."""
    _to_review(reg, [{"type": "approval", "approvers": ["dave"], "rule": "any"}])
    reg.users.set_role(ME, "dave", "officer")
    with pytest.raises(PermissionDeniedError, match=r"\(rule: role\)"):
        reg.approvals.approve(_pending(reg, "dave"), "dave", signer=signer(reg, "dave"))


_REVIEW = [
    {"type": "create_task", "title": "Review {policy.code}"},
    {"type": "set_status", "status": "awaiting_approval"},
    {"type": "approval", "approvers": ["bob", "carol"], "rule": "all"},
    {"type": "set_status", "status": "approved"},
]


@pytest.mark.parametrize(
    ("on_reject", "status"),
    [(None, "draft"), ("retired", "retired"), ("published", "awaiting_approval")],
)
def test_rejection_returns_the_policy(reg: AppContext, on_reject: str | None, status: str) -> None:
    """A rejection ends the execution rejected, cancels its open task, notifies the requester
    and the owner with the comment, and returns the policy (to on_reject where allowed)."""
    extra = {"on_reject": on_reject} if on_reject else {}
    _to_review(reg, _REVIEW, by="oscar", **extra)
    assert reg.policies.get("POL-2").status == "awaiting_approval"
    assert not [a for a in reg.approvals.list() if a.workflow == "Standard approval"]
    reg.approvals.reject(
        _pending(reg, "bob"), "bob", "section 4 is wrong", signer=signer(reg, "bob")
    )
    drain(reg)
    execution = only_execution(reg)
    assert execution.status == "rejected"
    assert reg.policies.get("POL-2").status == status
    assert [t.status for t in reg.monitor.tasks()] == ["cancelled"]
    with reg.db.reading() as session:
        notes = {
            (n.user, n.body)
            for n in session.scalars(select(Notification).where(Notification.execution_id == 1))
        }
    assert notes == {("oscar", "section 4 is wrong"), ("alice", "section 4 is wrong")}
    [(_, details)] = _audit(reg, "execution.rejected")
    if status == "awaiting_approval":  # published is not reachable: left, and said so
        assert details["status"]["left"] == "awaiting_approval"
        assert "cannot move" in details["status"]["why"]
    else:
        assert details["status"] == {"from": "awaiting_approval", "to": status}


def test_last_approval_step_approves_and_moves_the_policy(reg: AppContext) -> None:
    """Only the last approval step's rule approves the version and moves the policy to
    approved, in the answer's transaction; an earlier step does not."""
    _to_review(
        reg,
        [
            {"type": "set_status", "status": "awaiting_approval"},
            {"type": "approval", "approvers": ["bob"], "rule": "any"},
            {"type": "approval", "approvers": ["carol"], "rule": "any"},
        ],
    )
    reg.approvals.approve(_pending(reg, "bob"), "bob", signer=signer(reg, "bob"))
    drain(reg)
    assert reg.policies.get("POL-2").status == "awaiting_approval"
    reg.approvals.approve(_pending(reg, "carol"), "carol", signer=signer(reg, "carol"))
    assert reg.policies.get("POL-2").status == "approved"
    [(actor, details)] = [
        e for e in _audit(reg, "policy.status_changed") if e[1]["to"] == "approved"
    ]
    assert actor == "carol" and details["execution_id"] == 1


def test_approved_by_lists_people_and_for_whom(reg: AppContext) -> None:
    """The step result names the people who answered, and whom an admin answered for."""
    _to_review(reg, [{"type": "approval", "approvers": ["bob", "carol"], "rule": "all"}])
    reg.approvals.approve(_pending(reg, "bob"), ME, reason="bob is away", signer=signer(reg, ME))
    reg.approvals.approve(_pending(reg, "carol"), "carol", signer=signer(reg, "carol"))
    _, steps = reg.monitor.execution(1)
    assert steps[0].result["approved_by"] == sorted([ME, "carol"])
    assert steps[0].result["answered_for"] == {"bob": ME}
