"""DirectorApp: wiring only. `make_app()` builds it for the CLI and the tests alike."""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path

from textual.app import App

from director_tui.config import Settings
from director_tui.core import queue, streams
from director_tui.core.db import Store
from director_tui.jobs.runner import Runner, RunnerEvent
from director_tui.ui.bindings import APP_BINDINGS, check_keymap
from director_tui.ui.screens.help import HelpScreen
from director_tui.ui.screens.main import MainScreen


def styles_dir() -> Path:
    """styles/ inside the installed package (wheel), else the checkout's top-level styles/."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "styles"
    return packaged if packaged.is_dir() else here.parent / "styles"


class DirectorApp(App[None]):
    TITLE = "director-tui"
    CSS_PATH = [styles_dir() / "app.tcss"]
    BINDINGS = APP_BINDINGS  # type: ignore[assignment]
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, settings: Settings, store: Store, stream_id: int, stream_title: str,
                 *, start_runner: bool = True) -> None:
        super().__init__()
        self.settings = settings
        self.store = store
        self.stream_id = stream_id
        self.stream_title = stream_title
        self.start_runner = start_runner
        self.runner: Runner | None = None
        self.exit_message = ""
        self.main_screen = MainScreen()

    def on_mount(self) -> None:
        unknown = check_keymap(self.settings.keymap)
        if unknown:
            self.notify(f"config keymap: unknown binding id(s): {', '.join(unknown)}",
                        severity="warning", timeout=8)
        self.set_keymap(self.settings.keymap)
        self._install_signal_handlers()
        if self.start_runner:
            self.runner = Runner(self.store, self.settings.home, [self.stream_id],
                                 actor=self.settings.user, on_event=self._on_runner_event,
                                 kill_grace_s=self.settings.kill_grace_s)
            self.runner.start()

    def get_default_screen(self) -> MainScreen:
        return self.main_screen

    def queue_missing_keyframes(self) -> None:
        """Called by the main screen before its first frame, so queued rows show at once."""
        if self.settings.auto_generate:
            with self.store.write() as s:
                queue.queue_missing_keyframes(s, self.stream_id, self.settings.user)

    def _install_signal_handlers(self) -> None:
        """A dropped SSH connection (SIGHUP) or SIGTERM shuts down cleanly."""
        import asyncio

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: int) -> None:
        self.exit_message = f"stopped by {signal.Signals(sig).name}"
        self._save_state()
        self.exit()

    def _save_state(self) -> None:
        try:
            self.main_screen.save_state()
        except Exception as exc:  # never block quitting; say why
            self.exit_message = self.exit_message or f"could not save the session state: {exc}"

    def _on_runner_event(self, event: RunnerEvent) -> None:
        self.main_screen.runner_event(event)

    def wake_runner(self) -> None:
        if self.runner is not None:
            self.runner.wake()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.settings.keymap))

    async def action_quit(self) -> None:
        self._save_state()
        self.exit()

    async def on_unmount(self) -> None:
        if self.runner is not None:
            await self.runner.stop(self.exit_message or "the app closed")


def make_app(settings: Settings, store: Store, slug: str, *, start_runner: bool = True) -> DirectorApp:
    """The one factory the CLI and the tests share."""
    with store.read() as s:
        stream = streams.get_stream(s, slug)
    assert stream.id is not None
    return DirectorApp(settings, store, stream.id, stream.title, start_runner=start_runner)
