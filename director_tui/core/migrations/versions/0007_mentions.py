"""mentions: `@name` in a comment notifies that user (a notice in their open app, a line
in `director-tui inbox`) until they have seen it

Revision ID: 0007_mentions
Revises: 0006_change_notify
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_mentions"
down_revision: str | None = "0006_change_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["comment_id"], ["comment.id"]),
        sa.ForeignKeyConstraint(["segment_id"], ["segment.id"]),
        sa.ForeignKeyConstraint(["stream_id"], ["stream.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mention_inbox", "mention", ["recipient", "seen_at"])
    if op.get_bind().dialect.name == "postgresql":  # as 0006: other machines' apps hear of it
        op.execute("CREATE TRIGGER mention_notify AFTER INSERT OR UPDATE OR DELETE ON mention "
                   "FOR EACH STATEMENT EXECUTE FUNCTION director_notify_change()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS mention_notify ON mention")
    op.drop_index("ix_mention_inbox", table_name="mention")
    op.drop_table("mention")
