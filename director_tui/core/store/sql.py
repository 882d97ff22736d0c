"""Plain SQL reads for core/ (the timeline, metrics, recommendations, the read
commands), and the few expressions that differ between databases. A `Reader` runs SQL with
`:name` parameters on a session (`SessionReader`) or, for the read commands' fast path, on
a bare sqlite3 connection (sqlite_snapshot.SqliteReader): the same queries either way.
Importable without SQLAlchemy. Expressions name columns only, never input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from director_tui.core.errors import StoreError


class Reader(Protocol):
    dialect: str  # "sqlite" or "postgresql"

    def all(self, sql: str, params: dict[str, Any] | None = None) -> list[Sequence[Any]]: ...


class SessionReader:
    """A Reader on an ORM session (any store)."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def all(self, sql: str, params: dict[str, Any] | None = None) -> list[Sequence[Any]]:
        from sqlalchemy import text

        return list(self.session.execute(text(sql), params or {}).all())


def as_reader(source: Any) -> Reader:
    """`source` itself when it is a Reader already, else a SessionReader on it."""
    if isinstance(getattr(source, "dialect", None), str) and hasattr(source, "all"):
        return source
    return SessionReader(source)


def seconds_between(reader: Reader, start: str, end: str) -> str:
    """An expression for the seconds from column `start` to column `end`."""
    if reader.dialect == "sqlite":
        return f"(julianday({end}) - julianday({start})) * 86400.0"
    if reader.dialect == "postgresql":
        return f"extract(epoch from ({end} - {start}))"
    raise StoreError(f"no SQL for durations on {reader.dialect}")


def day_of(reader: Reader, column: str) -> str:
    """An expression for a timestamp column's day as text, YYYY-MM-DD."""
    if reader.dialect == "sqlite":
        return f"substr({column}, 1, 10)"
    if reader.dialect == "postgresql":
        return f"to_char({column}, 'YYYY-MM-DD')"
    raise StoreError(f"no SQL for days on {reader.dialect}")
