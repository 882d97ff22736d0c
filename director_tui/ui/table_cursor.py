"""`j`/`k` in the overlay screens' tables (metrics, recommendations, mentions): one row,
never past either end, never animated."""

from __future__ import annotations

from textual.widgets import DataTable


def step_cursor(table: DataTable, step: int) -> None:
    if table.row_count:
        table.move_cursor(row=max(0, min(table.cursor_row + step, table.row_count - 1)), animate=False)
