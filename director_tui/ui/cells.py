"""How states, versions and progress look in a cell (Rich Text, no widgets)."""

from __future__ import annotations

import functools
import re

from rich.text import Text

from director_tui.core.states import AssetState, TaskState

STATE_STYLE = {
    AssetState.NONE: ("—", "dim"),
    AssetState.REVIEW: ("●", "bold yellow"),
    AssetState.APPROVED: ("✓", "bold green"),
    AssetState.REJECTED: ("✗", "bold red"),
    AssetState.REGENERATE: ("↻", "magenta"),
    AssetState.STALE: ("⚠", "dark_orange"),
}
STATE_WORD = {
    AssetState.NONE: "",
    AssetState.REVIEW: "review",
    AssetState.APPROVED: "approved",
    AssetState.REJECTED: "rejected",
    AssetState.REGENERATE: "regen",
    AssetState.STALE: "stale",
}


def clip(text: str, width: int) -> str:
    """One line of at most `width` characters (prompts can be 100 KB with newlines)."""
    flat = " ".join(text[: width * 4].split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


FIT_CHARS = 240  # a cell never shows more; the column's width crops it, with an ellipsis


def fit(text: str, style: str = "") -> Text:
    """One line for a table cell that the column's width crops with an ellipsis, whatever
    width the terminal gives the column (Text, not str: a str cell is parsed as markup)."""
    return Text(clip(text, FIT_CHARS), style=style, no_wrap=True, overflow="ellipsis")


@functools.lru_cache(maxsize=4096)
def asset_cell(number: int | None, state: str, compact: bool = False) -> Text:
    """`✓ v2 approved`, or `✓ v2` where the table is narrow. Cached: DataTable never
    mutates a cell, and 10k rows share a few hundred of these."""
    glyph, style = STATE_STYLE.get(state, ("?", ""))
    if number is None:
        return Text("—", style="dim")
    if compact:
        return Text.assemble((f"{glyph} ", style), (f"v{number}", "bold"))
    return Text.assemble((f"{glyph} ", style), (f"v{number} ", "bold"), (STATE_WORD.get(state, state), style))


@functools.lru_cache(maxsize=256)
def pending_cell(number: int | None, state: str, compact: bool = False) -> Text:
    """A decision pressed and not yet confirmed by the store: `◌ v2 approved…` (issue 24)."""
    word = STATE_WORD.get(state, state)
    version = f"v{number}" if number is not None else "—"
    if compact:
        return Text.assemble(("◌ ", "bold cyan"), (version, "bold"))
    return Text.assemble(("◌ ", "bold cyan"), (f"{version} ", "bold"), (f"{word}…", "italic cyan"))


PENDING_NOTE = Text("◌", style="bold cyan")  # a comment or note on its way to the store


_EXIT_RE = re.compile(r"^generator exited with code (-?\d+): (.*)$", re.S)


def short_reason(reason: str) -> str:
    """The part of a failure reason that fits a cell: the exit code and the last line."""
    m = _EXIT_RE.match(reason)
    if m:
        return f"exit {m.group(1)}: {m.group(2).rsplit(' | ', 1)[-1]}"
    for long, short in (("generator not found: ", "not found: "), ("the output is not a valid ", "invalid "),
                        ("the output video does not decode", "video does not decode")):
        if reason.startswith(long):
            return short + reason[len(long):]
    return reason


def progress_cell(state: str | None, progress: float = 0.0, message: str = "", asset: str = "") -> Text:
    """The latest task of a segment in words, naming its asset: `⟳ 45% video: rendering`,
    `… keyframe queued`, `✗ video failed: exit 3: CUDA out of memory`, `keyframe cancelled`."""
    what = asset or "task"
    if state == TaskState.RUNNING:
        return fit(f"⟳ {progress * 100:3.0f}% {what}" + (f": {message}" if message else ""), "cyan")
    if state == TaskState.QUEUED:
        return fit(f"… {what} queued", "dim cyan")
    if state == TaskState.FAILED:
        return fit(f"✗ {what} failed: {short_reason(message)}", "red")
    if state == TaskState.CANCELLED:
        return fit(f"{what} cancelled", "dim")
    return Text("")


def bar(done: int, total: int, width: int = 12) -> Text:
    filled = 0 if total == 0 else round(width * done / total)
    return Text.assemble(("█" * filled, "green"), ("░" * (width - filled), "grey37"))
