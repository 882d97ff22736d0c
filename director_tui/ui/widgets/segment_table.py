"""The segment table: one row per segment, updated cell by cell by row key.

Its columns follow the width it has (ui/table_layout.py): both prompts and the state
words on a wide terminal; the active asset's prompt and glyph-and-version states on a
narrow one, so the asset columns, comments and progress always fit.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widget import PseudoClasses
from textual.widgets import DataTable
from textual.widgets._data_table import CellDoesNotExist, ColumnKey, RowKey

from director_tui.core.rows import SegmentRow
from director_tui.core.states import Asset
from director_tui.ui.cells import PENDING_NOTE, asset_cell, fit, pending_cell, progress_cell
from director_tui.ui.table_layout import TableLayout, layout_for

LABELS = {"pos": "#", "title": "Title", "image": "Image prompt", "motion": "Motion prompt",
          Asset.KEYFRAME: "Keyframe", Asset.VIDEO: "Video", "note": "💬", "progress": "Progress"}
PROMPT_LABEL = {Asset.KEYFRAME: "Image prompt", Asset.VIDEO: "Motion prompt"}
EMPTY = Text("")  # shared: DataTable never mutates a cell
COMMENT_MARK = Text("💬")


class SegmentTable(DataTable[Text | str], inherit_bindings=False):
    """Keys come from the screen (every binding has an id); this table only draws."""

    KEYS_FROM_SCREEN = True  # the app runs its keys' bindings at once (see DirectorApp.on_event)

    # The table looks the same focused or not (the cursor row stays lit while a line or an
    # edit is open: it shows which segment the text is for), so a focus change need not
    # draw it again (see get_pseudo_class_state).
    DEFAULT_CSS = """
    SegmentTable { height: 1fr; background-tint: $foreground 5%; }
    SegmentTable > .datatable--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    SegmentTable > .datatable--header { background-tint: $foreground 5%; }
    SegmentTable > .datatable--fixed-cursor { color: $block-cursor-foreground; background: $block-cursor-background; }
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
        # decisions pressed and not yet confirmed by the store (ui/decision_queue.py): the
        # state each row will have, and rows with a note on its way
        self.pending: dict[tuple[int, str], str] = {}
        self.pending_notes: set[int] = set()
        self.layout_now: TableLayout = layout_for(160)
        self._drawn_look: object = None

    def on_mount(self) -> None:
        # the terminal's width: the table spans the screen, and has no size of its own yet
        self.layout_now = layout_for(self.size.width or self.app.size.width)
        self._add_columns()

    def _add_columns(self) -> None:
        for key, width in self.layout_now.widths.items():
            self.add_column(LABELS.get(key, ""), key=key, width=width)
        self.set_active_asset(self.active_asset)

    def on_resize(self, event: events.Resize) -> None:
        layout = layout_for(event.size.width)
        if layout == self.layout_now:
            return
        if layout.narrow != self.layout_now.narrow:  # other columns: build the table again
            self.layout_now = layout
            cursor = self.cursor_row
            self.clear(columns=True)
            self._add_columns()
            self.add_rows_keyed([self.rows_by_id[i] for i in self.order])
            if self.order:
                self.move_cursor(row=min(cursor, len(self.order) - 1), animate=False)
            return
        self.layout_now = layout
        for key, width in layout.widths.items():
            column = self.columns.get(key)  # type: ignore[call-overload]
            if column is not None:
                column.width = width
        self._require_update_dimensions = True
        self._clear_caches()
        self.refresh()

    # --- drawing only what changed -------------------------------------------------------
    def get_pseudo_class_state(self) -> PseudoClasses:
        """DataTable keys its cached rows by this; focus changes nothing here (DEFAULT_CSS)."""
        return super().get_pseudo_class_state()._replace(focus=True)

    def notify_style_update(self) -> None:
        """DataTable forgets every cached row whenever its styles are computed again, which
        every focus change does (opening and closing a line: 30-70 ms of redrawing). Forget
        them only when what the rows are drawn with has really changed (a theme, say)."""
        super(DataTable, self).notify_style_update()
        try:
            look: object = (self.rich_style, tuple(self.get_component_rich_style(name, partial=True)
                                                   for name in sorted(self.COMPONENT_CLASSES)))
        except KeyError:  # not styled yet (being mounted)
            look = None
        if look is None or look != self._drawn_look:
            self._drawn_look = look
            self._clear_caches()
            self.refresh()

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: Text | str, *,
                    update_width: bool = False) -> None:
        """As DataTable's, but only the row that changed is drawn again."""
        if update_width:
            super().update_cell(row_key, column_key, value, update_width=True)
            return
        self.set_cells(row_key, {column_key: value})

    def set_cells(self, row_key: RowKey | str, values: dict[ColumnKey | str, Text | str]) -> None:
        """Put new values in some cells of one row and draw that row again.

        DataTable keys all its render caches by one table-wide update count, so a single
        changed cell made it draw every visible row again: 50-190 ms at 160x48 for each
        decision and each progress tick (measured). Here the count stays, and the cached
        renders of this one row are forgotten instead."""
        row_key = RowKey(row_key) if isinstance(row_key, str) else row_key
        index = self._row_locations.get(row_key)
        data = self._data.get(row_key)
        if index is None or data is None:
            raise CellDoesNotExist(f"No row {row_key!r}.")
        for column_key, value in values.items():
            column_key = ColumnKey(column_key) if isinstance(column_key, str) else column_key
            if column_key not in self._column_locations:
                raise CellDoesNotExist(f"No cell for row_key={row_key!r}, column_key={column_key!r}.")
            data[column_key] = value
        self._forget_row(row_key, index)
        self.refresh_row(index)

    def _forget_row(self, row_key: RowKey, index: int) -> None:
        """Drop the cached renders of one row (index -1: the header)."""
        for cache in (self._cell_render_cache, self._row_render_cache):
            for key in [k for k in cache.keys() if k[0] == row_key]:
                cache.discard(key)  # type: ignore[arg-type]  # each key comes from its own cache (Textual types the two alike)
        self._row_renderable_cache.discard((self._update_count, index))
        self._line_cache.clear()  # lines are assembled from the rows' cached renders: cheap

    @staticmethod
    def position_cell(row: SegmentRow, marked: bool) -> Text:
        if marked:
            return Text.assemble(("▌", "bold magenta"), (f"{row.position:>3}", "bold magenta"))
        return Text(str(row.position), style="dim", justify="right")

    def prompt_cell(self, row: SegmentRow) -> Text:
        """The narrow layout's one prompt column: the active asset's prompt."""
        return fit(row.image_prompt if self.active_asset == Asset.KEYFRAME else row.motion_prompt)

    def cells(self, row: SegmentRow) -> list[Text | str]:
        narrow = self.layout_now.narrow
        prompts = [self.prompt_cell(row)] if narrow else [fit(row.image_prompt), fit(row.motion_prompt)]
        return [
            self.position_cell(row, row.id in self.marked),
            fit(row.title),
            *prompts,
            self._asset_cell(row, Asset.KEYFRAME, narrow),
            self._asset_cell(row, Asset.VIDEO, narrow),
            PENDING_NOTE if row.id in self.pending_notes else COMMENT_MARK if row.comment_count else EMPTY,
            self.progress_cells.get(row.id, EMPTY),
        ]

    def _asset_cell(self, row: SegmentRow, asset: str, narrow: bool) -> Text:
        pending = self.pending.get((row.id, asset)) if self.pending else None
        if pending is not None:
            return pending_cell(row.number(asset), pending, narrow)
        return asset_cell(row.number(asset), row.state(asset), narrow)

    def show_pending(self, marks: dict[tuple[int, str], str], notes: list[int]) -> None:
        """Decisions pressed: their rows show the state they will have, marked as on their way."""
        self.pending.update(marks)
        self.pending_notes.update(notes)
        for seg_id in {s for s, _ in marks} | set(notes):
            self._redraw(seg_id)

    def clear_pending(self, keys: list[tuple[int, str]], notes: list[int]) -> None:
        """The store answered: the rows show what it holds (read again by the caller)."""
        for key in keys:
            self.pending.pop(key, None)
        self.pending_notes.difference_update(notes)
        for seg_id in {s for s, _ in keys} | set(notes):
            self._redraw(seg_id)

    def show_refused(self, segment_id: int, text: str) -> None:
        """A decision the store refused: the reason on its row, where the progress goes."""
        if segment_id not in self.rows_by_id:
            return
        cell = fit(text, "bold red")
        self.progress_cells[segment_id] = cell
        if segment_id in self.shown:
            self.update_cell(str(segment_id), "progress", cell, update_width=False)

    def _redraw(self, segment_id: int) -> None:
        row = self.rows_by_id.get(segment_id)
        if row is not None:
            self.update_segment(row)

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
        self.set_cells(str(row.id), {col: value for col, value in zip(self.layout_now.columns, self.cells(row),
                                                                      strict=True) if col != "progress"})

    def set_progress(self, segment_id: int, state: str | None, progress: float = 0.0,
                     message: str = "", asset: str = "") -> None:
        if segment_id not in self.rows_by_id:
            return
        text = progress_cell(state, progress, message, asset)
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
        changed = asset != self.active_asset
        self.active_asset = asset
        for key in Asset.ALL:
            column = self.columns.get(key)  # type: ignore[call-overload]
            if column is None:
                continue
            label = LABELS[key]
            column.label = Text(f"▸ {label}", style="bold reverse") if key == asset else Text(label)
        prompt = self.columns.get("prompt")  # type: ignore[call-overload]
        if prompt is not None:  # narrow: the one prompt column follows the active asset
            prompt.label = Text(PROMPT_LABEL[asset])
            if changed:  # every row at once: one table-wide redraw
                for seg_id in self.order:
                    self._data[RowKey(str(seg_id))][ColumnKey("prompt")] = self.prompt_cell(self.rows_by_id[seg_id])
                self._update_count += 1
        self._forget_row(self._header_row_key, -1)  # the labels changed
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

    # --- the order, read by screens over the table (ui/segment_order.py) ---------------------
    def neighbour(self, segment_id: int, delta: int) -> int | None:
        """The segment `delta` rows from this one in the shown order (clamped at the ends)."""
        index = self.index_of(segment_id)
        if index is None:
            return None
        return self.order[max(0, min(index + delta, len(self.order) - 1))]

    def next_needing_review(self, segment_id: int | None, asset: str) -> int | None:
        """The next segment after this one (wrapping, this one last) whose `asset` waits for
        a decision. This one is left out: it was just decided, its row may not show it yet."""
        n = len(self.order)
        start = self.index_of(segment_id) if segment_id is not None else None
        start = self.cursor_row if start is None else start
        for step in range(1, n):
            seg_id = self.order[(start + step) % n]
            if (seg_id, asset) not in self.pending and self.rows_by_id[seg_id].needs_review(asset):
                return seg_id  # a row with a decision on its way is decided
        return None

    def about(self, segment_id: int, asset: str) -> str:
        """`#3 keyframe v2`: the segment as the # column numbers it, its asset and version."""
        row = self.rows_by_id.get(segment_id)
        if row is None:
            return asset
        number = row.number(asset)
        return f"#{row.position} {asset}" + (f" v{number}" if number is not None else "")

    def position(self, segment_id: int) -> int | None:
        row = self.rows_by_id.get(segment_id)
        return row.position if row is not None else None

    def seen(self, segment_id: int, asset: str) -> tuple[int | None, str] | None:
        row = self.rows_by_id.get(segment_id)
        return (row.version_id(asset), row.state(asset)) if row is not None else None
