"""Mentions (`@`): the comments that mention you, newest first, unseen ones marked; `enter`
goes to the segment (in this stream; another stream's says how to open it) and marks it
seen, `x` marks it seen without going. The notice that one arrived comes from the main
screen's sync (screens/main/live.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Label

from director_tui.ui.bindings import MENTIONS_BINDINGS
from director_tui.ui.cells import clip
from director_tui.ui.context import UsesContext
from director_tui.ui.key_router import FirstDraw
from director_tui.ui.screens.timeline import local_time
from director_tui.ui.table_cursor import step_cursor
from director_tui.ui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from director_tui.core.mentions import MentionView

SHOWN = 100  # unseen ones and the latest seen, together


class MentionsScreen(FirstDraw, UsesContext, Screen["int | None"]):
    BINDINGS = MENTIONS_BINDINGS  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__(id="mentions")
        self.start_first_draw()  # keys typed before its first draw wait for it (ui/key_router.py)
        self.items: list[MentionView] = []

    def compose(self) -> ComposeResult:
        yield Label("", id="mentions-title")
        yield DataTable(id="mentions-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in (("new", "", 1), ("at", "Time", 14), ("who", "From", 10), ("where", "Where", 24),
                                  ("what", "Comment", 100)):
            table.add_column(label, key=key, width=width)
        self.reload()
        table.focus()

    def reload(self) -> None:
        """Read the mentions off the loop (ui/reader.py), then list them."""
        from director_tui.core import mentions

        user = self.ctx.settings.user
        self.ctx.reader.read("mentions-list", lambda s: mentions.inbox(s, user, include_seen=True, limit=SHOWN),
                             self._show, owner=self)

    def _show(self, items: list[MentionView]) -> None:
        self.first_drawn(self.ctx.keys)
        self.items = items
        self.items.sort(key=lambda m: (m.seen, -m.id))  # unseen first, each newest first
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for m in self.items:
            where = f"#{m.position} {m.title}" if m.stream_id == self.ctx.stream_id else f"{m.stream} #{m.position}"
            table.add_row(Text("•" if not m.seen else " ", style="bold magenta"), local_time(m.at),
                          clip(m.author, 10), clip(where, 24), clip(m.excerpt, 200), key=str(m.id))
        if self.items:
            table.move_cursor(row=max(0, min(row, len(self.items) - 1)), animate=False)
        unseen = sum(not m.seen for m in self.items)
        self.query_one("#mentions-title", Label).update(
            f"Mentions of @{self.ctx.settings.user} — {unseen} new" if self.items else
            f"Mentions of @{self.ctx.settings.user} — none yet (write @name in a comment to tell someone)")

    @property
    def current(self) -> MentionView | None:
        row = self.query_one(DataTable).cursor_row
        return self.items[row] if 0 <= row < len(self.items) else None

    def _mark_seen(self, m: MentionView, then: object = None) -> None:
        from director_tui.core import mentions

        user = self.ctx.settings.user
        self.ctx.writer.submit(lambda s: mentions.mark_seen(s, user, [m.id]),
                               (lambda _n: then()) if callable(then) else None, what="marking it seen")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # enter on the table
        self.action_jump()

    def action_jump(self) -> None:
        m = self.current
        if m is None:
            return
        if m.stream_id != self.ctx.stream_id:
            self._mark_seen(m, self.reload)
            self.notify(f"in stream {m.stream}: director-tui open {m.stream} (segment {m.position})", timeout=6)
            return
        if not m.seen:
            self._mark_seen(m)
        self.dismiss(m.segment_id)  # the main screen goes there

    def action_seen(self) -> None:
        m = self.current
        if m is not None and not m.seen:
            self._mark_seen(m, self.reload)

    def action_cursor(self, step: int) -> None:
        step_cursor(self.query_one(DataTable), step)

    def action_back(self) -> None:
        self.dismiss()
