"""The activity timeline (`t`): every action of the stream, newest first, filterable by
segment, kind and author; `enter` jumps to the event's segment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label

from director_tui.ui.bindings import TIMELINE_BINDINGS
from director_tui.ui.cells import clip
from director_tui.ui.context import UsesContext
from director_tui.ui.key_router import FirstDraw
from director_tui.ui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from director_tui.core.insight import TimelineEvent

PAGE = 500  # rows read at a time; the next page loads when the cursor reaches the end
REFRESH_S = 1.0
KINDS = ("", "prompt", "generation", "decision", "comment", "export", "cleanup")
KIND_STYLE = {"prompt": "cyan", "preset": "cyan", "task": "blue", "version": "green", "variation": "green",
              "comment": "magenta", "export": "yellow", "cleanup": "yellow", "archive": "yellow",
              "journal": "dim", "checkpoint": "green"}


def parse_filter(text: str) -> dict[str, str]:
    """`segment:3 kind:decision author:ana since:2d`, or bare `#3`, `@ana`, a kind group, `2d`."""
    out: dict[str, str] = {}
    for word in text.split():
        key, sep, value = word.partition(":")
        if sep and key in ("segment", "kind", "author", "since"):
            out[key] = value
        elif word.startswith("#"):
            out["segment"] = word[1:]
        elif word.startswith("@"):
            out["author"] = word[1:]
        elif word in KINDS:
            out["kind"] = word
        else:
            out["since"] = word
    return out


def local_time(at: datetime) -> str:
    """The store keeps naive UTC; the director reads local time."""
    return at.replace(tzinfo=UTC).astimezone().strftime("%m-%d %H:%M:%S")


class TimelineScreen(FirstDraw, UsesContext, Screen["int | None"]):
    BINDINGS = TIMELINE_BINDINGS  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__(id="timeline")
        self.start_first_draw()  # keys typed before its first draw wait for it (ui/key_router.py)
        self.filters: dict[str, str] = {}
        self._events: list[TimelineEvent] = []
        self._exhausted = False
        self._newest_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Label("", id="timeline-title")
        yield DataTable(id="timeline-table", cursor_type="row", zebra_stripes=True)
        yield Input(placeholder="segment:3 kind:decision author:ana since:2d  (or #3 decision @ana 2d)",
                    id="timeline-filter")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in (("at", "Time", 14), ("who", "Who", 10), ("seg", "#", 4),
                                  ("title", "Segment", 20), ("kind", "Kind", 18), ("what", "What", 80)):
            table.add_column(label, key=key, width=width)
        self.query_one(Input).display = False
        self.reload()
        table.focus()
        self.set_interval(REFRESH_S, self._refresh_if_new)

    # --- reading (off the loop: ui/reader.py) -----------------------------------
    def _query(self, before_id: int | None = None) -> Callable[[Any], list[TimelineEvent]]:
        """The read of a page of events under the filters as they are now (before `before_id`)."""
        from director_tui.core import insight

        f = dict(self.filters)
        segment = int(f["segment"]) if f.get("segment", "").isdigit() else None
        since = insight.parse_since(f["since"]) if f.get("since") else None
        stream_id = self.ctx.stream_id
        return lambda s: insight.timeline(s, stream_id, segment=segment, kind=f.get("kind") or None,
                                          actor=f.get("author") or None, since=since, before_id=before_id,
                                          limit=PAGE)

    def reload(self, newest: int | None = None) -> None:
        """Read the first page again; `newest`: the latest activity id, when the caller has it."""
        from director_tui.core.insight import latest_activity_id

        page = self._query()

        def work(s: Any) -> tuple[int | None, list[TimelineEvent]]:
            return (newest if newest is not None else latest_activity_id(s)), page(s)

        self.ctx.reader.read("timeline", work, lambda found: self._show_page(*found), owner=self)

    def _show_page(self, newest: int | None, events: list[TimelineEvent]) -> None:
        self.first_drawn(self.ctx.keys)
        table = self.query_one(DataTable)
        keep = self.current.id if self.current else None
        self._events, self._exhausted = [], False
        table.clear()
        self._newest_id = newest
        self._append(events)
        self._show_title()
        if keep is not None:
            for i, e in enumerate(self._events):
                if e.id <= keep:  # the same event, or where it was if it is filtered out now
                    table.move_cursor(row=i, animate=False)
                    break

    def _append(self, events: list[TimelineEvent]) -> None:
        table = self.query_one(DataTable)
        if len(events) < PAGE:
            self._exhausted = True
        for e in events:
            group = e.kind.split(".")[0]
            table.add_row(local_time(e.at), clip(e.actor, 10), str(e.position) if e.position else "",
                          clip(e.title, 20), Text(e.kind, style=KIND_STYLE.get(group, "")), clip(e.summary, 200),
                          key=str(e.id))
        self._events += events

    def _show_title(self) -> None:
        f = self.filters
        parts = [f"{k} {v}" for k, v in f.items() if v]
        more = "" if self._exhausted else "+"
        self.query_one("#timeline-title", Label).update(
            f"Activity — {len(self._events)}{more} events, newest first"
            + (f" · {', '.join(parts)} (esc clears)" if parts else " · s, w, f or / to filter"))

    def _refresh_if_new(self) -> None:
        """Every REFRESH_S: the newest activity's id read off the loop (ui/reader.py); the
        page is read again only when something happened."""
        from director_tui.core.insight import latest_activity_id

        def then(newest: int | None) -> None:
            if newest != self._newest_id:
                self.reload(newest)

        self.ctx.reader.read("timeline-newest", latest_activity_id, then, owner=self)

    @property
    def current(self) -> TimelineEvent | None:
        row = self.query_one(DataTable).cursor_row
        return self._events[row] if 0 <= row < len(self._events) else None

    @on(DataTable.RowHighlighted)
    def _maybe_more(self, event: DataTable.RowHighlighted) -> None:
        if not self._exhausted and self._events and event.cursor_row >= len(self._events) - 5:
            last = self._events[-1].id

            def more(events: list[TimelineEvent]) -> None:
                if self._events and self._events[-1].id == last:  # not reloaded meanwhile
                    self._append(events)
                    self._show_title()

            self.ctx.reader.read("timeline-more", self._query(before_id=last), more, owner=self)

    # --- filters ---------------------------------------------------------------
    def set_filter(self, key: str, value: str | None) -> None:
        if value:
            self.filters[key] = value
        else:
            self.filters.pop(key, None)
        self.reload()

    def action_this_segment(self) -> None:
        e = self.current
        if "segment" in self.filters:
            self.set_filter("segment", None)
        elif e is not None and e.position is not None:
            self.set_filter("segment", str(e.position))

    def action_this_author(self) -> None:
        e = self.current
        if "author" in self.filters:
            self.set_filter("author", None)
        elif e is not None and e.actor:
            self.set_filter("author", e.actor)

    def action_next_kind(self) -> None:
        kind = self.filters.get("kind", "")
        nxt = KINDS[(KINDS.index(kind) + 1) % len(KINDS)] if kind in KINDS else ""
        self.set_filter("kind", nxt)

    def action_edit_filter(self) -> None:
        box = self.query_one(Input)
        box.value = " ".join(f"{k}:{v}" for k, v in self.filters.items())
        box.display = True
        self.set_focus(box)

    @on(Input.Submitted, "#timeline-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        from director_tui.core.insight import InsightError, parse_since

        wanted = parse_filter(event.value)
        try:
            if wanted.get("since"):
                parse_since(wanted["since"])
            if wanted.get("segment") and not wanted["segment"].isdigit():
                raise InsightError(f"segment: {wanted['segment']!r} is not a segment number")
        except InsightError as exc:
            self.notify(str(exc), severity="error")
            return
        self.filters = wanted
        event.input.display = False
        self.query_one(DataTable).focus()
        self.reload()

    def action_close_timeline(self) -> None:
        box = self.query_one(Input)
        if box.display:
            box.display = False
            self.query_one(DataTable).focus()
        elif self.filters:
            self.filters = {}
            self.reload()
        else:
            self.dismiss()

    def action_back(self) -> None:
        self.dismiss()

    def _move(self, row: int) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(row, table.row_count - 1)), animate=False)

    def action_cursor(self, step: int) -> None:
        self._move(self.query_one(DataTable).cursor_row + step)

    def action_edge(self, end: bool) -> None:
        self._move(len(self._events) - 1 if end else 0)

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_jump()  # enter on the table itself

    def action_jump(self) -> None:
        e = self.current
        if e is None or e.segment_id is None:
            self.notify("this event belongs to no segment", severity="warning")
            return
        self.dismiss(e.segment_id)  # the main screen goes there
