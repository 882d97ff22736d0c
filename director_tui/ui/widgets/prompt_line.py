"""The one-line prompt at the bottom: `/` filters rows, `:` runs a command (with completion)."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Input

from director_tui.core.commands import SUGGESTIONS

PLACEHOLDERS = {
    "filter": "filter: words in titles, prompts or states — enter keeps it, esc clears",
    "command": "command: regen 3-7 keyframe · approve 1-4 · similar 7 · vary 3 · presets export F · undo · help",
    "comment": "comment on this keyframe — enter saves, esc cancels",
    "comment-video": "comment on this clip; start with a time code to pin it (00:02.5 the horizon tilts) — enter saves",
}


class PromptLine(Input):
    DEFAULT_CSS = """
    PromptLine { dock: bottom; height: 1; border: none; padding: 0 1; display: none; }
    PromptLine:focus { border: none; }
    """
    BINDINGS = [Binding("escape", "cancel_prompt", "Cancel", id="prompt-cancel", show=False)]

    class Closed(Message):
        def __init__(self, mode: str, value: str, submitted: bool) -> None:
            super().__init__()
            self.mode, self.value, self.submitted = mode, value, submitted

    def __init__(self) -> None:
        super().__init__(id="prompt-line", suggester=None)
        self.mode = ""

    def open(self, mode: str, value: str = "") -> None:
        """mode: "filter", "command", "comment" or "comment-video" (a time code may lead)."""
        self.mode = mode
        self.suggester = SuggestFromList(SUGGESTIONS, case_sensitive=False) if mode == "command" else None
        self.placeholder = PLACEHOLDERS[mode]
        self.value = value
        self.display = True
        self.screen.set_focus(self)  # now, not next turn: see SegmentTable.on_event
        self.cursor_position = len(value)

    def close(self, submitted: bool) -> None:
        value, mode = self.value, self.mode
        self.display = False
        self.post_message(self.Closed(mode, value, submitted))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.close(True)

    def action_cancel_prompt(self) -> None:
        self.close(False)
