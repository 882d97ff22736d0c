"""DirectorApp: the composition root. It builds the context the screens and services share
(ui/context.py) and wires them; each job is a class of its own: opening the store
(ui/store_gate.py), where keys go (ui/key_router.py), generation work (ui/task_control.py),
the look (ui/appearance.py), the ways out (ui/way_out.py). `make_app()` builds it for the
CLI and the tests alike."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App, SystemCommand
from textual.screen import Screen

from director_tui.config import Settings
from director_tui.core.rows import Snapshot
from director_tui.core.store import read_snapshot
from director_tui.ui import terminal_safety
from director_tui.ui.announcer import Announcer
from director_tui.ui.appearance import Appearance
from director_tui.ui.bindings import APP_BINDINGS, palette_entries
from director_tui.ui.collector import Collector
from director_tui.ui.context import Context
from director_tui.ui.decision_queue import DecisionQueue
from director_tui.ui.draft_keeper import DraftKeeper
from director_tui.ui.key_router import KeyRouter
from director_tui.ui.messages import SegmentsChanged, ShowingSegment
from director_tui.ui.reader import StoreReader
from director_tui.ui.review_service import ReviewService
from director_tui.ui.screens.help import HelpScreen
from director_tui.ui.screens.main import MainScreen
from director_tui.ui.store_changes import StoreChanges
from director_tui.ui.store_gate import StoreGate
from director_tui.ui.task_control import TaskControl
from director_tui.ui.waiting import WaitingBoard
from director_tui.ui.way_out import SAVE_ON_EXIT_S, WayOut
from director_tui.ui.writer import StoreWriter

if TYPE_CHECKING:
    from director_tui.core.store import Store
    from director_tui.jobs.runner import Runner


def styles_dir() -> Path:
    """styles/ inside the installed package (wheel), else the checkout's top-level styles/."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "styles"
    return packaged if packaged.is_dir() else here.parent / "styles"


STORE_OPEN_DELAY_S = 0.3


class DirectorApp(App[None]):
    TITLE = "director-tui"
    CSS_PATH = [styles_dir() / "app.tcss"]
    BINDINGS = APP_BINDINGS  # type: ignore[assignment]
    COMMAND_PALETTE_DISPLAY = "ctrl+p"

    def __init__(self, settings: Settings, store: Store | None, snapshot: Snapshot,
                 *, start_runner: bool = True) -> None:
        super().__init__()
        terminal_safety.install()  # others' text never reaches the terminal as a command
        self.start_runner = start_runner
        gate = StoreGate(self, settings, store)
        keys = KeyRouter(self, gate)
        waiting = WaitingBoard(self)
        writer = StoreWriter(self, gate, keys, waiting, settings.home, self._handle_exception)  # every UI write
        drafts = DraftKeeper(self, gate, settings.user, snapshot.stream_id)
        tasks = TaskControl(self, settings, snapshot.stream_id, writer, self._handle_exception)  # generation work
        announcer = Announcer(self, tasks)
        decisions = DecisionQueue(self, settings, snapshot.stream_id, gate, drafts, lambda: self.main_screen.table,
                                  announcer, waiting, self._handle_exception)  # kept, shown pending, in order
        self.way_out = WayOut(self, settings, tasks)
        self.way_out.state_keepers.append(lambda wait_s: drafts.flush_now(wait_s))
        self.context = Context(
            settings=settings, snapshot=snapshot, gate=gate, keys=keys, waiting=waiting, writer=writer,
            reader=StoreReader(self, lambda: gate.store, self._handle_exception, keys.hold),  # screens' reads, off the loop
            drafts=drafts, decisions=decisions,
            review=ReviewService(self, settings, decisions, writer, announcer, self._show_variations),
            tasks=tasks, store_changes=StoreChanges(self), way_out=self.way_out, report_fault=self._handle_exception)
        self.appearance = Appearance(self, settings)
        self.main_screen = MainScreen()
        self.collector = Collector()  # frozen out of the way once the store is open (ui/collector.py)

    # what tests and the CLI look at: the context's parts (screens use `self.ctx`)
    settings = property(lambda self: self.context.settings)
    snapshot = property(lambda self: self.context.snapshot)
    stream_id = property(lambda self: self.context.stream_id)
    writer = property(lambda self: self.context.writer)
    reader = property(lambda self: self.context.reader)
    drafts = property(lambda self: self.context.drafts)
    decisions = property(lambda self: self.context.decisions)
    review = property(lambda self: self.context.review)
    tasks = property(lambda self: self.context.tasks)
    store_changes = property(lambda self: self.context.store_changes)
    config_follower = property(lambda self: self.appearance.follower)

    @property
    def store(self) -> Store | None:
        return self.context.gate.store

    @property
    def runner(self) -> Runner | None:
        return self.context.tasks.runner

    @property
    def exit_message(self) -> str:
        return self.way_out.message

    @exit_message.setter
    def exit_message(self, message: str) -> None:
        self.way_out.message = message

    def _show_variations(self, group: str) -> None:
        from director_tui.ui.screens.variations import VariationScreen

        self.push_screen(VariationScreen(group))

    def _handle_exception(self, error: Exception) -> None:
        """A damaged database found while the app runs: one line on the way out (the tasks
        go back on the queue as on any exit), not a traceback. A studio server's dropped
        connection: a notice, and the app stays (it reconnects)."""
        from director_tui.core.store import damaged_message

        message = damaged_message(error, self.settings.home)
        store = self.store
        if message is None and store is not None and store.shared_between_machines and store.is_transient(error):
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
        """Posted by a service or a screen over the table (bubbled here): the table is the main screen's."""
        self.main_screen.post_message(SegmentsChanged(event.segment_ids, event.queued, event.clear_marks))

    def on_showing_segment(self, event: ShowingSegment) -> None:
        self.main_screen.post_message(ShowingSegment(event.segment_id, event.asset))

    def get_default_screen(self) -> MainScreen:
        return self.main_screen

    def on_mount(self) -> None:
        self.appearance.apply()
        from director_tui.ui.terminal_graphics import notice

        if (said := notice()) is not None:  # a tmux setting that keeps pictures half-blocks
            self.notify(said, severity="warning", timeout=15)
        self.way_out.install()
        gate = self.context.gate
        if gate.store is None:  # opened in a thread once the first frame is out (ui/store_gate.py)
            gate.open_in_thread(STORE_OPEN_DELAY_S, self._store_ready, self._store_failed, self.context.keys.replay_held)
        else:
            self.call_after_refresh(self._store_ready, gate.store)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette (ctrl+p): every key action of the screen it was opened on, by name,
        with its keys, then Textual's own (Theme, Keys, Screenshot)."""
        for title, help_text, action in palette_entries(screen, self.settings.keymap):
            yield SystemCommand(title, help_text, lambda a=action: self.run_action(a, screen))
        for command in super().get_system_commands(screen):
            if command.title != "Quit":  # ours above, which asks before abandoning an export
                yield command

    async def on_event(self, event: events.Event) -> None:
        if not await self.context.keys.route(event):  # held, typed at once, or bound here (ui/key_router.py)
            await super().on_event(event)

    def _store_failed(self, exc: Exception) -> None:
        from director_tui.core.errors import DamagedStore, StoreUnusable
        from director_tui.core.store import damaged_message

        damaged = damaged_message(exc, self.settings.home)
        self.exit_message = damaged or str(exc)
        self.exit(return_code=2 if damaged or isinstance(exc, DamagedStore | StoreUnusable) else 1)

    def _store_ready(self, store: Store) -> None:
        """Deliver the decisions an ended app left in the outbox, follow other instances, tell
        the screens, then queue missing keyframes and start the runner."""
        try:
            self.decisions.adopt_orphans()  # before the drafts: a note on its way is no draft
            self.store_changes.follow(store)
            self.appearance.follow_config()  # after the first frame, as the store: its thread imports watchfiles
            self.context.gate.publish_opened()  # the main screen shows the server is away, if it is
            self.tasks.start(store, self.start_runner)
        finally:
            self.collector.settle()

    def exit(self, *args: object, **kwargs: object) -> None:
        self.way_out.arm()  # any way out (q too) arms the backstop
        super().exit(*args, **kwargs)  # type: ignore[arg-type]

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.settings.keymap))

    async def action_quit(self) -> None:
        if not self.way_out.may_quit():  # an export or cleanup still running: ask once
            return
        self.way_out.keep_state()
        if not await self.decisions.idle(SAVE_ON_EXIT_S):  # the store is locked or away: they are kept
            n = len(self.decisions.waiting)
            self.exit_message = (f"{n} decision(s) not yet in the store are kept in your outbox; the next "
                                 "director-tui open on this store saves them")
        self.exit()

    async def on_unmount(self) -> None:
        self.way_out.closed()
        self.store_changes.stop()
        self.appearance.stop()
        self.decisions.close()  # what is still waiting stays in the outbox, for the next app
        if self.context.share_server is not None:  # what was shared stops being served with the app
            await self.context.share_server.stop()
        await self.tasks.stop(self.exit_message or "the app closed")
        self.collector.restore()  # another app may follow in this process (tests)


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
