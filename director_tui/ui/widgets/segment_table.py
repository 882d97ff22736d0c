"""The segment table: one row per segment, updated cell by cell by row key."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from director_tui.core.rows import SegmentRow
from director_tui.core.states import Asset
from director_tui.ui.cells import asset_cell, clip, progress_cell

COLUMNS: list[tuple[str, str, int]] = [
    ("pos", "#", 4),
    ("title", "Title", 18),
    ("image", "Image prompt", 34),
    ("motion", "Motion prompt", 22),
    (Asset.KEYFRAME, "Keyframe", 15),
    (Asset.VIDEO, "Video", 15),
    ("note", "💬", 3),
    ("progress", "Progress", 28),
]
EMPTY = Text("")  # shared: DataTable never mutates a cell
COMMENT_MARK = Text("💬")
ASSET_LABEL = {Asset.KEYFRAME: "Keyframe", Asset.VIDEO: "Video"}


class SegmentTable(DataTable[Text | str], inherit_bindings=False):
    """Keys come from the screen (every binding has an id); this table only draws."""

    KEYS_FROM_SCREEN = True  # the app runs its keys' bindings at once (see DirectorApp.on_event)

    DEFAULT_CSS = """
    SegmentTable { height: 1fr; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.rows_by_id: dict[int, SegmentRow] = {}  # every segment, shown or filtered out
        self.all_order: list[int] = []
        self.order: list[int] = []  # the rows shown, in order
        self.progress_cells: dict[int, Text] = {}  # kept for rows a filter hides
        self.filter_text = ""
        self.shown: set[int] = set()  # ids of self.order, for membership tests
        self.active_asset = Asset.KEYFRAME
        self.marked: set[int] = set()

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)
        self.set_active_asset(self.active_asset)

    @staticmethod
    def position_cell(row: SegmentRow, marked: bool) -> Text:
        if marked:
            return Text.assemble(("▌", "bold magenta"), (f"{row.position:>3}", "bold magenta"))
        return Text(str(row.position), style="dim", justify="right")

    def cells(self, row: SegmentRow) -> list[Text | str]:
        return [
            self.position_cell(row, row.id in self.marked),
            # Text, not str: DataTable parses a str cell as markup, and prompts may hold "[...]"
            Text(clip(row.title, 18)),
            Text(clip(row.image_prompt, 34)),
            Text(clip(row.motion_prompt, 22)),
            asset_cell(row.keyframe_number, row.keyframe_state),
            asset_cell(row.video_number, row.video_state),
            COMMENT_MARK if row.comment_count else EMPTY,
            self.progress_cells.get(row.id, EMPTY),
        ]

    def load(self, rows: list[SegmentRow]) -> None:
        self.clear()
        self.rows_by_id = {r.id: r for r in rows}
        self.all_order = [r.id for r in rows]
        self.order = list(self.all_order)
        self.shown = set(self.order)
        self.add_rows_keyed(rows)

    def matches(self, row: SegmentRow, words: list[str]) -> bool:
        progress = self.progress_cells.get(row.id)
        haystack = " ".join((row.title, row.image_prompt, row.motion_prompt, f"keyframe:{row.keyframe_state}",
                             f"video:{row.video_state}", row.keyframe_state, row.video_state,
                             progress.plain if progress is not None else "")).lower()
        return all(word in haystack for word in words)

    def apply_filter(self, text: str) -> None:
        """Show only segments whose title, prompts or states hold every word of `text`."""
        self.filter_text = text.strip()
        words = self.filter_text.lower().split()
        current = self.current.id if self.current else None
        shown = [i for i in self.all_order if not words or self.matches(self.rows_by_id[i], words)]
        if shown == self.order:
            return
        self.clear()
        self.order = shown
        self.shown = set(shown)
        self.add_rows_keyed([self.rows_by_id[i] for i in shown])
        if current in shown:
            self.move_cursor(row=shown.index(current), animate=False)

    def add_rows_keyed(self, rows: list[SegmentRow]) -> None:
        for row in rows:
            self.add_row(*self.cells(row), key=str(row.id))

    def update_segment(self, row: SegmentRow) -> None:
        """Refresh the cells of one segment that can change."""
        self.rows_by_id[row.id] = row
        if row.id not in self.shown:
            return
        key = str(row.id)
        new = self.cells(row)
        for (col, _label, _w), value in zip(COLUMNS, new, strict=True):
            if col == "progress":
                continue
            self.update_cell(key, col, value, update_width=False)

    def set_progress(self, segment_id: int, state: str | None, progress: float = 0.0,
                     message: str = "", asset: str = "") -> None:
        if segment_id not in self.rows_by_id:
            return
        text = progress_cell(state, progress, message, 28)
        if asset == Asset.VIDEO and text.plain:
            text = Text.assemble(("▶ ", "dim"), text)
        self.progress_cells[segment_id] = text
        if segment_id in self.shown:
            self.update_cell(str(segment_id), "progress", text, update_width=False)

    def toggle_mark(self, segment_id: int) -> None:
        self.set_marks(self.marked ^ {segment_id})

    def set_marks(self, marks: set[int]) -> None:
        changed = self.marked ^ marks
        self.marked = set(marks)
        for seg_id in changed:
            row = self.rows_by_id.get(seg_id)
            if row is not None and seg_id in self.shown:
                self.update_cell(str(seg_id), "pos", self.position_cell(row, seg_id in marks),
                                 update_width=False)

    def set_active_asset(self, asset: str) -> None:
        self.active_asset = asset
        for key in Asset.ALL:
            column = self.columns.get(key)  # type: ignore[call-overload]
            if column is None:
                continue
            label = ASSET_LABEL[key]
            column.label = Text(f"▸ {label}", style="bold reverse") if key == asset else Text(label)
        self._require_update_dimensions = True
        self.refresh()

    @property
    def current(self) -> SegmentRow | None:
        if not self.order or self.cursor_row < 0 or self.cursor_row >= len(self.order):
            return None
        return self.rows_by_id.get(self.order[self.cursor_row])

    def index_of(self, segment_id: int) -> int | None:
        try:
            return self.order.index(segment_id)
        except ValueError:
            return None
