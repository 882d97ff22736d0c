"""Alembic environment: runs on the connection handed in by upgrade_to_head()."""

from alembic import context
from sqlmodel import SQLModel

from director_tui.core import models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata
config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # `alembic` run by hand with a URL
        from sqlalchemy import create_engine

        url = config.get_main_option("sqlalchemy.url")
        assert url, "alembic by hand needs sqlalchemy.url"
        engine = create_engine(url)
        connection = engine.connect()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if connection.in_transaction():
        connection.commit()


run_migrations_online()
