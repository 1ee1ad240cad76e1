"""Setting up policies whose text is already approved, for tests about something else.

How approval is given is tested in tests/services/test_approvals.py and its neighbours; a test
of, say, the job monitor that needs a published policy marks the current version approved
here (as an approval rule met would) and then moves the policy with the real service.
"""

from __future__ import annotations

from sqlalchemy import select

from governance_desktop.app import AppContext
from governance_desktop.domain.enums import PolicyStatus
from governance_desktop.store.models import Policy, PolicyVersion
from governance_desktop.store.types import utcnow
from tests.helpers.actors import ME


def approve_current_version(ctx: AppContext, code: str) -> None:
    """Mark the policy's newest version approved, as a met approval rule does."""
    with ctx.db.transaction() as session:
        policy = session.scalar(select(Policy).where(Policy.code == code))
        assert policy is not None, code
        version = session.scalar(
            select(PolicyVersion).where(
                PolicyVersion.policy_id == policy.id, PolicyVersion.number == policy.version
            )
        )
        assert version is not None, (code, policy.version)
        version.approved_at = version.approved_at or utcnow()


def walk_to(ctx: AppContext, code: str, status: PolicyStatus | str, actor: str = ME) -> None:
    """Move a draft policy along the lifecycle to ``status`` (approving its text on the way)."""
    path = ["in_review", "awaiting_approval", "approved", "published"]
    target = PolicyStatus(status)
    for step in path:
        if step == "approved":
            approve_current_version(ctx, code)
        ctx.policies.change_status(actor, code, step)
        if step == target:
            return
    raise AssertionError(f"{target} is not on the way to published")
