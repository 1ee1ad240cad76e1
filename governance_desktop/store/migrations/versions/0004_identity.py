"""identity and electronic signatures: credentials, signing keys, signatures, audit checkpoints

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Existing users get no password: each sets one (`users set-password`) before their first
signature or before anyone acts as them. Approvals answered before this release have no
signature; `audit verify` lists them as answered before signatures were introduced.
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch copy of `users` would drop a table others refer to.
    op.add_column("users", sa.Column("password_hash", sa.String(length=200), nullable=True))
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "users",
        sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.add_column("users", sa.Column("locked_until", sa.DateTime(), nullable=True))
    op.add_column("users", sa.Column("password_changed_at", sa.DateTime(), nullable=True))

    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("kdf_salt", sa.LargeBinary(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("kdf", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["username"], ["users.username"], name=op.f("fk_signing_keys_username_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_keys")),
    )
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signing_keys_username"), ["username"], unique=False)

    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_kind", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("meaning", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("signer", sa.String(length=64), nullable=False),
        sa.Column("printed_name", sa.String(length=200), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"], ["signing_keys.id"], name=op.f("fk_signatures_key_id_signing_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatures")),
    )
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.create_index("ix_signatures_record", ["record_kind", "record_id"], unique=False)

    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    _introduce_signatures()


def _introduce_signatures() -> None:
    """Name the approvals answered before signatures existed in one audit event, so that
    `audit verify` can tell them from answers forged later without a signature."""
    bind = op.get_bind()
    answered = [
        row[0]
        for row in bind.execute(
            sa.text(
                "SELECT id FROM workflow_approvals WHERE status IN ('approved', 'rejected')"
                " ORDER BY id"
            )
        )
    ]
    if not answered:
        return
    head = bind.execute(sa.text("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1")).scalar()
    prev = head or "0" * 64
    at = datetime.now(UTC)
    details = {"unsigned_approvals": answered}
    content = {
        "prev": prev,
        "at": at.isoformat(),
        "actor": "system",
        "action": "signatures.introduced",
        "entity_type": "audit",
        "entity_id": "signatures",
        "details": details,
    }
    # Frozen copy of services.audit.event_hash as of this revision.
    data = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    events = sa.table(
        "audit_events",
        sa.column("occurred_at", sa.DateTime()),
        sa.column("actor", sa.String()),
        sa.column("action", sa.String()),
        sa.column("entity_type", sa.String()),
        sa.column("entity_id", sa.String()),
        sa.column("details", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    op.execute(
        events.insert().values(
            occurred_at=at.replace(tzinfo=None),
            actor="system",
            action="signatures.introduced",
            entity_type="audit",
            entity_id="signatures",
            details=details,
            prev_hash=prev,
            hash=hashlib.sha256(data.encode("utf-8")).hexdigest(),
        )
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index("ix_signatures_record")
    op.drop_table("signatures")
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_keys_username"))
    op.drop_table("signing_keys")
    with op.batch_alter_table("users", schema=None) as batch_op:
        for column in (
            "password_changed_at",
            "locked_until",
            "failed_attempts",
            "must_change_password",
            "password_hash",
        ):
            batch_op.drop_column(column)
