"""The same Alembic migrations on PostgreSQL (issue 17's first step): a real server
(a throwaway cluster, tests/postgres_cluster.py), psycopg 3."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text


def test_the_migrations_run_on_postgresql_and_build_the_models_schema(postgres_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from director_tui.core.migrations import HEAD_REVISION, upgrade_to_head

    engine = create_engine(postgres_url)
    try:
        with engine.begin() as conn:  # a schema of its own: other tests on this server never meet it
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS migrations_test CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA migrations_test")
        scoped = create_engine(postgres_url, connect_args={"options": "-c search_path=migrations_test"})
        upgrade_to_head(scoped)
        with scoped.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
            tables = set(inspect(conn).get_table_names())
        significant = [d for d in diff if d[0] in ("add_table", "remove_table", "add_column", "remove_column")]
        assert significant == []
        assert {"stream", "segment", "version", "task", "activity", "draft", "alembic_version"} <= tables
        scoped.dispose()
    finally:
        engine.dispose()
