"""Recommendations (`R`): phrases and presets by how often the first version made from a
prompt holding them was approved, across the workspace. Counts beside every rate; nothing
from fewer samples than core.insight.MIN_SAMPLES."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static

from director_tui.ui.bindings import RECOMMEND_BINDINGS
from director_tui.ui.cells import clip
from director_tui.ui.context import UsesContext
from director_tui.ui.key_router import FirstDraw
from director_tui.ui.table_cursor import step_cursor
from director_tui.ui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from director_tui.core.insight import Recommendation

FIELDS = (None, "image", "motion")
LIMIT = 200


def rate_bar(rate: float, width: int = 20) -> Text:
    n = round(rate * width)
    style = "green" if rate >= 0.6 else "red" if rate < 0.4 else "yellow"
    return Text("█" * n, style=style) + Text("░" * (width - n), style="dim")


class RecommendScreen(FirstDraw, UsesContext, Screen[None]):
    BINDINGS = RECOMMEND_BINDINGS  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__(id="recommend")
        self.start_first_draw()  # keys typed before its first draw wait for it (ui/key_router.py)
        self.field: str | None = None
        self.worst = False
        self.items: list[Recommendation] = []

    def compose(self) -> ComposeResult:
        yield Label("", id="recommend-title")
        yield DataTable(id="recommend-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="recommend-empty")
        yield KeyFooter()

    async def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in (("kind", "Kind", 7), ("field", "Prompt", 7), ("label", "Phrase or preset", 44),
                                  ("count", "First time", 14), ("rate", "Rate", 5), ("bar", "", 20)):
            table.add_column(label, key=key, width=width)
        table.focus()
        await self.reload()
        self.first_drawn(self.ctx.keys)

    def _read(self) -> list[Recommendation]:
        from director_tui.core import insight

        assert self.ctx.store is not None
        with self.ctx.store.read() as s:
            return insight.recommendations(s, field=self.field, worst=self.worst, limit=LIMIT)

    async def reload(self) -> None:
        from director_tui.core.insight import MIN_SAMPLES

        self.items = await asyncio.to_thread(self._read)
        table = self.query_one(DataTable)
        table.clear()
        for r in self.items:
            table.add_row(r.kind, r.field, clip(r.label, 44), f"{r.approved_first} of {r.samples}",
                          f"{100 * r.rate:.0f}%", rate_bar(r.rate))
        which = "what gets sent back or rejected most" if self.worst else "what gets approved first time"
        self.query_one("#recommend-title", Label).update(
            f"Recommendations — {which} · {self.field or 'image and motion'} prompts · from {MIN_SAMPLES}+ "
            "samples: first versions decided, whole workspace")
        empty = self.query_one("#recommend-empty", Static)
        empty.display = not self.items
        table.display = bool(self.items)
        empty.update(Text(f"Nothing to recommend yet: no phrase or preset has {MIN_SAMPLES} first versions "
                          "decided (approved, rejected or sent back). Keep reviewing; this fills in as you decide.",
                          style="dim"))

    async def action_next_field(self) -> None:
        self.field = FIELDS[(FIELDS.index(self.field) + 1) % len(FIELDS)]
        await self.reload()

    async def action_toggle_worst(self) -> None:
        self.worst = not self.worst
        await self.reload()

    def action_cursor(self, step: int) -> None:
        step_cursor(self.query_one(DataTable), step)

    def action_back(self) -> None:
        self.dismiss()
