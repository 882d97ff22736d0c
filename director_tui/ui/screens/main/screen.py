"""The main review screen: segment table, version pane, live task log.

The first frame is drawn from the app's snapshot (see core/store/sqlite_snapshot.py); the
store arrives a moment later (`store_ready`). Store-backed modules are
imported inside the methods that need them, so the first frame never waits
for SQLAlchemy.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from director_tui.core.rows import SegmentRow, VersionRow
from director_tui.core.states import Asset, TaskState
from director_tui.ui.bindings import MAIN_BINDINGS
from director_tui.ui.context import run_reporting
from director_tui.ui.messages import SegmentsChanged, ShowingSegment
from director_tui.ui.screens.main.host import MainHost
from director_tui.ui.screens.main.live import LiveUpdates
from director_tui.ui.screens.main.session import SessionKeeper
from director_tui.ui.widgets.job_bar import JobBar
from director_tui.ui.widgets.key_footer import KeyFooter
from director_tui.ui.widgets.prompt_line import PromptBar, PromptLine
from director_tui.ui.widgets.quick_edit import QuickEdit
from director_tui.ui.widgets.segment_table import SegmentTable
from director_tui.ui.widgets.status_header import StatusHeader
from director_tui.ui.widgets.task_log import TaskLog
from director_tui.ui.widgets.version_pane import VersionPane

if TYPE_CHECKING:
    from director_tui.ui.screens.main.command_line import CommandLine
    from director_tui.ui.screens.main.decisions import Decisions
    from director_tui.ui.screens.main.picture import PicturePane
    from director_tui.ui.screens.main.prompts import PromptEditing
    from director_tui.ui.screens.main.safekeeping import SafekeepingJobs

PAGE = 20


class MainScreen(MainHost):
    """The table and what is around it. The work is done by collaborators it owns, each
    with its own state: `live` (runner events, others' commits, counts), `session` (the
    state kept per user), `decisions`, `prompts` (editing, drafts), `commands` (the :
    line), `jobs` (export, cleanup, restore). Its action_* methods are one line into them."""

    BINDINGS = MAIN_BINDINGS  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__(id="main")
        self.asset = Asset.KEYFRAME
        self._visual_anchor: int | None = None
        self._visual_base: set[int] = set()
        self._line_segment: int | None = None  # the segment a comment or note being typed is about
        self.live = LiveUpdates(self)
        self.session = SessionKeeper(self)

    # the collaborators no first frame needs: made (and their modules imported) on first use
    @functools.cached_property
    def decisions(self) -> Decisions:
        from director_tui.ui.screens.main.decisions import Decisions

        return Decisions(self)

    @functools.cached_property
    def prompts(self) -> PromptEditing:
        from director_tui.ui.screens.main.prompts import PromptEditing

        return PromptEditing(self)

    @functools.cached_property
    def commands(self) -> CommandLine:
        from director_tui.ui.screens.main.command_line import CommandLine

        return CommandLine(self)

    @functools.cached_property
    def picture(self) -> PicturePane:
        from director_tui.ui.screens.main.picture import PicturePane

        return PicturePane(self)

    @functools.cached_property
    def jobs(self) -> SafekeepingJobs:
        from director_tui.ui.screens.main.safekeeping import SafekeepingJobs

        return SafekeepingJobs(self)

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

    def on_mount(self) -> None:
        ctx = self.ctx
        ctx.tasks.events.subscribe(self, self.live.runner_event, immediate=True)
        ctx.waiting.changed.subscribe(self, self.live.waiting_changed, immediate=True)
        # an export or cleanup still running asks once before q; the session state is kept on any way out
        ctx.way_out.quit_guards.append(lambda: self.jobs.may_quit())
        ctx.way_out.state_keepers.append(lambda wait_s: self.session.save(wait_s=wait_s))
        snap = ctx.snapshot
        table = self.table
        table.load(snap.rows)
        for (seg_id, asset), view in snap.latest_tasks.items():
            if view.state in (TaskState.QUEUED, TaskState.RUNNING, TaskState.FAILED):
                table.set_progress(seg_id, view.state, view.progress, view.error or view.message, asset)
        self.session.restore(snap.ui_state, snap.versions)
        self.live.show_counts(snap.totals, snap.running, snap.queued)
        table.focus()
        self.live.start()
        ctx.gate.when_open(self, lambda _store: self.store_ready())  # the Signal, or now if it is open

    def reload_segments(self, ids: list[int]) -> None:
        self.live.reload_segments(ids)

    def store_ready(self) -> None:
        """The store is open: keep in sync with what other instances (and headless workers)
        commit, and bring back what was left unsaved."""
        self.live.store_ready()
        self.prompts.restore_drafts()

    def current_or_warn(self) -> SegmentRow | None:
        row = self.table.current
        if row is None:
            self.notify("no segment selected", severity="warning")
        return row

    def current_with_store(self, action: Callable[[], object]) -> SegmentRow | None:
        """The row under the cursor, once the store is open; until then None, and `action`
        runs again on this same row when it opens (even if the cursor moved meanwhile)."""
        row = self.current_or_warn()
        if row is None:
            return None

        def again() -> None:
            index = self.table.index_of(row.id)
            if index is not None:
                self._move_to(index)
                action()

        return row if self.ctx.store_or_later(again) is not None else None

    # --- selection -------------------------------------------------------------
    @on(DataTable.RowSelected, "#segments")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_review()

    @on(DataTable.RowHighlighted, "#segments")
    def _row_changed(self, _event: DataTable.RowHighlighted) -> None:
        if self.session.restored:
            self.update_versions()
            self.session.changed()
            if "picture" in self.__dict__:  # made on the first `i`: nothing to follow before
                self.picture.follow()

    def update_versions(self) -> None:
        pane = self.query_one(VersionPane)
        row = self.table.current
        store = self.ctx.store
        if not pane.display or row is None or store is None or store.connection_problem() is not None:
            return  # (the store away: the pane keeps what it shows)
        from director_tui.core import streams

        asset = self.asset  # the row and the asset as they are now: a later move reads its own
        self.ctx.reader.read("versions", lambda s: [VersionRow.of(v) for v in streams.versions(s, row.id, asset)],
                             lambda versions: self.show_versions(row, versions, asset), on_error=self.live.away,
                             owner=self)

    def show_versions(self, row: SegmentRow, versions: list[VersionRow], asset: str | None = None) -> None:
        asset = asset or self.asset
        self.query_one(VersionPane).show(f"{row.position}. {row.title} — {asset} versions",
                                         versions, row.version_id(asset), self.ctx.settings.home / "media")

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
        self.live.show_counts()
        self.update_versions()
        if "picture" in self.__dict__:
            self.picture.follow()
        self.session.changed()

    def action_toggle_picture(self) -> None:
        if self.ctx.store_or_later(self.action_toggle_picture) is not None:
            self.picture.toggle()

    def action_toggle_versions(self) -> None:
        pane = self.query_one(VersionPane)
        pane.display = not pane.display
        self.update_versions()
        self.session.changed()

    def action_close(self) -> None:
        """esc: end a range, else close the version pane, else clear a kept filter, else
        clear the marks (one thing per press, the most recent kind first)."""
        pane = self.query_one(VersionPane)
        if self._visual_anchor is not None:
            self._visual_anchor = None
            self.notify("range marked", timeout=1)
        elif pane.display:
            pane.display = False
            self.session.changed()
        elif self.table.filter_text:
            self.apply_filter("")
            self.notify("filter cleared", timeout=1)
        elif self.table.marked:
            self.table.set_marks(set())
            self.session.changed()

    # --- marks -------------------------------------------------------------------
    def action_toggle_mark(self) -> None:
        row = self.table.current
        if row is not None:
            self.table.toggle_mark(row.id)
            self._move_to(self.table.cursor_row + 1)
            self.session.changed()

    def action_mark_all(self) -> None:
        table = self.table
        table.set_marks(set() if len(table.marked) == len(table.order) else set(table.order))
        self.session.changed()

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
        self.session.changed()

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
        elif mode in ("comment", "comment-video", "feedback") and self._line_segment is not None:
            kind = "feedback" if mode == "feedback" else "comment"
            asset = Asset.VIDEO if mode == "comment-video" else (self.asset if mode == "feedback" else Asset.KEYFRAME)
            self.ctx.drafts.changed(self._line_segment, f"{kind}:{asset}", event.value, "")  # kept like a prompt

    def on_prompt_line_closed(self, event: PromptLine.Closed) -> None:
        self.set_focus(self.table)  # now (focus() waits a turn): the next key of a burst is the table's
        if event.mode == "filter" and not event.submitted:
            self.apply_filter("")
        elif event.mode == "command" and event.submitted and event.value.strip():
            self.commands.run(event.value)
        elif event.mode.startswith("comment") and self._line_segment is not None:
            asset = Asset.VIDEO if event.mode == "comment-video" else Asset.KEYFRAME
            if not event.submitted:  # esc: the director dropped it
                self.ctx.drafts.discard(self._line_segment, f"comment:{asset}")
            elif event.value.strip():
                self.decisions.comment(self._line_segment, event.value, asset)
        elif event.mode == "feedback" and self._line_segment is not None:
            if not event.submitted:
                self.ctx.drafts.discard(self._line_segment, f"feedback:{self.asset}")
            else:
                self.decisions.send_back(self._line_segment, event.value)

    def open_line(self, mode: str, segment_id: int, label: str, text: str = "") -> None:
        """A comment or send-back note about `segment_id`, typed in the bottom line."""
        self._line_segment = segment_id
        self.query_one(PromptLine).open(mode, text, label=label)

    def apply_filter(self, text: str) -> None:
        table = self.table
        table.apply_filter(text)
        self.live.show_counts()
        empty = self.query_one("#empty-filter", Static)
        nothing = bool(table.filter_text) and not table.order
        if nothing != empty.display:  # the message takes the room of the empty rows
            empty.display = nothing
            table.styles.height = "auto" if nothing else "1fr"
        if nothing:
            empty.update(f"No segment matches the filter {table.filter_text!r} "
                         f"(all {len(table.all_order)} hidden) — esc clears it, / changes it")
        self.session.changed()

    def action_toggle_task_log(self) -> None:
        log = self.query_one(TaskLog)
        log.display = not log.display
        self.session.changed()

    def action_open_screen(self, name: str) -> None:
        """A screen over the table (overlays.py); one that names a segment when it closes
        (timeline, metrics: enter) sends the cursor there."""
        from director_tui.ui.screens.main.overlays import OVERLAYS

        if self.ctx.store_or_later(lambda: self.action_open_screen(name)) is None:
            return
        self.app.push_screen(OVERLAYS[name](), lambda segment_id: self.go_to_segment(segment_id)
                             if isinstance(segment_id, int) else None)

    def on_segments_changed(self, event: SegmentsChanged) -> None:
        """These segments changed (a decision, a preset applied, a variation picked): read
        them again, show what was queued, wake the runner."""
        event.stop()  # handled: it must not bubble back to the app, which forwarded it here
        self.live.reload_segments(list(event.segment_ids))
        for seg_id, asset in event.queued:
            self.table.set_progress(seg_id, TaskState.QUEUED, asset=asset)
        if event.queued:
            self.ctx.tasks.wake()
        if event.clear_marks and self.table.marked:
            self.table.set_marks(set())
        self.live.refresh_counts()

    def on_showing_segment(self, event: ShowingSegment) -> None:
        """The review screen moved on: the cursor follows, so esc comes back to that row."""
        event.stop()
        if self.asset != event.asset:
            self.set_asset(event.asset)
        self.go_to_segment(event.segment_id)

    def go_to_segment(self, segment_id: int) -> None:
        """From the timeline, metrics, …: the segment's row, clearing a filter that hides it."""
        index = self.table.index_of(segment_id)
        if index is None or segment_id not in self.table.shown:
            self.apply_filter("")
            index = self.table.index_of(segment_id)
        if index is not None:
            self._move_to(index)

    def go_to_next_to_review(self, decided: int | None = None) -> None:
        """After a decision on `decided`: the next row whose active asset waits for one."""
        nxt = self.table.next_needing_review(decided, self.asset)
        if nxt is None:
            self.notify(f"every {self.asset} has a decision", timeout=3)
        else:
            self.go_to_segment(nxt)

    # --- the decisions and the flows, each one line into its collaborator ----------------------
    def action_approve(self) -> None:
        self.decisions.approve()

    def action_reject(self) -> None:
        self.decisions.reject()

    def action_regenerate(self) -> None:
        self.decisions.regenerate()

    def action_cancel(self) -> None:
        self.decisions.cancel()

    def action_similar(self) -> None:
        self.decisions.similar()

    def action_variations(self) -> None:
        self.decisions.variations()

    def action_variation_grid(self) -> None:
        self.decisions.variation_grid()

    def action_undo(self) -> None:
        self.decisions.journal("undo")

    def action_redo(self) -> None:
        self.decisions.journal("redo")

    def action_comment(self) -> None:
        row = self.current_or_warn()
        if row is not None:
            self.open_line("comment-video" if self.asset == Asset.VIDEO else "comment", row.id,
                           f"comment on {self.table.about(row.id, self.asset)}:", self._kept(row.id, "comment"))

    def action_send_back(self) -> None:
        """`f`: a note on what to change, then a new version, then the next to review."""
        row = self.current_or_warn()
        if row is not None:
            self.open_line("feedback", row.id, f"send back {self.table.about(row.id, self.asset)} with a note:",
                           self._kept(row.id, "feedback"))

    def _kept(self, segment_id: int, kind: str) -> str:
        """The unsent text of this line found at open (or kept from a refusal), if any."""
        draft = self.ctx.drafts.take(segment_id, f"{kind}:{self.asset}")
        return draft.text if draft is not None else ""

    def action_quick_edit(self) -> None:
        self.prompts.quick_edit()

    def on_quick_edit_done(self, event: QuickEdit.Done) -> None:
        self.table.focus()
        self.prompts.quick_edit_done(event)

    def action_edit_in_editor(self) -> None:
        self.prompts.in_editor()

    async def action_open_player(self) -> None:
        from director_tui.ui.media_actions import open_player

        row = self.current_with_store(lambda: run_reporting(self, self.action_open_player(), "player"))
        if row is not None:
            await open_player(self.app, row.id, self.asset, row.position)

    async def action_send_to_machine(self) -> None:
        from director_tui.ui.media_actions import current_file, send_to_my_machine

        row = self.current_with_store(lambda: run_reporting(self, self.action_send_to_machine(), "share"))
        if row is not None and (found := await current_file(self.app, row.id, self.asset, row.position)) is not None:
            await send_to_my_machine(self.app, [found])

    def action_open_review(self) -> None:
        from director_tui.ui.screens.review import ReviewScreen

        row = self.current_with_store(self.action_open_review)
        if row is not None:
            self.app.push_screen(ReviewScreen(row.id, self.asset, self.table))

    def action_compare(self) -> None:
        from director_tui.ui.screens.compare import open_compare

        row = self.current_with_store(self.action_compare)
        if row is not None:
            open_compare(self.app, row.id, self.asset)

    def action_presets(self) -> None:
        from director_tui.core.prompts import field_of
        from director_tui.ui.screens.presets import PresetsScreen

        row = self.current_with_store(self.action_presets)
        if row is None:
            return
        marked = [i for i in self.table.order if i in self.table.marked]
        # it closes with the presets chosen for one variation each, or nothing
        self.app.push_screen(PresetsScreen(marked or [row.id], field_of(self.asset), self.asset),
                             lambda chosen: self.decisions.variations(presets=chosen) if chosen else None)
