"""The yes/no question any screen asks before something it cannot take back (a cleanup, a
quit that abandons an export, trusting a stream's generators): a dialog that returns its
answer with `dismiss()`, as Frogmouth's dialogs do."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from director_tui.ui.bindings import CONFIRM_BINDINGS


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; y confirms, n or esc declines."""

    BINDINGS = CONFIRM_BINDINGS  # type: ignore[assignment]

    def __init__(self, title: str, body: Text | str) -> None:
        super().__init__(id="confirm")
        self._title, self._body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Label(Text(self._title, style="bold"))
            yield Static(self._body)
            yield Label(Text("y: go ahead   n / esc: no", style="dim"))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
