"""The app always ends when its terminal goes, whatever it is doing.

A hang-up (SIGHUP), SIGTERM, or a terminal whose input is gone starts the normal way out:
drafts and the session state saved, generators stopped, their tasks back on the queue.
That way runs on the event loop and through Textual's writer thread, and a dead terminal
can wedge either (Textualize/textual#6690: the input thread spins at 100% CPU; a hang-up
during shutdown can deadlock the writer). So each start of the way out also arms a
backstop thread: if the process is still here BACKSTOP_S later, it kills this app's
generators, puts their tasks back on the queue with its own short database connection,
and ends the process.

The watch on the terminal polls its input for a hang-up (POLLHUP), which a closed SSH
connection or tmux pane leaves even when no SIGHUP arrives.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

BACKSTOP_S = 6.0  # the normal way out stops generators with a short grace: this is well past it
WATCH_EVERY_S = 0.5
TERMINAL_RESET = "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?2004l\x1b[?25h\x1b[?1049l"


class Backstop:
    def __init__(self, db_path: Path, running: Callable[[], list[tuple[int, int | None]]],
                 actor: str, exit_code: int = 129) -> None:
        """`running()` lists this app's running tasks as (task id, process group)."""
        self.db_path, self.running, self.actor, self.exit_code = db_path, running, actor, exit_code
        self._armed = threading.Event()
        self.reason = ""

    def arm(self, reason: str, after_s: float = BACKSTOP_S) -> None:
        """Begin the countdown (once): the normal way out has `after_s` to finish."""
        if self._armed.is_set():
            return
        self._armed.set()
        self.reason = reason
        threading.Thread(target=self._countdown, args=(after_s,), name="backstop", daemon=True).start()

    def _countdown(self, after_s: float) -> None:
        time.sleep(after_s)
        self.end_now()

    def end_now(self) -> None:
        """The way out did not finish: do what it had to, without the loop, and end."""
        tasks: list[tuple[int, int | None]] = []
        with contextlib.suppress(Exception):
            tasks = self.running()
        for _task_id, pgid in tasks:
            if pgid:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            requeue(self.db_path, [task_id for task_id, _ in tasks], self.actor,
                    f"interrupted: {self.reason} (the app was stuck on its way out)")
        with contextlib.suppress(Exception):  # the terminal may be gone; if not, give it back
            os.write(sys.__stdout__.fileno(), TERMINAL_RESET.encode())  # type: ignore[union-attr]
        os._exit(self.exit_code)


def requeue(db_path: Path, task_ids: list[int], actor: str, reason: str) -> int:
    """Put running tasks back on the queue with a connection of its own (the store's may be
    held by the stuck loop); returns how many went back."""
    if not task_ids:
        return 0
    con = sqlite3.connect(db_path, timeout=2.0, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        now = datetime.now(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        moved = 0
        for task_id in task_ids:
            cur = con.execute(
                "UPDATE task SET state = 'queued', error = ?, message = ?, pid = NULL, pgid = NULL, owner = NULL, "
                "owner_pid = NULL, owner_start = NULL, started_at = NULL, progress = 0 "
                "WHERE id = ? AND state = 'running'", (reason, reason, task_id))
            if cur.rowcount:
                moved += 1
                con.execute("INSERT INTO activity (stream_id, segment_id, actor, kind, detail, created_at) "
                            "SELECT stream_id, segment_id, ?, 'task.interrupted', ?, ? FROM task WHERE id = ?",
                            (actor, f'{{"task": {task_id}, "reason": "backstop"}}', now, task_id))
        con.execute("COMMIT")
        return moved
    finally:
        con.close()


def watch_terminal(fd: int, on_gone: Callable[[], None], stop: threading.Event) -> threading.Thread:
    """A thread that calls `on_gone()` once when the terminal on `fd` hangs up."""

    def watch() -> None:
        poller = select.poll()
        poller.register(fd, select.POLLHUP | select.POLLERR | select.POLLNVAL)  # not POLLIN: Textual reads
        while not stop.is_set():
            try:
                events = poller.poll(WATCH_EVERY_S * 1000)
            except OSError:
                events = [(fd, select.POLLERR)]
            if any(mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, mask in events):
                on_gone()
                return

    thread = threading.Thread(target=watch, name="terminal-watch", daemon=True)
    thread.start()
    return thread
