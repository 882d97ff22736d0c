"""The header: stream title, checkpoint progress, task counts, the asset under review.

It shortens rather than drops: on a narrow terminal the words get shorter and the title
is cut, but every figure (keyframes and videos approved, running, queued, the asset, a
filter's count) stays on the line.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.widgets import Static

from director_tui.core.rows import Totals
from director_tui.ui.cells import bar


@dataclass(frozen=True)
class HeaderFigures:
    title: str
    totals: Totals
    running: int
    queued: int
    asset: str
    filter_text: str = ""
    filter_shown: int = 0


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def header_variants(f: HeaderFigures) -> list[Text]:
    """The header from the most spacious to the tightest; the first that fits is shown."""
    t = f.totals
    n = t.segments
    k, v = f"{t.keyframes_approved}/{n}", f"{t.videos_approved}/{n}"
    filt = f"filter {f.filter_text!r}: {f.filter_shown}/{n}" if f.filter_text else ""
    variants = [
        Text.assemble((f"🎬 {f.title}", "bold"), "   ", ("Keyframes ", "dim"), bar(t.keyframes_approved, n, 10),
                      f" {k}   ", ("Videos ", "dim"), bar(t.videos_approved, n, 10), f" {v}   ",
                      ("⟳ ", "cyan"), f"{f.running} running  ", ("… ", "dim"), f"{f.queued} queued",
                      "   ", ("reviewing: ", "dim"), (f.asset, "bold reverse"),
                      (f"   {filt}" if filt else "", "bold magenta")),
        Text.assemble((f"🎬 {f.title}", "bold"), "  ", ("Keyframes ", "dim"), f"{k}  ", ("Videos ", "dim"),
                      f"{v}  ", ("⟳ ", "cyan"), f"{f.running} running  ", ("… ", "dim"), f"{f.queued} queued  ",
                      (f.asset, "bold reverse"), (f"  {filt}" if filt else "", "bold magenta")),
    ]
    short_filter = f"/{_clip(f.filter_text, 8)} {f.filter_shown}/{n}" if f.filter_text else ""
    tail = Text.assemble(("Key ", "dim"), f"{k} ", ("Vid ", "dim"), f"{v} ", ("⟳", "cyan"), f"{f.running} ",
                         ("…", "dim"), f"{f.queued} ", (f.asset, "bold reverse"),
                         (f" {short_filter}" if short_filter else "", "bold magenta"))
    variants.append(tail)  # the title is added to this one by `fit_header`, cut to the room left
    return variants


def fit_header(f: HeaderFigures, width: int) -> Text:
    variants = header_variants(f)
    for text in variants[:-1]:
        if text.cell_len <= width:
            return text
    tail = variants[-1]
    room = width - tail.cell_len - 2
    if room >= 4:
        return Text.assemble((_clip(f.title, room), "bold"), "  ") + tail
    return tail


class StatusHeader(Static):
    DEFAULT_CSS = """
    StatusHeader { height: 1; background: $primary-darken-3; color: $text; padding: 0 1; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.figures: HeaderFigures | None = None
        self.waiting: str | None = None  # a write waiting for the database: what it saves
        self.store_problem: str | None = None  # the store's connection is lost: why

    def set_waiting(self, what: str | None) -> None:
        self.waiting = what
        self._draw()

    def set_store_problem(self, why: str | None) -> None:
        if why != self.store_problem:
            self.store_problem = why
            self.set_class(why is not None, "-store-lost")
            self._draw()

    def show(self, title: str, totals: Totals, running: int, queued: int, asset: str,
             filter_text: str = "", filter_shown: int = 0) -> None:
        self.figures = HeaderFigures(title, totals, running, queued, asset, filter_text, filter_shown)
        self._draw()

    def _draw(self) -> None:
        if self.figures is None:
            return
        width = (self.size.width or self.app.size.width) - 2  # the padding
        if self.store_problem:  # the banner: before anything else, in words
            note = Text(f"⚠ store unreachable ({self.store_problem}), reconnecting; what you type is kept",
                        style="bold")
            self.update(fit_header(self.figures, max(20, width - note.cell_len - 2)) + Text("  ") + note
                        if width - note.cell_len > 40 else Text(_clip(note.plain, width), style="bold"))
            return
        if self.waiting:
            note = Text(f"⏳ waiting for the database to save {self.waiting}…", style="bold yellow")
            self.update(fit_header(self.figures, max(20, width - note.cell_len - 2)) + Text("  ") + note)
            return
        self.update(fit_header(self.figures, width))

    def on_resize(self, _event: events.Resize) -> None:
        self._draw()
