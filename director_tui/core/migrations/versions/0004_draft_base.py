"""drafts remember the saved prompt they started from (for the conflict check on restore)

Revision ID: 0004_draft_base
Revises: 0003_review_workflow
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_draft_base"
down_revision: str | None = "0003_review_workflow"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("draft") as batch:
        batch.add_column(sa.Column("base", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("draft") as batch:
        batch.drop_column("base")
