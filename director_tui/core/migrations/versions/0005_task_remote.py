"""tasks remember where a remote back end runs them (a ComfyUI server and prompt id), so the
next instance re-attaches after a crash instead of submitting the same work twice

Revision ID: 0005_task_remote
Revises: 0004_draft_base
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_task_remote"
down_revision: str | None = "0004_draft_base"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("remote", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.drop_column("remote")
