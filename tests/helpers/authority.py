"""Walking a policy along its lifecycle for tests about something else, the real way.

The text is approved as a person would have it approved: the move to awaiting_approval asks
for approval (the Standard approval, or a workflow's approval step once its jobs run) and an
eligible approver answers; the policy becomes approved when that rule is met. How approval is
given is tested in tests/services/test_approval_authority.py and its neighbours.
"""

from __future__ import annotations

from governance_desktop.app import AppContext
from governance_desktop.domain.enums import ApprovalStatus, PolicyStatus, Role
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.workflows import drain

#: The approver the walk adds when the register has none (an admin, ME, adds them).
WALK_APPROVER = "walk-approver"
PATH = ("in_review", "awaiting_approval", "approved", "published")


def ensure_approver(ctx: AppContext) -> None:
    """An active approver to answer the Standard approval (added by ME if there is none)."""
    if not any(u.role == Role.APPROVER and u.active for u in ctx.users.list()):
        ctx.users.add(ME, WALK_APPROVER, "Walk Approver", Role.APPROVER)


def approve_pending(ctx: AppContext, code: str) -> None:
    """Answer ``code``'s pending approvals, each by its own approver, until none is left."""
    for _ in range(2):  # a workflow's approval step asks once its job has run
        pending = [a for a in ctx.approvals.list(status=ApprovalStatus.PENDING) if a.policy == code]
        if pending:
            break
        drain(ctx)
    assert pending, f"nobody was asked to approve {code}"
    for row in pending:
        if ctx.approvals.get(row.id).status == ApprovalStatus.PENDING:
            by = signer(ctx, row.approver)
            ctx.approvals.approve(row.id, row.approver, "approved for the test", signer=by)


def walk_to(ctx: AppContext, code: str, status: PolicyStatus | str, actor: str = ME) -> None:
    """Move a policy from where it is along the lifecycle to ``status`` (its text approved on
    the way)."""
    target = PolicyStatus(status)
    assert target in PATH, f"{target} is not on the way to published"
    now = ctx.policies.get(code).status
    for step in PATH[PATH.index(now) + 1 :] if now in PATH else PATH:
        if step == "awaiting_approval":
            ensure_approver(ctx)
        if step == "approved":
            approve_pending(ctx, code)
            assert ctx.policies.get(code).status == step, ctx.policies.get(code)
        elif step == "published":
            ctx.policies.change_status(actor, code, step, signer=signer(ctx, actor))
        else:
            ctx.policies.change_status(actor, code, step)
        if step == target:
            return


def publish(ctx: AppContext, code: str) -> None:
    """Walk a draft ``code`` to published, its text approved on the way."""
    walk_to(ctx, code, PolicyStatus.PUBLISHED)
