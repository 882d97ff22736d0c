"""versions keep one index on (segment, asset): uq_version_number's serves every lookup
(the list, the next number), so ix_version_segment_asset only cost each new version an
insert (make bench: studio, a result's statement)

Revision ID: 0008_one_version_index
Revises: 0007_mentions
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_one_version_index"
down_revision: str | None = "0007_mentions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_version_segment_asset", table_name="version")


def downgrade() -> None:
    op.create_index("ix_version_segment_asset", "version", ["segment_id", "asset"])
