"""The reads the screens make, off the event loop (issue 26, 4): the twin of writer.py.

A read runs in a worker thread and its result is applied on the loop. On SQLite a read is
a fraction of a millisecond; on a studio's PostgreSQL each is a round trip, and on the loop
it held every key behind the network (and behind a server restarting). Reads are grouped
by what they refresh ("sync", "counts", "mentions"...): when a newer read of a group is
asked before an older one is back, the older result is dropped (last read wins, as
Harlequin's exclusive data workers do), so a slow answer never draws over a fresher one.

A read that meets a store that is away is handed to `on_error`, which says whether that was
expected (the caller reads again later); anything else goes to `failed` (the app's handler).

A read a key asked for, whose answer decides what the next keys act on (a screen just
opened, the review screen on another segment), holds the keys typed meanwhile (`holds_keys`:
ui/key_router.py) and hands them on once it is drawn: `P j space` in one burst chooses the
second preset, as typed, instead of losing `j` and `space` to an empty table.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import App
from textual.dom import DOMNode

if TYPE_CHECKING:
    from director_tui.core.store import Store

T = TypeVar("T")
Session = Any  # a read session of the store (the UI only hands it to core functions)


def _read(store: Store, work: Callable[[Session], T]) -> T:
    with store.read() as session:
        return work(session)


def _still_there(node: DOMNode) -> bool:
    """Mounted, running and not being taken down (as Textual's Signal.publish checks)."""
    return node.is_attached and node.is_running and not node._pruning


class StoreReader:
    def __init__(self, app: App[Any], store: Callable[[], Store | None], failed: Callable[[Exception], None],
                 hold_keys: Callable[[], Callable[[], None]]) -> None:
        self.app = app
        self._store = store
        self._failed = failed
        self._hold_keys = hold_keys  # returns the release
        self._asked: defaultdict[str, int] = defaultdict(int)  # per group: the newest read asked
        self.pending = 0

    def read(self, group: str, work: Callable[[Session], T], apply: Callable[[T], None], *,
             on_error: Callable[[Exception], bool] | None = None, owner: DOMNode | None = None,
             holds_keys: bool = False) -> bool:
        """Run `work(session)` in a read session off the loop, then `apply(result)` on the
        loop unless a newer read of `group` was asked meanwhile, or `owner` (the screen the
        result is for) has gone (the app quitting while the read was out). `holds_keys`: the
        keys typed meanwhile wait until it is applied (or has failed). False when there is no
        store yet (nothing was asked)."""
        store = self._store()
        if store is None:
            return False
        self._asked[group] += 1
        self.pending += 1
        release = self._hold_keys() if holds_keys else None
        self.app.run_worker(self._run(store, group, self._asked[group], work, apply, on_error, owner, release),
                            group=f"read-{group}", exit_on_error=False)
        return True

    async def _run(self, store: Store, group: str, asked: int, work: Callable[[Session], T],
                   apply: Callable[[T], None], on_error: Callable[[Exception], bool] | None,
                   owner: DOMNode | None, release: Callable[[], None] | None) -> None:
        try:
            try:
                result = await asyncio.to_thread(_read, store, work)
            except Exception as exc:
                if on_error is None or not on_error(exc):
                    self._failed(exc)
                return
            if owner is not None and not _still_there(owner):
                return
            if asked == self._asked[group]:  # else a newer read of the group will apply its own
                try:
                    apply(result)
                except Exception as exc:  # a fault of ours: the app's handler shows it
                    self._failed(exc)
        finally:
            self.pending -= 1
            if release is not None:
                release()

    async def idle(self) -> None:
        """Until every read asked so far has been applied (tests)."""
        while self.pending:
            await asyncio.sleep(0.01)
