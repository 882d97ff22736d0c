"""A word-level prompt diff: removed words struck through in red, added words in green."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from director_tui.core.diff import diff_summary, word_diff

ADDED = "bold green"
REMOVED = "red strike"


def diff_text(old: str, new: str, *, summary: bool = True) -> Text:
    """Never markup: prompts may hold "[red]" and must show as typed."""
    ops = word_diff(old, new)
    text = Text()
    for i, (op, words) in enumerate(ops):
        if i:
            text.append(" ")
        text.append(words, style={"+": ADDED, "-": REMOVED}.get(op, ""))
    if summary:
        text.append(f"   ({diff_summary(ops)})", style="dim")
    return text


class PromptDiff(Static):
    DEFAULT_CSS = """
    PromptDiff { height: auto; max-height: 8; padding: 0 1; }
    """

    def show(self, old: str, new: str, title: str = "") -> None:
        body = diff_text(old, new)
        self.update(Text.assemble((f"{title} ", "bold"), body) if title else body)
