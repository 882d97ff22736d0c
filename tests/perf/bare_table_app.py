"""Baseline: a bare Textual app showing a DataTable with the same rows and columns."""

from __future__ import annotations

import sys
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer

sys.path.insert(0, str(Path(__file__).parent))
from common import row_texts


class Bare(App[None]):
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (("#", 4), ("Title", 18), ("Image prompt", 34), ("Motion prompt", 22),
                             ("Keyframe", 15), ("Video", 15), ("💬", 3), ("Progress", 28)):
            table.add_column(label, width=width)
        table.add_rows(
            (pos, title, image[:34], motion[:22], "● v10 review", "● v10 review", "", "")
            for title, image, motion, pos in (row_texts(i) for i in range(1, self.n + 1))
        )
        table.focus()


if __name__ == "__main__":
    Bare(int(sys.argv[1])).run()
