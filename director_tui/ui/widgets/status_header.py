"""The header: stream title, checkpoint progress, task counts."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from director_tui.core.rows import Totals
from director_tui.ui.cells import bar


class StatusHeader(Static):
    DEFAULT_CSS = """
    StatusHeader { height: 1; background: $primary-darken-3; color: $text; padding: 0 1; }
    """

    def show(self, title: str, totals: Totals, running: int, queued: int, asset: str,
             filter_info: str = "") -> None:
        n = totals.segments
        text = Text.assemble(
            (f"🎬 {title}", "bold"), "   ",
            ("Keyframes ", "dim"), bar(totals.keyframes_approved, n, 10),
            f" {totals.keyframes_approved}/{n}   ",
            ("Videos ", "dim"), bar(totals.videos_approved, n, 10),
            f" {totals.videos_approved}/{n}   ",
            ("⟳ ", "cyan"), f"{running} running  ", ("… ", "dim"), f"{queued} queued",
            "   ", ("reviewing: ", "dim"), (asset, "bold reverse"),
        )
        if filter_info:
            text.append(f"   {filter_info}", style="bold magenta")
        self.update(text)
