"""A prompt save refused because someone else saved meanwhile: both texts, and a choice."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from director_tui.core.prompts import PromptConflict
from director_tui.ui.bindings import CONFLICT_BINDINGS
from director_tui.ui.widgets.key_footer import KeyFooter
from director_tui.ui.widgets.prompt_diff import diff_text


class ConflictScreen(ModalScreen[str]):
    BINDINGS = CONFLICT_BINDINGS  # type: ignore[assignment]

    def __init__(self, conflict: PromptConflict) -> None:
        super().__init__(id="conflict")
        self.conflict = conflict

    def compose(self) -> ComposeResult:
        c = self.conflict
        with Vertical(id="conflict-box"):
            yield Label(Text(f"⚠ Not saved: segment {c.position}'s {c.field} prompt was changed elsewhere "
                             "while you edited it.", style="bold yellow"))
            with VerticalScroll():
                yield Label(Text("Theirs (saved now)", style="bold"))
                yield Static(Text(c.theirs), classes="conflict-text")
                yield Label(Text("Yours (not saved)", style="bold"))
                yield Static(Text(c.mine), classes="conflict-text")
                yield Label(Text("From theirs to yours", style="bold"))
                yield Static(diff_text(c.theirs, c.mine), classes="conflict-text")
            yield Label(Text("t keep theirs · y save yours over theirs · e edit yours again", style="dim"))
        yield KeyFooter()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
