"""signature meanings long enough for every workflow name

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

A workflow's publication is signed with the meaning "Published workflow version (NAME vN)";
a workflow name may be 200 characters, which did not fit the 100 of `signatures.meaning`.
SQLite stored it anyway; PostgreSQL refused the signature, and with it the publication.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.alter_column(
            "meaning", existing_type=sa.String(length=100), type_=sa.String(length=300)
        )


def downgrade() -> None:
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.alter_column(
            "meaning", existing_type=sa.String(length=300), type_=sa.String(length=100)
        )
