"""Every write the UI makes goes through here: in a worker thread, one at a time, in the
order asked, never on the event loop.

A colleague's long write (or a backup's) can hold the database's write lock for seconds:
the screen keeps drawing meanwhile and says it is waiting, and the keys typed meanwhile are
held and replayed once the write is done, so they act on what it left (as they would have
had it been instant). A write the database refuses for good (locked past its busy timeout,
a full disk) is a notice saying what was not saved; whatever was being typed stays.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import App

if TYPE_CHECKING:
    from director_tui.core.store import Store
    from director_tui.ui.key_router import KeyRouter
    from director_tui.ui.store_gate import StoreGate
    from director_tui.ui.waiting import WaitingBoard

T = TypeVar("T")
Session = Any  # a write session of the store (the UI only hands it to core functions)
WAITING_AFTER_S = 0.4  # a write slower than this shows "waiting for the database"


def _write(store: Store, work: Callable[[Session], T]) -> T:
    with store.write() as session:
        return work(session)


class StoreWriter:
    def __init__(self, host: App[Any], gate: StoreGate, keys: KeyRouter, waiting: WaitingBoard, home: Path,
                 report_fault: Callable[[Exception], None]) -> None:
        self.host = host  # notices, workers, timers
        self.gate = gate
        self.keys = keys
        self.waiting = waiting
        self.home = home
        self.report_fault = report_fault
        self.pending = 0
        self._lock = asyncio.Lock()
        self.waiting_for: str | None = None
        self._then: list[Callable[[], None]] = []

    def then(self, callback: Callable[[], None]) -> None:
        """Run `callback` once every write submitted so far has finished (now, if none is)."""
        if self.pending:
            self._then.append(callback)
        else:
            callback()

    @property
    def busy(self) -> bool:
        return self.pending > 0

    def submit(self, work: Callable[[Session], Any], done: Callable[[Any], None] | None = None, *,
               refused: tuple[type[BaseException], ...] = (), on_refused: Callable[[BaseException], None] | None = None,
               on_failed: Callable[[str], None] | None = None, what: str = "the change") -> None:
        """Run `work(session)` in one write transaction off the loop, then `done(result)` on
        the loop. `refused`: the errors that mean "not now, and why" (shown, or handed to
        `on_refused`); a store that cannot take the write calls `on_failed(reason)` after
        saying so (keep what was typed there)."""
        store = self.gate.store
        if store is None:  # still opening: run once it is (keys wait meanwhile, as for any action)
            self.gate.store_or_later(lambda: self.submit(work, done, refused=refused, on_refused=on_refused,
                                                        on_failed=on_failed, what=what))
            return
        self.pending += 1
        self.host.run_worker(self._run(store, work, done, refused, on_refused, on_failed, what),
                            group="writes", exit_on_error=False)

    async def _run(self, store: Store, work: Callable[[Session], Any], done: Callable[[Any], None] | None,
                   refused: tuple[type[BaseException], ...], on_refused: Callable[[BaseException], None] | None,
                   on_failed: Callable[[str], None] | None, what: str) -> None:
        try:
            async with self._lock:  # one at a time, in the order submitted
                timer = self.host.set_timer(WAITING_AFTER_S, lambda: self._show_waiting(what))
                try:
                    result = await asyncio.to_thread(_write, store, work)
                finally:
                    timer.stop()
                    self._show_waiting(None)
        except refused as exc:
            self._finish()
            if on_refused is not None:
                on_refused(exc)
            else:
                self.host.notify(str(exc), severity="warning", timeout=5)
            return
        except Exception as exc:
            self._finish()
            self._failed(exc, what, on_failed)
            return
        self._finish()
        if done is not None:
            done(result)

    def _finish(self) -> None:
        self.pending -= 1
        if not self.pending:
            self.host.call_later(self._settled)

    def _settled(self) -> None:
        """Every write is done (and its `done` has run): then the waiting callbacks, then
        the keys typed meanwhile."""
        callbacks, self._then = self._then, []
        for callback in callbacks:
            callback()
        self.keys.replay_held()

    def _failed(self, exc: Exception, what: str, on_failed: Callable[[str], None] | None) -> None:
        from director_tui.core.store import damaged_message

        if damaged_message(exc, self.home) is not None:
            self.report_fault(exc)
            return
        from director_tui.core.store import unavailable

        why = unavailable(exc)
        if why is None:  # a fault of ours: the app's own handler reports it
            self.report_fault(exc)
            return
        kept = " (what you typed is kept)" if on_failed is not None else ""
        self.keys.drop_held()  # they were meant for what this write would have left
        self.host.notify(f"{what} was not saved: {why}; try again{kept}", severity="error", timeout=10)
        if on_failed is not None:
            on_failed(why)

    def _show_waiting(self, what: str | None) -> None:
        self.waiting_for = what
        self.waiting.show(what)

    async def idle(self) -> None:
        """Until every submitted write has finished (tests, and quitting)."""
        while self.pending:
            await asyncio.sleep(0.01)
