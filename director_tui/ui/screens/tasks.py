"""The tasks screen: every task of the stream with state, progress, elapsed time and ETA."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label, RichLog

from director_tui.core.states import TaskState
from director_tui.ui.bindings import LOG_BINDINGS, TASKS_BINDINGS
from director_tui.ui.cells import clip, short_reason
from director_tui.ui.context import UsesContext
from director_tui.ui.key_router import FirstDraw
from director_tui.ui.widgets.key_footer import KeyFooter

REFRESH_S = 0.5
LIMIT = 1000  # newest tasks shown
LIVE_COLUMNS = ("state", "progress", "elapsed", "eta", "where", "message")  # the cells that change
STATE_STYLE = {TaskState.QUEUED: "dim cyan", TaskState.RUNNING: "cyan", TaskState.SUCCEEDED: "green",
               TaskState.FAILED: "red", TaskState.CANCELLED: "dim", TaskState.INTERRUPTED: "dark_orange"}


def _aware(t: datetime | None) -> datetime | None:
    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


def where(remote: str | None, pid: int | None) -> str:
    """Where a task runs: a remote back end's server (host:port), else its local process."""
    import json
    from urllib.parse import urlsplit

    if remote:
        try:
            server = str(json.loads(remote).get("server", ""))
        except (ValueError, AttributeError):
            server = ""
        if server:
            return urlsplit(server).netloc or server
    return f"pid {pid}" if pid else ""


def eta_seconds(elapsed: float, progress: float) -> float | None:
    """Remaining time at the rate seen so far; None until there is a rate worth extrapolating."""
    if progress < 0.02 or elapsed < 0.5:
        return None
    return max(0.0, elapsed * (1 - progress) / progress)


class TasksScreen(FirstDraw, UsesContext, Screen[None]):
    BINDINGS = TASKS_BINDINGS  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__(id="tasks")
        self.start_first_draw()  # keys typed before its first draw wait for it (ui/key_router.py)
        self._ids: list[int] = []
        self._shown: dict[int, list[Text | str]] = {}  # what each row shows, to update only changes
        self._logs: dict[int, str | None] = {}

    def compose(self) -> ComposeResult:
        yield Label("Tasks — enter: log  X: cancel  r: retry  esc: back", id="tasks-title")
        yield DataTable(id="tasks-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in (("id", "Task", 6), ("seg", "#", 4), ("title", "Segment", 18),
                                  ("asset", "Asset", 8), ("state", "State", 11), ("progress", "Progress", 8),
                                  ("elapsed", "Elapsed", 8), ("eta", "ETA", 7), ("where", "Where", 20),
                                  ("message", "Message", 48)):
            table.add_column(label, key=key, width=width)
        self.refresh_tasks()
        table.focus()
        self.set_interval(REFRESH_S, self.refresh_tasks)

    def _rows(self, found: list[Any]) -> list[tuple[int, list[Text | str]]]:
        from director_tui.core.models import utcnow

        now = utcnow()
        live = self.ctx.runner.running if self.ctx.runner else {}
        rows: list[tuple[int, list[Text | str]]] = []
        for task, position, title in found:
            progress, message = task.progress, task.error or task.message
            if task.id in live:  # fresher than the store
                progress, message = live[task.id].progress, live[task.id].message
            started, finished = _aware(task.started_at), _aware(task.finished_at)
            elapsed = ((finished or now) - started).total_seconds() if started else None
            eta = eta_seconds(elapsed, progress) if task.state == TaskState.RUNNING and elapsed else None
            self._logs[int(task.id)] = task.log_path
            rows.append((int(task.id), [
                Text(str(task.id), style="dim"), Text(str(position)), Text(clip(title, 18)), task.asset,
                Text(task.state, style=STATE_STYLE.get(task.state, "")),
                f"{progress * 100:3.0f}%" if task.state == TaskState.RUNNING else "",
                duration(elapsed), duration(eta), Text(clip(where(task.remote, task.pid), 20), style="dim"),
                Text(clip(short_reason(message), 48)),
            ]))
        return rows

    def refresh_tasks(self) -> None:
        """Read the newest tasks off the loop (ui/reader.py), then draw them."""
        from director_tui.core.views import recent_tasks

        stream_id = self.ctx.stream_id
        self.ctx.reader.read("tasks", lambda s: recent_tasks(s, stream_id, LIMIT), self._draw, owner=self)

    def _draw(self, found: list[Any]) -> None:
        self.first_drawn(self.ctx.keys)
        table = self.query_one(DataTable)
        rows = self._rows(found)
        ids = [i for i, _ in rows]
        with self.app.batch_update():
            if ids != self._ids:  # new tasks: rebuild; the cursor stays on its task, or
                current = self.current_task_id()  # follows the newest if it was on the last
                following = not self._ids or current == self._ids[-1]
                table.clear()
                for task_id, cells in rows:
                    table.add_row(*cells, key=str(task_id))
                self._ids = ids
                self._shown = dict(rows)
                if ids and (following or current not in ids):
                    table.move_cursor(row=len(ids) - 1, animate=False)
                elif current in ids:
                    table.move_cursor(row=ids.index(current), animate=False)
                return
            for task_id, cells in rows:
                before = self._shown.get(task_id, [])
                if cells == before:
                    continue  # finished tasks never change: most rows skip here
                for col, value, old in zip(LIVE_COLUMNS, cells[4:], before[4:], strict=True):
                    if value != old:
                        table.update_cell(str(task_id), col, value, update_width=False)
                self._shown[task_id] = cells

    def current_task_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not self._ids or not 0 <= table.cursor_row < len(self._ids):
            return None
        return self._ids[table.cursor_row]

    def action_cancel_task(self) -> None:
        task_id = self.current_task_id()
        if task_id is not None:
            self.ctx.tasks.cancel(task_ids=[task_id])
            self.refresh_tasks()

    def action_retry_task(self) -> None:
        from director_tui.core import queue
        from director_tui.core.errors import NotFound

        task_id = self.current_task_id()
        if task_id is None:
            return

        def queued(again_id: int) -> None:
            self.ctx.tasks.wake()
            self.notify(f"task {task_id} queued again as task {again_id}", timeout=2)
            if self.is_attached:
                self.refresh_tasks()

        self.ctx.writer.submit(lambda s: int(queue.retry(s, task_id, self.ctx.settings.user).id), queued,  # type: ignore[arg-type]
                               refused=(queue.QueueError, NotFound), what=f"the retry of task {task_id}")

    def action_show_log(self) -> None:
        task_id = self.current_task_id()
        if task_id is None or isinstance(self.app.screen, TaskLogScreen):
            return
        path = self._logs.get(task_id)
        if not path:
            self.notify(f"task {task_id} has no log yet (it has not started)", severity="warning")
            return
        # relative to the workspace (older rows: absolute, which the join keeps as it is)
        self.app.push_screen(TaskLogScreen(task_id, self.ctx.settings.home / path))

    def _move(self, row: int) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(row, table.row_count - 1)), animate=False)

    def action_down(self) -> None:
        self._move(self.query_one(DataTable).cursor_row + 1)

    def action_up(self) -> None:
        self._move(self.query_one(DataTable).cursor_row - 1)

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(self.query_one(DataTable).row_count - 1)

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_show_log()  # enter on the table itself

    def action_close_tasks(self) -> None:
        self.app.pop_screen()


class TaskLogScreen(UsesContext, ModalScreen[None]):
    """A task's whole log, followed live while the task runs."""

    BINDINGS = LOG_BINDINGS  # type: ignore[assignment]

    def __init__(self, task_id: int, path: Path) -> None:
        super().__init__(id="task-log")
        self.task_id = task_id
        self.path = path
        self._offset = 0
        self._unreadable = ""  # the last error shown, so a missing log is said once, not every refresh

    def compose(self) -> ComposeResult:
        yield Label(f"Task {self.task_id} — {self.path}", id="task-log-title")
        yield RichLog(id="task-log-body", wrap=False, markup=False, highlight=False, max_lines=20_000)

    def on_mount(self) -> None:
        self.follow()
        self.set_interval(REFRESH_S, self.follow)

    def follow(self) -> None:
        try:
            with self.path.open("rb") as f:
                f.seek(self._offset)
                chunk = f.read(1 << 20)
        except OSError as exc:
            if exc.strerror != self._unreadable:
                self._unreadable = exc.strerror or str(exc)
                self.query_one(RichLog).write(Text(f"cannot read the log: {self._unreadable}", style="red"))
            return
        if chunk:
            self._offset += len(chunk)
            self.query_one(RichLog).write(Text(chunk.decode("utf-8", errors="replace").rstrip("\n")))

    def action_close_log(self) -> None:
        self.dismiss(None)
