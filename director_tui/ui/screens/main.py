"""The main review screen: segment table, version pane, live task log.

The first frame is drawn from the app's snapshot (see core/fastread.py); the
store arrives a moment later (`store_ready`). Store-backed modules are
imported inside the methods that need them, so the first frame never waits
for SQLAlchemy.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Static

from director_tui.core.fastread import VersionRow
from director_tui.core.rows import SegmentRow, Totals
from director_tui.core.states import Asset, TaskState
from director_tui.ui.bindings import MAIN_BINDINGS
from director_tui.ui.messages import SegmentsChanged
from director_tui.ui.screens.review_actions import ReviewActions
from director_tui.ui.screens.review_flows import ReviewFlows
from director_tui.ui.screens.safekeeping import Safekeeping
from director_tui.ui.screens.session_state import SessionState
from director_tui.ui.widgets.job_bar import JobBar
from director_tui.ui.widgets.key_footer import KeyFooter
from director_tui.ui.widgets.prompt_line import PromptBar, PromptLine
from director_tui.ui.widgets.quick_edit import QuickEdit
from director_tui.ui.widgets.segment_table import SegmentTable
from director_tui.ui.widgets.status_header import StatusHeader
from director_tui.ui.widgets.task_log import TaskLog
from director_tui.ui.widgets.version_pane import VersionPane

if TYPE_CHECKING:
    from director_tui.jobs.runner import RunnerEvent
    from director_tui.ui.app import DirectorApp

FLUSH_INTERVAL_S = 0.2  # at most 5 UI updates a second, whatever the generators print (make bench: flood)
PROGRESS_INTERVAL_S = 0.5  # progress cells: at most 2 redraws of the table a second
SYNC_INTERVAL_S = 0.5  # how often to look for commits by other instances (PRAGMA data_version)
SYNC_MARGIN = timedelta(seconds=5)  # clock skew between instances writing updated_at
PAGE = 20


class MainScreen(ReviewActions, ReviewFlows, Safekeeping, SessionState, Screen[None]):
    BINDINGS = MAIN_BINDINGS  # type: ignore[assignment]
    app: DirectorApp  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__(id="main")
        self.asset = Asset.KEYFRAME
        self._progress: dict[int, tuple[str, float, str, str]] = {}
        self._progress_drawn_at = 0.0
        self._reload: set[int] = set()
        self._counts_dirty = False
        self._state_timer: object | None = None
        self._restored = False
        self._last_counts: tuple[Totals, int, int] = (Totals(0, 0, 0), 0, 0)
        self._visual_anchor: int | None = None
        self._visual_base: set[int] = set()
        self._comment_segment: int | None = None

    # --- layout --------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusHeader(id="status")
        with Vertical(id="body"):
            yield SegmentTable(id="segments")
            yield Static("", id="empty-filter")
            yield VersionPane(id="versions")
        yield TaskLog(id="tasklog")
        yield PromptBar(id="prompt-bar")
        yield QuickEdit()
        yield JobBar()
        yield KeyFooter()

    def on_resize(self, event: events.Resize) -> None:
        # a short terminal (80x24) keeps most of its rows for the segments
        self.query_one(TaskLog).styles.height = 8 if event.size.height >= 36 else 5

    @property
    def table(self) -> SegmentTable:
        return self.query_one(SegmentTable)

    def on_mount(self) -> None:
        # kept: runner events arrive by the thousand, a DOM query each would be too slow
        self._task_log = self.query_one(TaskLog)
        self._segment_table = self.query_one(SegmentTable)
        snap = self.app.snapshot
        table = self.table
        table.load(snap.rows)
        for (seg_id, asset), view in snap.latest_tasks.items():
            if view.state in (TaskState.QUEUED, TaskState.RUNNING, TaskState.FAILED):
                table.set_progress(seg_id, view.state, view.progress, view.error or view.message, asset)
        self._restore(snap.ui_state, snap.versions)
        self.show_counts(snap.totals, snap.running, snap.queued)
        table.focus()
        self.set_interval(FLUSH_INTERVAL_S, self.flush_events)
        self._restored = True


    def store_ready(self, queued_segments: list[tuple[int, str]]) -> None:
        """The store is open; show anything it queued (missing keyframes), then keep in
        sync with what other instances (and headless workers) commit."""
        for seg_id, asset in queued_segments:
            self.table.set_progress(seg_id, TaskState.QUEUED, asset=asset)
        if queued_segments:
            self.refresh_counts()
        store = self.app.store
        assert store is not None
        self._data_version = store.data_version()
        from director_tui.core.models import utcnow

        self._synced_at: datetime = utcnow()
        self._shown_tasks: dict[int, tuple[str, float, str, str]] = {}
        self.set_interval(SYNC_INTERVAL_S, self.sync_from_store)
        self.restore_drafts()

    def sync_from_store(self) -> None:
        """Apply commits made elsewhere: changed segments, task states and progress, counts."""
        from director_tui.core import streams
        from director_tui.core.models import utcnow

        store = self.app.store
        if store is None:
            return
        version = store.data_version()
        if version == self._data_version:
            return
        self._data_version = version
        since, self._synced_at = self._synced_at - SYNC_MARGIN, utcnow()
        with store.read() as s:
            changed = streams.segment_rows(s, self.app.stream_id, updated_since=since)
            latest = streams.latest_tasks(s, self.app.stream_id)
        mine = set(self.app.runner.running) if self.app.runner else set()
        table = self.table
        with self.app.batch_update():
            for row in changed:
                if row != table.rows_by_id.get(row.id):
                    table.update_segment(row)
            for (seg_id, asset), view in latest.items():
                if view.id in mine:
                    continue  # our own runner reports these live
                shown = (view.state, round(view.progress, 2), view.error or view.message, asset)
                if self._shown_tasks.get(seg_id) == shown:
                    continue
                self._shown_tasks[seg_id] = shown
                visible = view.state if view.state in (TaskState.QUEUED, TaskState.RUNNING,
                                                       TaskState.FAILED, TaskState.CANCELLED) else None
                table.set_progress(seg_id, visible, view.progress, shown[2], asset)
            self.refresh_counts()
        if any(r.id == getattr(table.current, "id", None) for r in changed):
            self.update_versions()

    # --- live updates ----------------------------------------------------------
    def runner_event(self, event: RunnerEvent) -> None:
        """Called for every runner event; only buffers. flush_events() draws."""
        if event.stream_id != self.app.stream_id:
            return
        if event.kind == "trouble":
            self.notify(event.message, severity="warning", timeout=8)
            return
        log = self._task_log
        pos = self._segment_table.rows_by_id.get(event.segment_id)
        # "#3" is the segment as the table's # column numbers it; the task id finds its log (T)
        label = f"#{pos.position if pos else '?'} {event.asset}, task {event.task_id}:"
        if event.kind == "log":
            log.add_lines(label, event.lines)
            return
        if event.kind == "generated":
            return
        self._progress[event.segment_id] = (event.state, event.progress, event.message, event.asset)
        if event.kind in ("started", "finished"):
            self._counts_dirty = True
            if event.kind == "finished":
                self._reload.add(event.segment_id)
                style = "green" if event.state == TaskState.SUCCEEDED else "red"
                log.add(label, f"{event.state}: {event.message}", style)

    def flush_events(self) -> None:
        if not (self._progress or self._reload or self._counts_dirty
                or self.query_one(TaskLog).pending):
            return
        table = self.table
        now = time.monotonic()
        # Any cell update makes the DataTable redraw every visible cell (its caches are keyed
        # by a table-wide update count), so progress cells move at a calmer pace than the log;
        # a task starting or ending (a reload) still shows at once.
        progress_due = self._reload or now - self._progress_drawn_at >= PROGRESS_INTERVAL_S
        with self.app.batch_update():
            progress = {}
            if progress_due:
                progress, self._progress, self._progress_drawn_at = self._progress, {}, now
            for seg_id, (state, frac, message, asset) in progress.items():
                shown = None if state == TaskState.SUCCEEDED else state
                table.set_progress(seg_id, shown, frac, message, asset)
            if self._reload:
                self.reload_segments(list(self._reload))
                self._reload.clear()
            if self._counts_dirty:
                self.refresh_counts()
            self.query_one(TaskLog).flush()

    def reload_segments(self, ids: list[int]) -> None:
        from director_tui.core import streams

        store = self.app.store
        if store is None:
            return
        with store.read() as s:
            rows = streams.segment_rows(s, self.app.stream_id, ids)
        for row in rows:
            self.table.update_segment(row)
        current = self.table.current
        if current is not None and current.id in ids:
            self.update_versions()

    def refresh_counts(self) -> None:
        from director_tui.core import streams

        self._counts_dirty = False
        store = self.app.store
        if store is None:
            return
        with store.read() as s:
            totals = streams.totals(s, self.app.stream_id)
            active = streams.active_tasks(s, self.app.stream_id)
        self.show_counts(totals, sum(t.state == TaskState.RUNNING for t in active),
                         sum(t.state == TaskState.QUEUED for t in active))

    def show_counts(self, totals: Totals, running: int, queued: int) -> None:
        self._last_counts = (totals, running, queued)
        table = self.table
        self.query_one(StatusHeader).show(self.app.stream_title, totals, running, queued, self.asset,
                                          table.filter_text, len(table.order))

    # --- selection -------------------------------------------------------------
    @on(DataTable.RowSelected, "#segments")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_review()

    @on(DataTable.RowHighlighted, "#segments")
    def _row_changed(self, _event: DataTable.RowHighlighted) -> None:
        if self._restored:
            self.update_versions()
            self._schedule_state_save()

    def update_versions(self) -> None:
        pane = self.query_one(VersionPane)
        row = self.table.current
        store = self.app.store
        if not pane.display or row is None or store is None:
            return
        from director_tui.core import streams
        with store.read() as s:
            versions = [VersionRow.of(v) for v in streams.versions(s, row.id, self.asset)]
        self._show_versions(row, versions)

    def _show_versions(self, row: SegmentRow, versions: list[VersionRow]) -> None:
        self.query_one(VersionPane).show(f"{row.position}. {row.title} — {self.asset} versions",
                                         versions, row.version_id(self.asset),
                                         self.app.settings.home / "media")

    def set_asset(self, asset: str) -> None:
        if asset not in Asset.ALL:
            asset = Asset.KEYFRAME
        self.asset = asset
        self.table.set_active_asset(asset)

    # --- movement --------------------------------------------------------------
    def _move_to(self, index: int) -> None:
        table = self.table
        if table.row_count:
            table.move_cursor(row=max(0, min(index, table.row_count - 1)), animate=False)
            if self._visual_anchor is not None:
                self._extend_visual()

    def action_cursor_down(self) -> None:
        self._move_to(self.table.cursor_row + 1)

    def action_cursor_up(self) -> None:
        self._move_to(self.table.cursor_row - 1)

    action_next_segment = action_cursor_down
    action_previous_segment = action_cursor_up

    def action_first_segment(self) -> None:
        self._move_to(0)

    def action_last_segment(self) -> None:
        self._move_to(self.table.row_count - 1)

    def action_page_down(self) -> None:
        self._move_to(self.table.cursor_row + PAGE)

    def action_page_up(self) -> None:
        self._move_to(self.table.cursor_row - PAGE)

    def action_asset(self, asset: str) -> None:
        self.set_asset(asset)
        totals, running, queued = self._last_counts
        self.show_counts(totals, running, queued)
        self.update_versions()
        self._schedule_state_save()

    def action_toggle_versions(self) -> None:
        pane = self.query_one(VersionPane)
        pane.display = not pane.display
        self.update_versions()
        self._schedule_state_save()

    def action_close(self) -> None:
        """esc: end a range, else close the version pane, else clear a kept filter, else
        clear the marks (one thing per press, the most recent kind first)."""
        pane = self.query_one(VersionPane)
        if self._visual_anchor is not None:
            self._visual_anchor = None
            self.notify("range marked", timeout=1)
        elif pane.display:
            pane.display = False
            self._schedule_state_save()
        elif self.table.filter_text:
            self.apply_filter("")
            self.notify("filter cleared", timeout=1)
        elif self.table.marked:
            self.table.set_marks(set())
            self._schedule_state_save()

    # --- marks -------------------------------------------------------------------
    def action_toggle_mark(self) -> None:
        row = self.table.current
        if row is not None:
            self.table.toggle_mark(row.id)
            self._move_to(self.table.cursor_row + 1)
            self._schedule_state_save()

    def action_mark_all(self) -> None:
        table = self.table
        table.set_marks(set() if len(table.marked) == len(table.order) else set(table.order))
        self._schedule_state_save()

    def action_visual(self) -> None:
        if self._visual_anchor is None:
            self._visual_anchor = self.table.cursor_row
            self._visual_base = set(self.table.marked)
            self._extend_visual()
            self.notify("marking a range: move, then V or esc", timeout=2)
        else:
            self._visual_anchor = None

    def _extend_visual(self) -> None:
        table = self.table
        assert self._visual_anchor is not None
        lo, hi = sorted((self._visual_anchor, table.cursor_row))
        table.set_marks(self._visual_base | set(table.order[lo:hi + 1]))
        self._schedule_state_save()

    # --- filter and command line ------------------------------------------------
    def action_filter(self) -> None:
        self.query_one(PromptLine).open("filter", self.table.filter_text)

    def action_command_line(self) -> None:
        self.query_one(PromptLine).open("command")

    @on(PromptLine.Changed, "#prompt-line")
    def _prompt_changed(self, event: PromptLine.Changed) -> None:
        mode = self.query_one(PromptLine).mode
        if mode == "filter":
            self.apply_filter(event.value)
        elif mode in ("comment", "comment-video", "feedback") and self._comment_segment is not None:
            kind = "feedback" if mode == "feedback" else "comment"
            asset = Asset.VIDEO if mode == "comment-video" else (self.asset if mode == "feedback" else Asset.KEYFRAME)
            self.app.drafts.changed(self._comment_segment, f"{kind}:{asset}", event.value, "")  # kept like a prompt

    def on_prompt_line_closed(self, event: PromptLine.Closed) -> None:
        self.table.focus()
        if event.mode == "filter" and not event.submitted:
            self.apply_filter("")
        elif event.mode == "command" and event.submitted and event.value.strip():
            self.run_command(event.value)
        elif event.mode.startswith("comment") and self._comment_segment is not None:
            asset = Asset.VIDEO if event.mode == "comment-video" else Asset.KEYFRAME
            if not event.submitted:  # esc: the director dropped it
                self.app.drafts.discard(self._comment_segment, f"comment:{asset}")
            elif event.value.strip():
                self.add_comment(self._comment_segment, event.value, asset, keep=lambda: self._reopen(event))
        elif event.mode == "feedback" and self._comment_segment is not None:
            if not event.submitted:
                self.app.drafts.discard(self._comment_segment, f"feedback:{self.asset}")
            else:
                self.send_back(self._comment_segment, event.value, keep=lambda: self._reopen(event))

    def _reopen(self, event: PromptLine.Closed) -> None:
        line = self.query_one(PromptLine)
        label = str(self.query_one("#prompt-label").render())
        line.open(event.mode, event.value, label=label)

    def apply_filter(self, text: str) -> None:
        table = self.table
        table.apply_filter(text)
        totals, running, queued = self._last_counts
        self.show_counts(totals, running, queued)
        empty = self.query_one("#empty-filter", Static)
        nothing = bool(table.filter_text) and not table.order
        if nothing != empty.display:  # the message takes the room of the empty rows
            empty.display = nothing
            table.styles.height = "auto" if nothing else "1fr"
        if nothing:
            empty.update(f"No segment matches the filter {table.filter_text!r} "
                         f"(all {len(table.all_order)} hidden) — esc clears it, / changes it")
        self._schedule_state_save()

    def action_toggle_task_log(self) -> None:
        log = self.query_one(TaskLog)
        log.display = not log.display
        self._schedule_state_save()

    # screens over the table, each imported on first use (not on the first frame's path)
    _OVERLAY_SCREENS = {"tasks": ("tasks", "TasksScreen"), "timeline": ("timeline", "TimelineScreen"),
                         "metrics": ("metrics", "MetricsScreen"), "recommendations": ("recommend", "RecommendScreen")}

    def action_open_screen(self, name: str) -> None:
        import importlib

        if self.app.store is None:
            self.app.store_or_later(lambda: self.action_open_screen(name))
            return
        module, cls = self._OVERLAY_SCREENS[name]
        screen = getattr(importlib.import_module(f"director_tui.ui.screens.{module}"), cls)()
        # a screen that names a segment when it closes (timeline, metrics: enter) sends us there
        self.app.push_screen(screen, lambda segment_id: self.go_to_segment(segment_id)
                             if isinstance(segment_id, int) else None)

    def action_tasks(self) -> None:
        self.action_open_screen("tasks")

    def action_timeline(self) -> None:
        self.action_open_screen("timeline")

    def action_metrics(self) -> None:
        self.action_open_screen("metrics")

    def action_recommendations(self) -> None:
        self.action_open_screen("recommendations")

    def on_segments_changed(self, event: SegmentsChanged) -> None:
        """Another screen changed these segments (a preset applied, a variation picked)."""
        event.stop()  # handled: it must not bubble back to the app, which forwarded it here
        self.reload_segments(list(event.segment_ids))
        for seg_id in event.clips_queued:
            self.table.set_progress(seg_id, TaskState.QUEUED, asset=Asset.VIDEO)
        if event.clips_queued:
            self.app.wake_runner()
        if event.clear_marks and self.table.marked:
            self.table.set_marks(set())
        self.refresh_counts()

    def go_to_segment(self, segment_id: int) -> None:
        """From the timeline, metrics, …: the segment's row, clearing a filter that hides it."""
        index = self.table.index_of(segment_id)
        if index is None or segment_id not in self.table.shown:
            self.apply_filter("")
            index = self.table.index_of(segment_id)
        if index is not None:
            self._move_to(index)

    def go_to_next_to_review(self) -> None:
        """After a decision: the next row whose active asset waits for one (wrapping)."""
        nxt = self.next_needing_review(self.table.cursor_row)
        if nxt is None:
            self.notify(f"every {self.asset} has a decision", timeout=3)
        else:
            self._move_to(nxt)

    def next_needing_review(self, after: int) -> int | None:
        """The next row (wrapping) whose active asset waits for a decision."""
        table = self.table
        n = len(table.order)
        for step in range(1, n + 1):
            i = (after + step) % n
            if table.rows_by_id[table.order[i]].needs_review(self.asset):
                return i
        return None
