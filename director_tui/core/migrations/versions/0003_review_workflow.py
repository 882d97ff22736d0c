"""review workflow: undo journal, variation picks, presets on tasks/versions, default presets

Revision ID: 0003_review_workflow
Revises: 0002_task_ownership
Create Date: 2026-11-24
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003_review_workflow"
down_revision: str | None = "0002_task_ownership"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name, category, text — the library a new workspace starts with (editable, deletable).
DEFAULT_PRESETS = [
    ("More dramatic lighting", "lighting", "dramatic chiaroscuro lighting, deep shadows, strong key light"),
    ("Softer light", "lighting", "soft diffused light, gentle shadows"),
    ("Golden hour", "lighting", "golden hour sunlight, long warm shadows"),
    ("Moonlit night", "lighting", "moonlit night, cool blue highlights"),
    ("Slower camera movement", "motion", "slow, gentle camera movement"),
    ("Static camera", "motion", "locked-off static camera"),
    ("Slow push in", "motion", "slow push in toward the subject"),
    ("Handheld feel", "motion", "subtle handheld camera shake"),
    ("Warmer color palette", "color", "warm color palette, amber and orange tones"),
    ("Cooler color palette", "color", "cool color palette, teal and blue tones"),
    ("Desaturated", "color", "muted, desaturated colors"),
    ("Wider framing", "framing", "wide establishing shot"),
    ("Closer framing", "framing", "close-up, shallow depth of field"),
    ("Film grain", "style", "35mm film grain, cinematic"),
]


def upgrade() -> None:
    op.create_table(
        "journal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["stream_id"], ["stream.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_journal_user_stream", "journal", ["user", "stream_id", "id"])
    op.create_table(
        "variation_pick",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("asset", sa.String(), nullable=False),
        sa.Column("variation_group", sa.String(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("preset_id", sa.Integer(), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("picked_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["stream_id"], ["stream.id"]),
        sa.ForeignKeyConstraint(["segment_id"], ["segment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_variation_pick_variation_group", "variation_pick", ["variation_group"])
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preset_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preset_id", sa.Integer(), nullable=True))
    preset = sa.table("preset", sa.column("name", sa.String()), sa.column("category", sa.String()),
                      sa.column("text", sa.Text()), sa.column("created_at", sa.DateTime(timezone=True)))
    existing = {r[0] for r in op.get_bind().execute(sa.text("SELECT name FROM preset"))}
    now = datetime.now(UTC)
    op.bulk_insert(preset, [{"name": n, "category": c, "text": t, "created_at": now}
                            for n, c, t in DEFAULT_PRESETS if n not in existing])


def downgrade() -> None:
    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.drop_column("preset_id")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("preset_id")
    op.drop_index("ix_variation_pick_variation_group", table_name="variation_pick")
    op.drop_table("variation_pick")
    op.drop_index("ix_journal_user_stream", table_name="journal")
    op.drop_table("journal")
