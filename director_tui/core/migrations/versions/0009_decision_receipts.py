"""decision receipts: the id of every decision a director's outbox delivered, written in the
decision's own transaction, so that a decision replayed after a crash (or a reply lost on
its way back) is recognised as already in the store and never applied twice

Revision ID: 0009_decision_receipts
Revises: 0008_one_version_index
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_decision_receipts"
down_revision: str | None = "0008_one_version_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision_receipt",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("decision_receipt")
