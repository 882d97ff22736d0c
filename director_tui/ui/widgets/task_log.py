"""The live task log: generator output as it arrives, written in batches.

Lines are buffered and flushed by the owner at a fixed rate; writing each line
on its own can freeze the UI under a flood (textual#2187).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

MAX_BATCH = 40  # lines drawn per flush (5 a second): more than anyone reads; the rest is
# summarised, and the whole output is in the task's log file (tasks screen, enter)
SCROLLBACK = 500  # lines kept (the full output is in the log file): each line is ~40 Python
# objects (a Strip, its caches, Segments) that every full pass of the collector walks


class TaskLog(RichLog):
    DEFAULT_CSS = """
    TaskLog { height: 8; border-top: solid $primary-darken-2; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(max_lines=SCROLLBACK, wrap=False, markup=False, highlight=False, **kwargs)  # type: ignore[arg-type]
        self.pending: list[Text] = []
        self.dropped = 0

    def add(self, label: str, line: str, style: str = "") -> None:
        if len(self.pending) >= MAX_BATCH:
            self.dropped += 1
            return
        self.pending.append(Text.assemble((f"{label} ", "dim cyan"), (line[:400], style)))

    def add_lines(self, label: str, lines: tuple[str, ...]) -> None:
        room = MAX_BATCH - len(self.pending)
        for line in lines[:max(0, room)]:
            self.pending.append(Text.assemble((f"{label} ", "dim cyan"), (line[:400], "")))
        self.dropped += max(0, len(lines) - max(0, room))

    def flush(self) -> None:
        if not self.pending and not self.dropped:
            return
        batch = Text("\n").join(self.pending)
        if self.dropped:
            batch.append(f"\n… {self.dropped} more lines (full output in the task's log file)", style="dim")
        self.pending, self.dropped = [], 0
        self.write(batch, scroll_end=True)
