"""Every way out of the app (issue 26, 3): `q`, SIGHUP, SIGTERM, a terminal that hangs up.

Whoever has something to keep registers it here, rather than the app calling it by name:
a quit guard (`may_quit() -> bool`: an export still running asks once) and a state keeper
(`keep(wait_s)`: drafts, the session state), run on every way out. Any way out arms the
backstop (ui/backstop.py), which ends the process if Textual's shutdown wedges on a
terminal that went away.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import App

from director_tui.config import Settings

if TYPE_CHECKING:
    from director_tui.ui.backstop import Backstop
    from director_tui.ui.task_control import TaskControl

SAVE_ON_EXIT_S = 2.0  # at most this long for drafts and the session state on the way out


class WayOut:
    def __init__(self, app: App[Any], settings: Settings, tasks: TaskControl) -> None:
        self.app = app
        self.settings = settings
        self.tasks = tasks
        self.quit_guards: list[Callable[[], bool]] = []
        self.state_keepers: list[Callable[[float], None]] = []
        self.message = ""  # said on stderr once the app has ended (cli/open_app.py)
        self.backstop: Backstop | None = None
        self._terminal_watch_stop = threading.Event()

    def install(self) -> None:
        """A dropped SSH connection (SIGHUP), SIGTERM, or a terminal that hangs up shuts down
        cleanly, with a backstop that ends the process if that way out gets stuck."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.on_signal, sig)
        if self.app.is_headless:  # tests: no terminal to lose, and the process is theirs
            return
        from director_tui.ui.backstop import Backstop, watch_terminal

        backstop = self.backstop = Backstop(self.settings.home, self.settings.store, self.tasks.running_processes,
                                            self.settings.user)

        def terminal_gone() -> None:
            backstop.arm("the terminal went away")
            with contextlib.suppress(RuntimeError):  # the loop may be closing already
                loop.call_soon_threadsafe(self.on_signal, signal.SIGHUP)

        with contextlib.suppress(OSError, ValueError):
            watch_terminal(0, terminal_gone, self._terminal_watch_stop)

    def on_signal(self, sig: int) -> None:
        if self.backstop is not None:
            self.backstop.arm(f"stopped by {signal.Signals(sig).name}")
        if self.message:  # on its way out already (a second signal): the backstop has it
            return
        self.message = f"stopped by {signal.Signals(sig).name}"
        self.tasks.hurry()  # no long grace for generators when the terminal is gone
        self.keep_state()
        self.app.exit()

    def arm(self) -> None:
        """Any way out (q too): Textual's shutdown can wedge on a terminal that hangs up meanwhile."""
        if self.backstop is not None:
            self.backstop.arm(self.message or "the app closed")

    def may_quit(self) -> bool:
        return all(guard() for guard in self.quit_guards)

    def keep_state(self) -> None:
        for keep in self.state_keepers:
            try:
                keep(SAVE_ON_EXIT_S)
            except Exception as exc:  # never block quitting; say why
                self.message = self.message or f"could not save the session state: {exc}"

    def closed(self) -> None:
        self._terminal_watch_stop.set()
