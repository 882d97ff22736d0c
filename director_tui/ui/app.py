"""DirectorApp: wiring only. `make_app()` builds it for the CLI and the tests alike."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App, SystemCommand
from textual.screen import Screen

from director_tui.config import Settings
from director_tui.core.rows import Snapshot
from director_tui.core.store import read_snapshot
from director_tui.ui import terminal_safety
from director_tui.ui.bindings import APP_BINDINGS, check_keymap, palette_entries
from director_tui.ui.decision_queue import DecisionQueue
from director_tui.ui.draft_keeper import DraftKeeper
from director_tui.ui.forms import route_key, route_paste, type_into_line
from director_tui.ui.messages import SegmentsChanged, ShowingSegment
from director_tui.ui.reader import StoreReader
from director_tui.ui.review_service import ReviewService
from director_tui.ui.screens.help import HelpScreen
from director_tui.ui.screens.main import MainScreen
from director_tui.ui.store_changes import StoreChanges
from director_tui.ui.task_control import TaskControl
from director_tui.ui.writer import StoreWriter

if TYPE_CHECKING:
    from director_tui.core.store import Store
    from director_tui.jobs.runner import Runner, RunnerEvent
    from director_tui.media.share import ShareServer
    from director_tui.ui.backstop import Backstop
    from director_tui.ui.config_follower import ConfigFollower


def styles_dir() -> Path:
    """styles/ inside the installed package (wheel), else the checkout's top-level styles/."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "styles"
    return packaged if packaged.is_dir() else here.parent / "styles"


STORE_OPEN_DELAY_S = 0.3
SAVE_ON_EXIT_S = 2.0  # at most this long for drafts and the session state on the way out


class DirectorApp(App[None]):
    TITLE = "director-tui"
    CSS_PATH = [styles_dir() / "app.tcss"]
    BINDINGS = APP_BINDINGS  # type: ignore[assignment]
    COMMAND_PALETTE_DISPLAY = "ctrl+p"

    def __init__(self, settings: Settings, store: Store | None, snapshot: Snapshot,
                 *, start_runner: bool = True) -> None:
        super().__init__()
        terminal_safety.install()  # others' text never reaches the terminal as a command
        self.settings = settings
        self.store = store
        self.snapshot = snapshot
        self.stream_id = snapshot.stream_id
        self.stream_title = snapshot.title
        self.start_runner = start_runner
        self.exit_message = ""
        self.main_screen = MainScreen()
        self._after_store: list[Callable[[], object]] = []
        self._held_keys: list[events.Key] = []
        self.drafts = DraftKeeper(self)
        self.writer = StoreWriter(self)  # every UI write: off the loop, in order (ui/writer.py)
        self.tasks = TaskControl(self, settings, self.stream_id, self.writer, self._on_runner_event,  # generation work
                                 lambda queued: self.main_screen.post_message(SegmentsChanged((), tuple(queued))))
        self.reader = StoreReader(self, lambda: self.store, self._handle_exception)  # screens' reads (ui/reader.py)
        self.decisions = DecisionQueue(self)  # decisions: kept, shown pending, delivered in order
        self._waiting: dict[str, str] = {}  # what waits for the store, by who waits (the header)
        self.keys_typed = 0
        self.share_server: ShareServer | None = None  # "send to my machine" (O): made on first use
        self.review = ReviewService(self)  # every decision: an operation, then announced (ui/review_service.py)
        self.backstop: Backstop | None = None  # armed on any way out (ui/backstop.py)
        self._terminal_watch_stop = threading.Event()
        self.store_changes = StoreChanges(self)  # commits elsewhere, as a Signal (ui/store_changes.py)
        self.config_follower: ConfigFollower | None = None  # the config saved while running (on mount)
        self._gc_threshold: tuple[int, int, int] | None = None  # the collector's, before ours

    @property
    def runner(self) -> Runner | None:
        return self.tasks.runner

    def _handle_exception(self, error: Exception) -> None:
        """A damaged database found while the app runs: one line on the way out (the tasks
        go back on the queue as on any exit), not a traceback. A studio server's dropped
        connection: a notice, and the app stays (it reconnects)."""
        from director_tui.core.store import damaged_message

        message = damaged_message(error, self.settings.home)
        if message is None and self.store is not None and self.store.shared_between_machines \
                and self.store.is_transient(error):
            # a read on the loop met a dropped connection to the studio's server: that one
            # action did not happen; the header says the store is away until it is back
            self.notify("the store's server did not answer; that was not done — try again once it is back",
                        severity="warning", timeout=6)
            return
        if message is None:
            super()._handle_exception(error)
            return
        self.exit_message = message
        self.exit(return_code=2)

    def on_segments_changed(self, event: SegmentsChanged) -> None:
        """Posted by a screen over the table (bubbled here): the table is the main screen's."""
        self.main_screen.post_message(SegmentsChanged(event.segment_ids, event.queued, event.clear_marks))

    def on_showing_segment(self, event: ShowingSegment) -> None:
        self.main_screen.post_message(ShowingSegment(event.segment_id, event.asset))

    def get_default_screen(self) -> MainScreen:
        return self.main_screen

    def on_mount(self) -> None:
        unknown = check_keymap(self.settings.keymap)
        if unknown:
            self.notify(f"config keymap: unknown binding id(s): {', '.join(unknown)}",
                        severity="warning", timeout=8)
        self.set_keymap(self.settings.keymap)
        from director_tui.ui.terminal_graphics import notice

        if (said := notice()) is not None:  # a tmux setting that keeps pictures half-blocks
            self.notify(said, severity="warning", timeout=15)
        self._apply_theme()
        self.theme_changed_signal.subscribe(self, self._theme_picked)
        self._install_signal_handlers()
        if self.store is None:
            # Open the full store (ORM, migrations) off the UI thread, once the first frame
            # is out: importing SQLAlchemy holds the GIL and would slow that frame down.
            # Actions that need the store meanwhile wait for it (wait_for_store).
            self.set_timer(STORE_OPEN_DELAY_S, self._start_store_worker)
        else:
            self.call_after_refresh(self._store_ready)

    def _follow_config(self) -> None:
        """The config saved while the app runs applies at once (ui/config_follower.py)."""
        from director_tui.config import config_file
        from director_tui.ui.config_follower import ConfigFollower

        self.config_follower = ConfigFollower(
            self.settings, self.settings.config_path or config_file(), self._config_changed,
            lambda why: self.notify(why, severity="warning", timeout=10))
        self.config_follower.start()

    def _config_changed(self, changed: dict[str, object]) -> None:
        if "keymap" in changed:
            if unknown := check_keymap(self.settings.keymap):
                self.notify(f"config keymap: unknown binding id(s): {', '.join(unknown)}", severity="warning", timeout=8)
            self.set_keymap(self.settings.keymap)
        if "theme" in changed:
            self._apply_theme()
        self.notify(f"config reloaded: {', '.join(sorted(changed))}", timeout=3)

    # --- theme and command palette ------------------------------------------------------
    def _apply_theme(self) -> None:
        """The config's `theme`, else the one last picked in the palette (remembered per user)."""
        from director_tui.config import load_prefs

        wanted = self.settings.theme or load_prefs().get("theme")
        if wanted and wanted in self.available_themes:
            self.theme = wanted
        elif self.settings.theme:
            self.notify(f"config theme: {self.settings.theme!r} is not a theme "
                        f"(ctrl+p, Theme, lists them: {', '.join(sorted(self.available_themes)[:6])}, …)",
                        severity="warning", timeout=8)

    def _theme_picked(self, theme: object) -> None:
        name = getattr(theme, "name", "")
        if not name or name == self.settings.theme:
            return
        if self.settings.theme:
            self.notify(f"theme {name!r} for now: your config sets theme = {self.settings.theme!r}", timeout=4)
            return
        self.run_worker(lambda: self._remember("theme", name), thread=True, group="prefs")

    def _remember(self, key: str, value: str) -> None:
        from director_tui.config import save_pref

        try:
            save_pref(key, value)
        except OSError as exc:
            self.call_from_thread(self.notify, f"could not remember the {key}: {exc}", severity="warning")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette (ctrl+p): every key action of the screen it was opened on, by name,
        with its keys, then Textual's own (Theme, Keys, Screenshot)."""
        for title, help_text, action in palette_entries(screen, self.settings.keymap):
            yield SystemCommand(title, help_text, lambda a=action: self.run_action(a, screen))
        for command in super().get_system_commands(screen):
            if command.title != "Quit":  # ours above, which asks before abandoning an export
                yield command

    def _start_store_worker(self) -> None:
        self.run_worker(self._open_store, thread=True, exclusive=True, name="open-store")

    def store_or_later(self, retry: Callable[[], object]) -> Store | None:
        """The store, or None after arranging for `retry` to run once it is open.

        (An action must not await the store: Textual runs key actions inside the
        app's message loop, which also delivers the timer that opens the store.)
        """
        if self.store is None:
            self._after_store.append(retry)
            self.notify("opening the workspace…", timeout=1)
        return self.store

    async def on_event(self, event: events.Event) -> None:
        # While an action waits for the store to open, the keys typed after it belong to
        # whatever it opens (the text of a quick edit): hold them rather than run them as
        # commands on the table, and replay them once the action has run. Writes never hold
        # keys: a decision is bound to its ids when pressed (ui/decision_queue.py).
        if isinstance(event, events.Key) and not event.is_forwarded:
            self.keys_typed += 1  # (a draft found at open takes over the screen only before any)
        if (self._after_store or self._held_keys) and isinstance(event, events.Key) and not event.is_forwarded:
            self._held_keys.append(event)
            return
        # A one-line prompt takes its keys as they are read, in order (PromptLine.TYPED_AT_ONCE).
        line = self.focused if isinstance(event, events.Key | events.Paste) else None  # (no screen yet at start)
        if (line is not None and not getattr(event, "is_forwarded", False)
                and getattr(line, "TYPED_AT_ONCE", False) and line.screen is self.screen):
            if isinstance(event, events.Key | events.Paste) and await type_into_line(line, event, self._check_bindings):
                return
        # Textual hands a key to the focused widget's queue and runs its binding only when
        # it has bubbled back up, so the keys of one burst (a paste, a laggy SSH link) are
        # all handed to the table before `e` or `c` has opened the field they belong to,
        # and run as commands. The table has no keys of its own: run its bindings here,
        # one key at a time, so the next key goes to whatever the last one focused.
        if (isinstance(event, events.Key) and not event.is_forwarded
                and getattr(self.focused, "KEYS_FROM_SCREEN", False) and self.screen.maximized is None):
            if await self._check_bindings(event.key, priority=True) or await self._check_bindings(event.key):
                return
        # The same for the keys that move between a form's fields, and for pastes (ui/forms.py).
        if isinstance(event, events.Key) and not event.is_forwarded and route_key(self.screen, self.focused, event):
            return
        if isinstance(event, events.Paste) and route_paste(self.screen, self.focused, event):
            return
        await super().on_event(event)

    def replay_held_keys(self) -> None:
        if self._after_store:
            return
        held, self._held_keys = self._held_keys, []
        for key in held:
            self.post_message(events.Key(key.key, key.character))

    def drop_held_keys(self) -> None:
        """A write failed: the keys typed after it were meant for what it would have left."""
        if self._held_keys:
            self.notify(f"{len(self._held_keys)} key(s) typed meanwhile were not run", timeout=4)
        self._held_keys = []

    def show_waiting(self, what: str | None, slot: str = "writer") -> None:
        """Say (in the header) what waits for the database (the writer's change, the
        decisions on their way), or that it no longer does."""
        from director_tui.ui.widgets.status_header import StatusHeader

        was = dict(self._waiting)
        if what is None:
            self._waiting.pop(slot, None)
        else:
            self._waiting[slot] = what
        if self._waiting == was:
            return
        said = ", ".join(self._waiting.values()) or None
        for header in self.main_screen.query(StatusHeader):
            header.set_waiting(said)
        if slot == "writer" and what is not None and self.screen is not self.main_screen:
            self.notify(f"waiting for the database to save {what}…", timeout=2)

    def _open_store(self) -> None:
        from director_tui.core.store import open_store

        try:
            store = open_store(self.settings.home, self.settings.store)
        except Exception as exc:
            self.call_from_thread(self._store_failed, exc)
            return
        self.call_from_thread(self._set_store, store)

    def _set_store(self, store: Store) -> None:
        self.store = store
        self._store_ready()
        pending, self._after_store = self._after_store, []
        for retry in pending:
            retry()
        self.replay_held_keys()

    def _store_failed(self, exc: Exception) -> None:
        from director_tui.core.errors import DamagedStore, StoreUnusable
        from director_tui.core.store import damaged_message

        damaged = damaged_message(exc, self.settings.home)
        self.exit_message = damaged or str(exc)
        self.exit(return_code=2 if damaged or isinstance(exc, DamagedStore | StoreUnusable) else 1)

    def _store_ready(self) -> None:
        """Follow other instances, deliver the decisions an ended app left in the outbox,
        then queue missing keyframes and start the runner."""
        try:
            self.decisions.adopt_orphans()  # before the drafts: a note on its way is no draft
            assert self.store is not None
            self.store_changes.follow(self.store)
            self._follow_config()  # after the first frame, as the store: its thread imports watchfiles
            self.main_screen.store_ready()  # it shows the server is away, if it is
            self.tasks.start(self.store, self.start_runner)
        finally:
            self._settle_collector()

    def _settle_collector(self) -> None:
        """Everything built so far (modules, widgets, rows) lives as long as the app: keep it
        out of the collector's full passes, which took 100-150 ms each here (a key pressed
        then waited that long), and make those passes rarer (1 in 100 middle ones, not 10)."""
        gc.freeze()
        gc.enable()  # `director-tui open` starts with it off (launch.py)
        if self._gc_threshold is None:
            self._gc_threshold = gc.get_threshold()
            gc.set_threshold(self._gc_threshold[0], self._gc_threshold[1], 100)

    def _install_signal_handlers(self) -> None:
        """A dropped SSH connection (SIGHUP), SIGTERM, or a terminal that hangs up shuts down
        cleanly, with a backstop that ends the process if that way out gets stuck (ui/backstop.py)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._on_signal, sig)
        if self.is_headless:  # tests: no terminal to lose, and the process is theirs
            return
        from director_tui.ui.backstop import Backstop, watch_terminal

        self.backstop = Backstop(self.settings.home, self.settings.store, self._running_tasks, self.settings.user)

        backstop = self.backstop

        def terminal_gone() -> None:
            backstop.arm("the terminal went away")
            with contextlib.suppress(RuntimeError):  # the loop may be closing already
                loop.call_soon_threadsafe(self._on_signal, signal.SIGHUP)

        with contextlib.suppress(OSError, ValueError):
            watch_terminal(0, terminal_gone, self._terminal_watch_stop)

    def _running_tasks(self) -> list[tuple[int, int | None]]:
        """(task id, process group) of this app's running generators; read from the backstop's
        thread, so from a copy."""
        runner = self.runner
        if runner is None:
            return []
        return [(task_id, getattr(run.job, "pid", None))
                for task_id, run in list(runner.running.items())]

    def _on_signal(self, sig: int) -> None:
        if self.backstop is not None:
            self.backstop.arm(f"stopped by {signal.Signals(sig).name}")
        if self.exit_message:  # on its way out already (a second signal): the backstop has it
            return
        self.exit_message = f"stopped by {signal.Signals(sig).name}"
        if self.runner is not None:  # no long grace for generators when the terminal is gone
            self.runner.kill_grace_s = min(self.runner.kill_grace_s, 2.0)
        self._save_state()
        self.exit()

    def exit(self, *args: object, **kwargs: object) -> None:
        """Any way out (q too) arms the backstop: Textual's shutdown can wedge on a terminal
        that hangs up meanwhile."""
        if self.backstop is not None:
            self.backstop.arm(self.exit_message or "the app closed")
        super().exit(*args, **kwargs)  # type: ignore[arg-type]

    def _save_state(self) -> None:
        self.drafts.flush_now()
        try:
            self.main_screen.session.save(wait_s=SAVE_ON_EXIT_S)
        except Exception as exc:  # never block quitting; say why
            self.exit_message = self.exit_message or f"could not save the session state: {exc}"

    def _on_runner_event(self, event: RunnerEvent) -> None:
        self.main_screen.live.runner_event(event)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.settings.keymap))

    async def action_quit(self) -> None:
        if not self.main_screen.jobs.may_quit():  # an export or cleanup still running: ask once
            return
        self._save_state()
        if not await self.decisions.idle(SAVE_ON_EXIT_S):  # the store is locked or away: they are kept
            n = len(self.decisions.waiting)
            self.exit_message = (f"{n} decision(s) not yet in the store are kept in your outbox; the next "
                                 "director-tui open on this store saves them")
        self.exit()

    async def on_unmount(self) -> None:
        self._terminal_watch_stop.set()
        self.store_changes.stop()
        if self.config_follower is not None:
            self.config_follower.stop()
        self.decisions.close()  # what is still waiting stays in the outbox, for the next app
        if self.share_server is not None:  # what was shared stops being served with the app
            await self.share_server.stop()
        await self.tasks.stop(self.exit_message or "the app closed")
        if self._gc_threshold is not None:  # another app may follow in this process (tests)
            gc.unfreeze()
            gc.set_threshold(*self._gc_threshold)


def make_app(settings: Settings, store: Store | None, slug: str, *,
             start_runner: bool = True) -> DirectorApp:
    """The one factory the CLI and the tests share.

    With no store, the first screen comes from a read-only snapshot and the
    store opens in a thread. Raises NotFound or StoreError with a message.
    """
    snapshot = read_snapshot(settings.home, slug, settings.user, settings.store)
    if snapshot is None:  # not SQLite at head, or no such stream: the ORM path says why
        from director_tui.core.streams import snapshot_from_store

        if store is None:
            from director_tui.core.store import open_store

            store = open_store(settings.home, settings.store)
        with store.read() as session:
            snapshot = snapshot_from_store(session, slug, settings.user)
    return DirectorApp(settings, store, snapshot, start_runner=start_runner)
