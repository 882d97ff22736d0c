"""Session state of the main screen, per user per stream: cursor, marks, filter, open panes
(versions, task log) and the active asset column. Saved a moment after each change and on
the way out (quit, SIGHUP, SIGTERM); restored from the first frame's snapshot on open."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from director_tui.core.fastread import VersionRow
from director_tui.core.states import Asset
from director_tui.ui.widgets.task_log import TaskLog
from director_tui.ui.widgets.version_pane import VersionPane

if TYPE_CHECKING:
    from director_tui.ui.app import DirectorApp
    from director_tui.ui.widgets.segment_table import SegmentTable

STATE_SAVE_DELAY_S = 1.5  # a burst of moves is one write


class SessionState:
    """Mixed into MainScreen."""

    app: DirectorApp
    table: SegmentTable
    asset: str
    query_one: Any
    set_timer: Any
    set_asset: Any
    _show_versions: Any
    _restored: bool
    _state_timer: Any

    def _restore(self, state: dict[str, object], versions: list[VersionRow]) -> None:
        self.set_asset(str(state.get("asset", Asset.KEYFRAME)))
        filter_text = state.get("filter")
        if isinstance(filter_text, str) and filter_text:
            self.table.apply_filter(filter_text)
        marks = state.get("marks")
        if isinstance(marks, list):
            self.table.set_marks({m for m in marks if isinstance(m, int) and m in self.table.rows_by_id})
        pane = self.query_one(VersionPane)
        pane.display = bool(state.get("versions_open", False))
        self.query_one(TaskLog).display = bool(state.get("tasklog_open", True))
        seg_id = state.get("segment_id")
        index = self.table.index_of(seg_id) if isinstance(seg_id, int) else None
        if index is not None:
            self.table.move_cursor(row=index, animate=False)
        row = self.table.current
        if pane.display and row is not None:
            self._show_versions(row, versions)

    def ui_state(self) -> dict[str, object]:
        row = self.table.current
        return {"segment_id": row.id if row else None, "asset": self.asset,
                "versions_open": bool(self.query_one(VersionPane).display),
                "tasklog_open": bool(self.query_one(TaskLog).display),
                "marks": sorted(self.table.marked), "filter": self.table.filter_text}

    def save_state(self, *, wait_s: float | None = None) -> None:
        """Write the session state in a thread (never on the loop). On the way out, wait for
        it at most `wait_s` (a locked database must not keep a dying app alive)."""
        import threading

        store = self.app.store
        if store is None:
            return
        state = json.dumps(self.ui_state())
        user, stream_id = self.app.settings.user, self.app.stream_id
        if wait_s is None:
            self.app.run_worker(lambda: write_ui_state(store, user, stream_id, state), thread=True,
                                group="session-state", exit_on_error=False)
            return
        writer = threading.Thread(target=write_ui_state, args=(store, user, stream_id, state), daemon=True)
        writer.start()
        writer.join(wait_s)

    def _schedule_state_save(self) -> None:
        if not self._restored:
            return
        if self._state_timer is not None:
            self._state_timer.stop()
        self._state_timer = self.set_timer(STATE_SAVE_DELAY_S, self.save_state)



def write_ui_state(store: object, user: str, stream_id: int, state: str) -> None:
    from director_tui.core.views import save_ui_state

    with store.write() as s:  # type: ignore[attr-defined]
        save_ui_state(s, user, stream_id, json.loads(state))
