"""The help screen: every binding with its keys, id and description."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from director_tui.ui.bindings import HELP_BINDINGS, binding_groups, effective_keys


def pretty_keys(keys: str) -> str:
    names = {"question_mark": "?", "slash": "/", "colon": ":", "space": "space", "escape": "esc", "pagedown": "PgDn",
             "pageup": "PgUp", "down": "↓", "up": "↑", "left": "←", "right": "→"}
    return " ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


class HelpScreen(ModalScreen[None]):
    BINDINGS = HELP_BINDINGS  # type: ignore[assignment]

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__(id="help")
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Label("Keys — remap any id in the config's \\[keymap] table", id="help-title")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Label("esc closes", id="help-hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Keys", key="keys", width=14)
        table.add_column("Id", key="id", width=18)
        table.add_column("What it does", key="what", width=58)
        for group, bindings in binding_groups():
            table.add_row(Text(group, style="bold underline"), "", "")
            for b in bindings:
                table.add_row(Text(pretty_keys(effective_keys(b, self.keymap)), style="bold cyan"),
                              Text(b.id or "", style="dim"), b.tooltip or b.description)
        table.focus()

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
