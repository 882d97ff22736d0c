"""A prompt's editor in the review screen: a soft-wrapped TextArea whose Home and End go
to the start and end of the prompt's line, not of the screen row it happens to wrap onto
(a one-line prompt wraps over several rows; End must reach its last word)."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import TextArea


class PromptArea(TextArea):
    BINDINGS = [
        Binding("end,ctrl+e", "prompt_line_end", "End of the line", show=False),
        Binding("shift+end", "prompt_line_end(True)", "Select to the end of the line", show=False),
        Binding("home,ctrl+a", "prompt_line_start", "Start of the line", show=False),
        Binding("shift+home", "prompt_line_start(True)", "Select to the start of the line", show=False),
        Binding("ctrl+end", "prompt_end", "End of the prompt", show=False),
        Binding("ctrl+home", "prompt_start", "Start of the prompt", show=False),
    ]

    def action_prompt_line_end(self, select: bool = False) -> None:
        row, _ = self.cursor_location
        self.move_cursor((row, len(self.document.get_line(row))), select=select)

    def action_prompt_line_start(self, select: bool = False) -> None:
        row, _ = self.cursor_location
        self.move_cursor((row, 0), select=select)

    def action_prompt_end(self) -> None:
        self.move_cursor(self.document.end)

    def action_prompt_start(self) -> None:
        self.move_cursor((0, 0))
