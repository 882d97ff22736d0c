"""Alembic migrations, applied programmatically when a workspace is opened."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# The newest revision; a test checks it against the scripts, so opening an
# up-to-date workspace costs one query instead of loading Alembic.
HEAD_REVISION = "0009_decision_receipts"

MIGRATIONS_DIR = Path(__file__).parent


def known_revisions() -> set[str]:
    """Every revision this program has scripts for (a store at another is newer than it)."""
    return {p.stem for p in (MIGRATIONS_DIR / "versions").glob("0*.py")}


def alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade_to_head(engine: Engine) -> None:
    from alembic import command

    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
