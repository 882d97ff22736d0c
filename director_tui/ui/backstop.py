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
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

BACKSTOP_S = 6.0  # the normal way out stops generators with a short grace: this is well past it
WATCH_EVERY_S = 0.5
TERMINAL_RESET = "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?2004l\x1b[?25h\x1b[?1049l"


class Backstop:
    def __init__(self, home: Path, store_url: str | None, running: Callable[[], list[tuple[int, int | None]]],
                 actor: str, exit_code: int = 129) -> None:
        """`running()` lists this app's running tasks as (task id, process group)."""
        self.home, self.store_url = home, store_url
        self.running, self.actor, self.exit_code = running, actor, exit_code
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
            # imported here, not at the top: the backstop is installed on the first frame's
            # path, and the store pulls in SQLAlchemy (make bench: open, 1.1 -> 1.9 when it did)
            from director_tui.core.store import requeue_now

            requeue_now(self.home, self.store_url, [task_id for task_id, _ in tasks], self.actor,
                        f"interrupted: {self.reason} (the app was stuck on its way out)")
        with contextlib.suppress(Exception):  # the terminal may be gone; if not, give it back
            os.write(sys.__stdout__.fileno(), TERMINAL_RESET.encode())  # type: ignore[union-attr]
        os._exit(self.exit_code)


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
