"""Tells the screens at once that the store may have changed elsewhere (issue 26, 7).

The screens poll the store's change token (twice a second) and read again when it moved;
a colleague's decision took up to half a second to show. On SQLite the workspace folder is
now watched (core/store/watch.py: watchfiles), and a write to the database or its log
publishes `signal` on the loop: the screens look at the token then, not at their next poll.
Bursts coalesce: a change while one is on its way to the loop adds nothing. The poll stays
as the fallback (a network share, a store that has no files, a watch that failed).
Posting's `env_changed_signal` is the model: the app owns the Signal, screens subscribe."""

from __future__ import annotations

import asyncio
import contextlib
import threading

from textual.dom import DOMNode
from textual.signal import Signal

from director_tui.core.store import Store
from director_tui.core.store.watch import ChangeWatcher


class StoreChanges:
    def __init__(self, owner: DOMNode) -> None:
        self.signal: Signal[None] = Signal(owner, "store-changed")
        self._watcher: ChangeWatcher | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._due = threading.Event()  # a publish is on its way to the loop

    @property
    def watching(self) -> bool:
        return self._watcher is not None and self._watcher.active

    def follow(self, store: Store) -> None:
        """On the loop, once the store is open."""
        self._loop = asyncio.get_running_loop()
        self._watcher = ChangeWatcher(store.watched_files(), self._changed)
        self._watcher.start()

    def _changed(self) -> None:
        """In the watcher's thread."""
        if self._due.is_set() or self._loop is None:
            return
        self._due.set()
        with contextlib.suppress(RuntimeError):  # the loop has closed: the app is gone
            self._loop.call_soon_threadsafe(self._publish)

    def _publish(self) -> None:
        self._due.clear()
        self.signal.publish(None)

    def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
