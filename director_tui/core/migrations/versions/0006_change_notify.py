"""on PostgreSQL, every committed change to what the app shows notifies the channel
`director_changes` (LISTEN/NOTIFY: other machines' apps re-read within half a second);
on SQLite nothing (its apps poll PRAGMA data_version)

Revision ID: 0006_change_notify
Revises: 0005_task_remote
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_change_notify"
down_revision: str | None = "0005_task_remote"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the tables whose rows an open app shows; per statement, and PostgreSQL folds equal
# notifications of one transaction into one, delivered at commit
TABLES = ("stream", "segment", "version", "review", "comment", "task", "activity", "preset", "checkpoint",
          "promptrevision", "variation_pick")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
CREATE OR REPLACE FUNCTION director_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- once a transaction: the flag is transaction-local (and undone with a rolled-back savepoint,
  -- as the notification is); a result's statement touches four tables (make bench: studio)
  IF current_setting('director.notified', true) IS DISTINCT FROM 'y' THEN
    PERFORM set_config('director.notified', 'y', true);
    PERFORM pg_notify('director_changes', '');
  END IF;
  RETURN NULL;
END $$""")
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_notify AFTER INSERT OR UPDATE OR DELETE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION director_notify_change()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS director_notify_change()")
