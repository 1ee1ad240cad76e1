"""the audit trail is append-only on PostgreSQL

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

A trigger refuses UPDATE, DELETE and TRUNCATE on `audit_events`, whoever asks (the schema's
owner included; only a superuser can switch it off). The app's runtime role also lacks those
privileges (`setup-database`); the trigger is the second wall. Nothing on SQLite: whoever can
write the file can rewrite it, and `audit verify` is what finds that.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = "audit_events_append_only"
TRIGGER = "audit_events_append_only"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'the audit trail is never changed or removed';
        END
        $$
        """
    )
    op.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON audit_events")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
