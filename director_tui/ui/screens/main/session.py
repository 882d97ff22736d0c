"""The session state of the main screen, per user per stream: cursor, marks, filter, open panes
(versions, task log) and the active asset column. Saved a moment after each change and on
the way out (quit, SIGHUP, SIGTERM); restored from the first frame's snapshot on open."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from director_tui.core.rows import VersionRow
from director_tui.core.states import Asset
from director_tui.ui.screens.main.part import ScreenPart
from director_tui.ui.widgets.task_log import TaskLog
from director_tui.ui.widgets.version_pane import VersionPane

if TYPE_CHECKING:
    from textual.timer import Timer

    from director_tui.ui.screens.main.host import MainHost

STATE_SAVE_DELAY_S = 1.5  # a burst of moves is one write


class SessionKeeper(ScreenPart):
    """Owned by MainScreen (`screen.session`): restores the state on open, saves it a moment
    after each change (`changed()`) and on the way out."""

    def __init__(self, screen: MainHost) -> None:
        super().__init__(screen)
        self.restored = False  # nothing is saved before the state is back (or it would be lost)
        self._timer: Timer | None = None

    def restore(self, state: dict[str, object], versions: list[VersionRow]) -> None:
        screen, table = self.screen, self.screen.table
        screen.set_asset(str(state.get("asset", Asset.KEYFRAME)))
        filter_text = state.get("filter")
        if isinstance(filter_text, str) and filter_text:
            table.apply_filter(filter_text)
        marks = state.get("marks")
        if isinstance(marks, list):
            table.set_marks({m for m in marks if isinstance(m, int) and m in table.rows_by_id})
        pane = screen.query_one(VersionPane)
        pane.display = bool(state.get("versions_open", False))
        screen.query_one(TaskLog).display = bool(state.get("tasklog_open", True))
        seg_id = state.get("segment_id")
        index = table.index_of(seg_id) if isinstance(seg_id, int) else None
        if index is not None:
            table.move_cursor(row=index, animate=False)
        row = table.current
        if pane.display and row is not None:
            screen.show_versions(row, versions)
        self.restored = True

    def ui_state(self) -> dict[str, object]:
        screen, table = self.screen, self.screen.table
        row = table.current
        return {"segment_id": row.id if row else None, "asset": screen.asset,
                "versions_open": bool(screen.query_one(VersionPane).display),
                "tasklog_open": bool(screen.query_one(TaskLog).display),
                "marks": sorted(table.marked), "filter": table.filter_text}

    def save(self, *, wait_s: float | None = None) -> None:
        """Write the session state in a thread (never on the loop). On the way out, wait for
        it at most `wait_s` (a locked database must not keep a dying app alive)."""
        import threading

        store = self.ctx.store
        if store is None:
            return
        state = json.dumps(self.ui_state())
        user, stream_id = self.ctx.settings.user, self.ctx.stream_id
        if wait_s is None:
            self.app.run_worker(lambda: write_ui_state(store, user, stream_id, state), thread=True,
                                group="session-state", exit_on_error=False)
            return
        writer = threading.Thread(target=write_ui_state, args=(store, user, stream_id, state), daemon=True)
        writer.start()
        writer.join(wait_s)

    def changed(self) -> None:
        """Something the state holds changed: saved STATE_SAVE_DELAY_S after the last change."""
        if not self.restored:
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.screen.set_timer(STATE_SAVE_DELAY_S, self.save)


def write_ui_state(store: object, user: str, stream_id: int, state: str) -> None:
    from director_tui.core.views import save_ui_state

    with store.write() as s:  # type: ignore[attr-defined]
        save_ui_state(s, user, stream_id, json.loads(state))
