"""What keeps the main screen true while others work: this app's runner (events by the
thousand, buffered and drawn at most 5 times a second), other instances and headless
workers (their commits, seen through the store's change token), and the counts.

Owned by MainScreen (`screen.live`); it draws through the screen's table, header and log.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from director_tui.core.rows import Totals
from director_tui.core.states import TaskState
from director_tui.ui.screens.main.part import ScreenPart
from director_tui.ui.widgets.status_header import StatusHeader
from director_tui.ui.widgets.task_log import TaskLog

if TYPE_CHECKING:
    from director_tui.jobs.runner import RunnerEvent
    from director_tui.ui.screens.main.host import MainHost
    from director_tui.ui.widgets.segment_table import SegmentTable

FLUSH_INTERVAL_S = 0.2  # at most 5 UI updates a second, whatever the generators print (make bench: flood)
PROGRESS_INTERVAL_S = 0.5  # progress cells: at most 2 redraws of the table a second
SYNC_INTERVAL_S = 0.5  # how often to look for commits by other instances (the store's change token)
SYNC_MARGIN = timedelta(seconds=5)  # clock skew between instances writing updated_at
# mentions of this user: looked for at most this often, and only after a commit elsewhere
# (a worker's progress commits every second: no query of them each time); the first look
# once the first screen has settled
MENTIONS_EVERY_S = 1.5


class LiveUpdates(ScreenPart):
    def __init__(self, screen: MainHost) -> None:
        super().__init__(screen)
        self._progress: dict[int, tuple[str, float, str, str]] = {}
        self._progress_drawn_at = 0.0
        self._reload: set[int] = set()
        self._counts_dirty = False
        self.last_counts: tuple[Totals, int, int] = (Totals(0, 0, 0), 0, 0)
        self.change_token = -1
        self._synced_at: datetime | None = None
        self._store_problem: str | None = None
        self._shown_tasks: dict[int, tuple[str, float, str, str]] = {}
        self._table: SegmentTable | None = None
        self._stream_id: int | None = None
        self._mentions_after: int | None = None  # the newest mention of us already told of
        self._mentions_due = False  # another instance committed since the last look
        self._reading_token: int | None = None  # the change token a sync is reading for
        self._reload_wanted: set[int] = set()  # rows asked to be read again, not yet applied

    def start(self) -> None:
        # kept, not queried: runner events arrive by the thousand (a DOM query each is too
        # slow), and after the screen's widgets are gone on the way out (a query would fail)
        self._task_log = self.screen.query_one(TaskLog)
        self._table = self.screen.table
        self._stream_id = self.ctx.stream_id
        self.screen.set_interval(FLUSH_INTERVAL_S, self.flush_events)

    def waiting_changed(self, change: tuple[str | None, str, str | None]) -> None:
        """What waits for the database (ui/waiting.py): in the header; a change the writer waits
        to save also as a notice while another screen covers the header."""
        said, slot, what = change
        for header in self.screen.query(StatusHeader):
            header.set_waiting(said)
        if slot == "writer" and what is not None and self.app.screen is not self.screen:
            self.screen.notify(f"waiting for the database to save {what}…", timeout=2)

    def store_ready(self) -> None:
        """The store is open: from now on, follow what other instances commit."""
        from director_tui.core.models import utcnow

        store = self.ctx.store
        assert store is not None
        self._synced_at = utcnow()
        # SQLite: a cheap PRAGMA twice a second; PostgreSQL: a counter its listener keeps;
        # and at once when the watched files say a commit happened (ui/store_changes.py)
        self.screen.set_interval(getattr(store, "sync_interval_s", SYNC_INTERVAL_S), self.sync_from_store)
        self.ctx.store_changes.signal.subscribe(self.screen, lambda _none: self.sync_from_store())
        self.change_token = store.change_token()
        self.screen.set_interval(MENTIONS_EVERY_S, self._look_for_mentions)

    def away(self, exc: Exception) -> bool:
        """A read here met a store that is away (a dropped connection, a server restarting):
        that look is skipped and made again on a later round, and the header says the store
        is away. Anything else is a fault of ours and is raised. (An exception out of a
        screen's handler ends the screen in Textual: the table and every key with it. A
        review under fire lost the decisions typed after a server restart that way.)"""
        from director_tui.core.store.failures import from_the_store

        store = self.ctx.store
        if store is None or not (store.is_transient(exc) or from_the_store(exc)):
            return False
        for header in self.screen.query(StatusHeader):
            header.set_store_problem(store.connection_problem() or "the store did not answer; trying again")
        self._store_problem = "read failed"  # the next sync says what the store says now
        return True

    def _look_for_mentions(self) -> None:
        from director_tui.core import mentions

        store = self.ctx.store
        due, self._mentions_due = self._mentions_due or self._mentions_after is None, False
        if not due or store is None or store.connection_problem() is not None:
            return
        user, after = self.ctx.settings.user, self._mentions_after or 0

        def failed(exc: Exception) -> bool:
            self._mentions_due = True  # looked for again on a later round
            return self.away(exc)

        self.ctx.reader.read("mentions", lambda s: mentions.inbox(s, user, after_id=after, limit=50),
                             self._tell_mentions, on_error=failed, owner=self.screen)

    def _tell_mentions(self, found: list[Any]) -> None:
        """A notice for each comment that mentions this user since the last look (at the
        start: how many wait unseen); `@` lists them, `enter` there goes to one."""
        first = self._mentions_after is None
        if found:
            self._mentions_after = max(m.id for m in found)
        elif first:
            self._mentions_after = 0
        if not found:
            return
        if first:
            self.screen.notify(f"✉ {len(found)} comment{'s mention' if len(found) > 1 else ' mentions'} you, not yet seen "
                               "— @ lists them", timeout=10)
            return
        for m in found[:3]:
            where = (f"#{m.position} {m.title}" if m.stream_id == self.ctx.stream_id
                     else f"{m.stream} #{m.position}")
            self.screen.notify(f"✉ {m.author} mentioned you on {where}: “{m.excerpt[:90]}” — @, then enter, "
                               "goes there", title="mention", timeout=12)
        if len(found) > 3:
            self.screen.notify(f"✉ and {len(found) - 3} more — @ lists them", timeout=12)

    def sync_from_store(self) -> None:
        """Apply commits made elsewhere: changed segments, task states and progress, counts.
        The change token is looked at on the loop (SQLite: a PRAGMA; PostgreSQL: a counter
        in memory); the rows are read off it (ui/reader.py)."""
        from director_tui.core import streams
        from director_tui.core.models import utcnow

        store = self.ctx.store
        if store is None or self._synced_at is None:
            return
        problem = store.connection_problem()
        if problem != self._store_problem:
            self._store_problem = problem
            for header in self.screen.query(StatusHeader):
                header.set_store_problem(problem)
        if problem is not None:  # no reads while the server is away (each would wait)
            return
        try:
            version = store.change_token()
        except Exception as exc:
            if not self.away(exc):
                raise
            return
        if version in (self.change_token, self._reading_token):
            return
        self._reading_token = version
        since, synced, stream_id = self._synced_at - SYNC_MARGIN, utcnow(), self.ctx.stream_id

        def work(s: Any) -> tuple[Any, ...]:
            return (streams.segment_rows(s, stream_id, updated_since=since), streams.latest_tasks(s, stream_id),
                    streams.totals(s, stream_id), streams.active_tasks(s, stream_id))

        def failed(exc: Exception) -> bool:
            self._reading_token = None  # the token and the time are unchanged: the next round reads it all again
            return self.away(exc)

        self.ctx.reader.read("sync", work, lambda found: self._apply_sync(version, synced, *found), on_error=failed,
                             owner=self.screen)

    def _apply_sync(self, version: int, synced: datetime, changed: list[Any], latest: dict[Any, Any],
                    totals: Totals, active: list[Any]) -> None:
        self._reading_token = None
        self.change_token, self._synced_at = version, synced
        self._mentions_due = True
        mine = set(self.ctx.runner.running) if self.ctx.runner else set()
        table = self.screen.table
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
            self._show_active(totals, active)
        if any(r.id == getattr(table.current, "id", None) for r in changed):
            self.screen.update_versions()

    # --- this app's runner ------------------------------------------------------------------
    def runner_event(self, event: RunnerEvent) -> None:
        """Called for every runner event; only buffers. flush_events() draws."""
        if event.stream_id != self._stream_id:
            return
        if event.kind == "trouble":
            self.screen.notify(event.message, severity="warning", timeout=8)
            return
        if self._table is None:  # not drawn yet: the first sync shows what happened
            return
        log = self._task_log
        pos = self._table.rows_by_id.get(event.segment_id)
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
        if not (self._progress or self._reload or self._counts_dirty or self._task_log.pending):
            return
        table = self.screen.table
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
                ids, self._reload = list(self._reload), set()
                self.reload_segments(ids)
            if self._counts_dirty:
                self.refresh_counts()
            self._task_log.flush()

    # --- reading again ------------------------------------------------------------------------
    def reload_segments(self, ids: list[int]) -> None:
        """Read these rows again (off the loop). Ids asked while a read is on its way join the
        next read, which takes every id not yet applied (a newer read drops an older one)."""
        from director_tui.core import streams

        store = self.ctx.store
        self._reload_wanted.update(ids)
        if store is None:
            return
        if store.connection_problem() is not None:  # away: asked again at a later flush (no wait)
            self._reload.update(ids)
            return
        wanted, stream_id = sorted(self._reload_wanted), self.ctx.stream_id

        def failed(exc: Exception) -> bool:
            self._reload.update(wanted)  # read again on a later flush
            return self.away(exc)

        self.ctx.reader.read("reload", lambda s: streams.segment_rows(s, stream_id, wanted),
                             lambda rows: self._apply_reload(wanted, rows), on_error=failed, owner=self.screen)

    def _apply_reload(self, ids: list[int], rows: list[Any]) -> None:
        self._reload_wanted.difference_update(ids)
        table = self.screen.table
        for row in rows:
            table.update_segment(row)
        current = table.current
        if current is not None and current.id in ids:
            self.screen.update_versions()

    def refresh_counts(self) -> None:
        from director_tui.core import streams

        self._counts_dirty = False
        store = self.ctx.store
        if store is None:
            return
        if store.connection_problem() is not None:
            self._counts_dirty = True
            return
        stream_id = self.ctx.stream_id

        def failed(exc: Exception) -> bool:
            self._counts_dirty = True
            return self.away(exc)

        self.ctx.reader.read("counts", lambda s: (streams.totals(s, stream_id), streams.active_tasks(s, stream_id)),
                             lambda found: self._show_active(*found), on_error=failed, owner=self.screen)

    def _show_active(self, totals: Totals, active: list[Any]) -> None:
        self.show_counts(totals, sum(t.state == TaskState.RUNNING for t in active),
                         sum(t.state == TaskState.QUEUED for t in active))

    def show_counts(self, totals: Totals | None = None, running: int | None = None, queued: int | None = None) -> None:
        """The header's figures (the last ones read, when none are given: a filter or the
        asset changed)."""
        if totals is not None and running is not None and queued is not None:
            self.last_counts = (totals, running, queued)
        totals, running, queued = self.last_counts
        table = self.screen.table
        self.screen.query_one(StatusHeader).show(self.ctx.stream_title, totals, running, queued, self.screen.asset,
                                                 table.filter_text, len(table.order))
