"""What the workspace's history says about the prompt being edited: phrases it holds with
their first-time approval counts, and phrases or presets that often got approved first time.
Counts always beside rates; nothing from fewer samples than core.insight.MIN_SAMPLES."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from director_tui.core.insight import Recommendation
    from director_tui.core.store import Store

STATS_TTL_S = 60.0  # history changes slowly; re-read at most once a minute per field
_cache: dict[tuple[int, str], tuple[float, list[Recommendation]]] = {}


def _mark(r: Recommendation) -> tuple[str, str]:
    return ("✓", "green") if r.rate >= 0.6 else ("✗", "red") if r.rate < 0.4 else ("~", "yellow")


def hints_text(prompt: str, stats: list[Recommendation]) -> Text:
    from director_tui.core.insight import hints_for

    hints = hints_for(prompt, stats)
    out = Text()
    if not hints:
        return out
    out.append("history: ", style="bold")
    for r in hints.in_prompt:
        mark, style = _mark(r)
        out.append(f"{mark} '{r.label}' {r.approved_first}/{r.samples}  ", style=style)
    if hints.suggestions:
        out.append("try: ", style="bold")
        out.append("  ".join(f"{'preset ' if r.kind == 'preset' else ''}'{r.label}' {r.approved_first}/{r.samples}"
                             for r in hints.suggestions), style="cyan")
    out.append("  (approved first time / tried)", style="dim")
    return out


class PromptHints(Static):
    DEFAULT_CSS = """
    PromptHints { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.stats: list[Recommendation] = []
        self._text = ""

    async def load(self, store: Store, field: str) -> None:
        """Read the field's statistics (off the UI thread), then show hints for the text."""
        key = (id(store), field)
        cached = _cache.get(key)
        if cached is None or time.monotonic() - cached[0] > STATS_TTL_S:
            stats = await asyncio.to_thread(_read, store, field)
            _cache[key] = (time.monotonic(), stats)
        self.stats = _cache[key][1]
        self.show(self._text)

    def show(self, prompt: str) -> None:
        self._text = prompt
        self.update(hints_text(prompt, self.stats))


def _read(store: Store, field: str) -> list[Recommendation]:
    from director_tui.core import insight

    with store.read() as s:
        return insight.hint_stats(s, field)
