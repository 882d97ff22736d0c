"""The few SQL expressions that differ between databases, for the raw queries of core/
(insight's aggregates), chosen by the session's dialect. Column names only, never input."""

from __future__ import annotations

from typing import Any

from director_tui.core.errors import StoreError


def seconds_between(session: Any, start: str, end: str) -> str:
    """An expression for the seconds from column `start` to column `end`."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return f"(julianday({end}) - julianday({start})) * 86400.0"
    if dialect == "postgresql":
        return f"extract(epoch from ({end} - {start}))"
    raise StoreError(f"no SQL for durations on {dialect}")


def day_of(session: Any, column: str) -> str:
    """An expression for a timestamp column's day as text, YYYY-MM-DD."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return f"substr({column}, 1, 10)"
    if dialect == "postgresql":
        return f"to_char({column}, 'YYYY-MM-DD')"
    raise StoreError(f"no SQL for days on {dialect}")
