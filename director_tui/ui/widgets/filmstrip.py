"""A clip's filmstrip under the review screen's picture: frames sampled across it (one
picture, media/filmstrip.py), a ruler with the time standing (┃) and the comments that
carry a time code (▲), and the time code itself. The screen moves the time (`,` `.` a
frame, `[` `]` a second, `{` `}` the comments) and shows that frame above."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from director_tui.ui.widgets.preview import Preview


def ruler(width: int, duration: float, at: float | None, marks: list[float]) -> Text:
    """One line: ─ the clip, ▲ a comment's time, ┃ where the time stands."""
    width = max(8, width)
    cells = ["─"] * width
    styles = [""] * width

    def cell(t: float) -> int:
        return min(width - 1, max(0, round(t / duration * (width - 1)))) if duration > 0 else 0

    for t in marks:
        cells[cell(t)], styles[cell(t)] = "▲", "bold magenta"
    if at is not None:
        cells[cell(at)], styles[cell(at)] = "┃", "bold reverse"
    out = Text()
    for ch, style in zip(cells, styles, strict=True):
        out.append(ch, style=style)
    return out


class Filmstrip(Vertical):
    DEFAULT_CSS = """
    Filmstrip { height: 9; width: 1fr; }
    Filmstrip > #strip-frames { height: 7; }
    Filmstrip > #strip-ruler, Filmstrip > #strip-time { height: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.duration = 0.0
        self.at: float | None = None
        self.marks: list[float] = []

    def compose(self) -> ComposeResult:
        yield Preview(id="strip-frames")
        yield Static("", id="strip-ruler")
        yield Static("", id="strip-time")

    def show_strip(self, picture: Path | None, frames: int) -> None:
        self.query_one("#strip-frames", Preview).show(picture, f"{frames} frames across the clip")

    def set_clip(self, duration: float, marks: list[float]) -> None:
        self.duration, self.marks, self.at = duration, sorted(marks), None
        self.redraw()

    def set_time(self, at: float | None, label: str = "") -> None:
        self.at = at
        self.redraw(label)

    def on_resize(self) -> None:
        self.redraw()

    def redraw(self, label: str = "") -> None:
        from director_tui.media.filmstrip import timecode

        self.query_one("#strip-ruler", Static).update(ruler(self.size.width or 60, self.duration, self.at, self.marks))
        where = "the middle frame above" if self.at is None else f"{timecode(self.at)} / {timecode(self.duration)}"
        hint = " · , . a frame · [ ] a second · { } the comments (▲) · enter plays from here"
        self.query_one("#strip-time", Static).update(Text(where + (f" · {label}" if label else "") + hint,
                                                          style="dim"))
