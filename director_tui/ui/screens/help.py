"""The help screen: every binding with its keys, id and description.

The keys and id columns are as wide as their longest entry; the description takes the
rest of the box and wraps, so nothing is cut at any terminal size.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from director_tui.ui.bindings import HELP_BINDINGS, binding_groups, effective_keys, pretty_keys

CELL_PADDING = 1
SCROLLBAR = 2
MIN_WHAT = 24


class HelpScreen(ModalScreen[None]):
    BINDINGS = HELP_BINDINGS  # type: ignore[assignment]

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__(id="help")
        self.keymap = keymap
        self._width = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Label("Keys — remap an id in the config's \\[keymap] · ctrl+p finds an action by name",
                        id="help-title")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Label("esc closes · ↓ ↑ PgDn PgUp scroll", id="help-hint")

    def _entries(self) -> list[tuple[str, str, str, str]]:
        """(group, keys, id, what) for every binding, a group's title first."""
        rows = []
        for group, bindings in binding_groups():
            rows.append((group, "", "", ""))
            rows.extend(("", pretty_keys(effective_keys(b, self.keymap)), b.id or "",
                         b.tooltip or b.description) for b in bindings)
        return rows

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        box = self.query_one("#help-box")
        width = box.content_size.width or event.size.width
        if width != self._width:
            self._width = width
            self._fill(width)

    def _fill(self, width: int) -> None:
        table = self.query_one(DataTable)
        entries = self._entries()
        keys_w = max(max(len(k), len(g)) for g, k, _, _ in entries)  # group titles head this column
        id_w = max(len(i) for _, _, i, _ in entries)
        what_w = max(MIN_WHAT, width - SCROLLBAR - keys_w - id_w - 6 * CELL_PADDING)
        table.clear(columns=True)
        table.add_column("Keys", key="keys", width=keys_w)
        table.add_column("Id", key="id", width=id_w)
        table.add_column("What it does", key="what", width=what_w)
        for group, keys, binding_id, what in entries:
            if group:
                table.add_row(Text(group, style="bold underline"), "", "")
                continue
            # an auto-height row: the description wraps instead of being cut
            table.add_row(Text(keys, style="bold cyan"), Text(binding_id, style="dim"), Text(what),
                          height=None)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
