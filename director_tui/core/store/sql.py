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
