"""authority and document control: policy versions, active users, delegations, pinned approvals

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

Every existing policy gets its current text as its one saved version (the older texts were
never kept). A published policy's version becomes its effective version; a version of a
policy that is approved or published counts as approved, as it was before this release.
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _hash(title: str, body: str, owner: str | None, days: int) -> str:
    # Frozen copy of domain.document.content_hash as of this revision.
    content: dict[str, object] = {
        "title": title,
        "body": body,
        "owner": owner,
        "review_interval_days": days,
        "attachments": [],
    }
    data = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch copy of `users` would drop a table others refer to.
    op.add_column(
        "users", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column("users", sa.Column("deactivated_at", sa.DateTime(), nullable=True))
    op.add_column("policies", sa.Column("effective_version", sa.Integer(), nullable=True))
    for column in (
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("on_behalf_reason", sa.Text(), nullable=True),
        sa.Column("delegated_from", sa.String(length=64), nullable=True),
        sa.Column("overdue_notified_at", sa.DateTime(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
    ):
        op.add_column("workflow_approvals", column)

    versions = op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("review_interval_days", sa.Integer(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("approved_execution_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f("fk_policy_versions_policy_id_policies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_versions")),
        sa.UniqueConstraint("policy_id", "number", name=op.f("uq_policy_versions_policy_id")),
    )
    with op.batch_alter_table("policy_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_versions_policy_id"), ["policy_id"], unique=False
        )

    op.create_table(
        "delegations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delegator", sa.String(length=64), nullable=False),
        sa.Column("delegate", sa.String(length=64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delegate"], ["users.username"], name=op.f("fk_delegations_delegate_users")
        ),
        sa.ForeignKeyConstraint(
            ["delegator"], ["users.username"], name=op.f("fk_delegations_delegator_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegations")),
    )
    with op.batch_alter_table("delegations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delegations_delegator"), ["delegator"], unique=False)

    _backfill(versions)


def _backfill(versions: sa.Table) -> None:
    bind = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = bind.execute(
        sa.text(
            "SELECT id, title, body, owner, review_interval_days, version, status, updated_by,"
            " updated_at FROM policies"
        )
    ).all()
    approved = {"approved", "published"}
    values = []
    for pid, title, body, owner, days, number, status, by, at in rows:
        values.append(
            {
                "policy_id": pid,
                "number": number,
                "title": title,
                "body": body or "",
                "owner": owner,
                "review_interval_days": days,
                "attachments": [],
                "content_hash": _hash(title, body or "", owner, days),
                "created_by": by,
                "created_at": datetime.fromisoformat(at) if isinstance(at, str) else (at or now),
                "approved_at": now if status in approved else None,
                "approved_execution_id": None,
                "published_at": now if status == "published" else None,
            }
        )
        if status == "published":
            bind.execute(
                sa.text("UPDATE policies SET effective_version = :n WHERE id = :i"),
                {"n": number, "i": pid},
            )
    if values:
        op.bulk_insert(versions, values)


def downgrade() -> None:
    op.drop_table("delegations")
    op.drop_table("policy_versions")
    with op.batch_alter_table("workflow_approvals", schema=None) as batch_op:
        for name in (
            "escalated_at",
            "overdue_notified_at",
            "delegated_from",
            "on_behalf_reason",
            "content_hash",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("policies", schema=None) as batch_op:
        batch_op.drop_column("effective_version")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("deactivated_at")
        batch_op.drop_column("active")
