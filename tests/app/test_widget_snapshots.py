"""Widget-level snapshots (issue 26, 8): the segment table, the header, the prompt line and
the filmstrip, each drawn alone in a small app from rows made here, with a context of its
own instead of the real app's. A change to one widget shows in its own picture, without a
workspace, a store or the main screen around it; the whole-screen pictures are in
test_snapshots.py."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from textual.app import App, ComposeResult

from director_tui.core.rows import SegmentRow, Totals
from director_tui.core.states import Asset, AssetState, TaskState
from director_tui.ui.widgets.filmstrip import Filmstrip
from director_tui.ui.widgets.prompt_line import PromptBar, PromptLine
from director_tui.ui.widgets.segment_table import SegmentTable
from director_tui.ui.widgets.status_header import StatusHeader

ROWS = [
    SegmentRow(1, 1, "Harbour at dawn", "a harbour at dawn, gulls", "slow push in", 4.0,
               11, 2, AssetState.APPROVED, 21, 1, AssetState.REVIEW, 1),
    SegmentRow(2, 2, "Mara on the pier", "@mara walks along the pier [night]", "pan left", 3.0,
               12, 1, AssetState.REVIEW, None, None, AssetState.NONE, 0),
    SegmentRow(3, 3, "Storm", "a storm over the sea, lightning", "handheld", 5.0,
               13, 3, AssetState.REJECTED, None, None, AssetState.NONE, 2),
    SegmentRow(4, 4, "Lighthouse", "the lighthouse at night", "static", 2.5,
               None, None, AssetState.NONE, None, None, AssetState.NONE, 0),
]


class WidgetApp(App[None]):
    """One widget, and a context holding only what that widget asks of it: the @-names the
    prompt line completes (read a moment ago, so it reads nothing)."""

    def __init__(self, widget: Any, setup: Any = None) -> None:
        super().__init__()
        self.widget, self.setup = widget, setup
        self.context = SimpleNamespace(people_seen=(time.monotonic(), ["ana", "ben"]), reader=None)

    def compose(self) -> ComposeResult:
        yield self.widget

    def on_mount(self) -> None:
        if self.setup is not None:
            self.setup(self.widget)


def test_segment_table(snap_compare) -> None:  # type: ignore[no-untyped-def]
    def setup(table: SegmentTable) -> None:
        table.load(ROWS)
        table.set_progress(4, TaskState.RUNNING, 0.4, "step 8/20", Asset.KEYFRAME)
        table.toggle_mark(2)
        table.show_pending({(3, Asset.KEYFRAME): AssetState.APPROVED}, [])

    assert snap_compare(WidgetApp(SegmentTable(id="segments"), setup), terminal_size=(120, 8))


def test_status_header(snap_compare) -> None:  # type: ignore[no-untyped-def]
    def setup(header: StatusHeader) -> None:
        header.show("The Harbour", Totals(4, 1, 0), running=1, queued=2, asset=Asset.KEYFRAME,
                    filter_text="storm", filter_shown=1)
        header.set_waiting("1 decision (3 s; database is locked)")

    assert snap_compare(WidgetApp(StatusHeader(id="status"), setup), terminal_size=(120, 3))


def test_prompt_line_completes_a_name(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def type_a_name(pilot) -> None:  # type: ignore[no-untyped-def]
        line = pilot.app.query_one(PromptLine)
        line.cursor_blink = False
        line.open("comment", label="comment on #2 keyframe v1:")
        line.focus()
        await pilot.press(*"the pier is too dark @a")
        await pilot.pause()

    assert snap_compare(WidgetApp(PromptBar(id="prompt-bar")), terminal_size=(100, 3), run_before=type_a_name)


def test_filmstrip(snap_compare) -> None:  # type: ignore[no-untyped-def]
    def setup(strip: Filmstrip) -> None:
        strip.show_strip(None, 0)
        strip.set_clip(8.0, [1.5, 6.25])
        strip.set_time(3.0, "frame 72")

    assert snap_compare(WidgetApp(Filmstrip(id="review-strip"), setup), terminal_size=(100, 10))
