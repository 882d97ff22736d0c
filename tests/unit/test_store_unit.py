"""The store: migrations on open, WAL, write transactions, activity rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select

from director_tui.core.migrations import HEAD_REVISION, alembic_config
from director_tui.core.models import Activity
from director_tui.core.store import StoreError, open_store


def test_head_constant_matches_the_migration_scripts() -> None:
    from director_tui.core.store import sqlite_snapshot

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION
    assert sqlite_snapshot.HEAD_REVISION == HEAD_REVISION


def test_open_creates_schema_in_wal_mode(home: Path) -> None:
    store = open_store(home)
    store.dispose()
    conn = sqlite3.connect(home / "director.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == HEAD_REVISION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"stream", "segment", "version", "review", "comment", "promptrevision", "task",
            "activity", "preset", "draft", "ui_state", "checkpoint"} <= tables
    assert (home / "media").is_dir()


def test_a_workspace_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    (home / "director.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="director.db: damaged .it does not start like an SQLite database."):
        open_store(home)
    assert (home / "director.db").read_bytes().startswith(b"this is not sqlite")


def test_a_workspace_from_the_first_schema_is_upgraded_in_place(home: Path) -> None:
    """Data made under 0001 survives the upgrade to head."""
    from alembic import command
    from sqlalchemy import create_engine

    home.mkdir(parents=True)
    engine = create_engine(f"sqlite:///{home / 'director.db'}")
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001_initial")
        conn.exec_driver_sql("INSERT INTO stream (slug, title, generators_json, width, height, created_at, created_by)"
                             " VALUES ('old', 'Old', '{}', 1280, 720, '2026-01-01 00:00:00', 'x')")
        conn.commit()
    engine.dispose()
    store = open_store(home)
    with store.read() as s:
        from director_tui.core.models import Stream, Task

        assert s.execute(select(Stream.slug)).scalar_one() == "old"
        assert Task.__table__.c.cancel_requested is not None
    store.dispose()
    conn = sqlite3.connect(home / "director.db")
    cols = {r[1] for r in conn.execute("PRAGMA table_info(task)")}
    assert {"owner_start", "proc_start", "cancel_requested"} <= cols


def test_the_migrations_build_exactly_the_models_schema(home: Path) -> None:
    """Every column and table of models.py is made by a migration (nothing forgotten)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    store = open_store(home)
    with store.write_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    store.dispose()
    significant = [d for d in diff if d[0] in ("add_table", "remove_table", "add_column", "remove_column")]
    assert significant == []


# --- the store seam (core/store/) -------------------------------------------------------
def test_a_store_url_picks_the_store_and_an_unknown_one_is_one_line(home: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "shared" / "films.db"
    elsewhere.parent.mkdir()
    store = open_store(home, f"sqlite:///{elsewhere}")
    try:
        with store.write() as s:
            s.add(Activity(kind="test.ping", actor="tester"))
        assert elsewhere.is_file() and not (home / "director.db").exists()
        assert (home / "media").is_dir()  # the media stay under the workspace
    finally:
        store.dispose()
    with pytest.raises(StoreError) as err:
        open_store(home, "mysql://ana:s3cret@db.studio/films")
    assert "s3cret" not in str(err.value) and "mysql://ana:***@db.studio/films" in str(err.value)
    assert "\n" not in str(err.value)

