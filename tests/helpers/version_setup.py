"""Putting a policy's versions into a state for a test: approved (as if an approval rule had
been met for its text) and published, without running an approval workflow."""

from __future__ import annotations

from sqlalchemy import select, update

from governance_desktop.app import AppContext
from governance_desktop.store.models import Policy, PolicyVersion
from governance_desktop.store.types import utcnow
from tests.helpers.actors import ME


def approve_version(ctx: AppContext, code: str, number: int) -> None:
    """Mark version ``number`` of ``code`` approved (what a met approval rule records)."""
    with ctx.db.transaction() as session:
        policy_id = session.scalar(select(Policy.id).where(Policy.code == code))
        session.execute(
            update(PolicyVersion)
            .where(PolicyVersion.policy_id == policy_id, PolicyVersion.number == number)
            .values(approved_at=utcnow())
        )


def publish(ctx: AppContext, code: str) -> None:
    """Walk ``code`` from draft to published, its current version approved on the way."""
    policy = ctx.policies.get(code)
    for status in ("in_review", "awaiting_approval"):
        ctx.policies.change_status(ME, code, status)
    approve_version(ctx, code, policy.version)
    for status in ("approved", "published"):
        ctx.policies.change_status(ME, code, status)
