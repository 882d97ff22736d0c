"""The store as the screens see it (issue 26, 2): open when the app starts (tests, and a
store that is not SQLite at head), or opened in a worker thread once the first frame is
out. An action that needs it meanwhile asks `store_or_later(retry)` and runs again once it
is open. "The store is open" is a Signal (`opened`) the screens subscribe to; the app's own
start-up work runs first (`on_open`), in the order it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.dom import DOMNode
from textual.signal import Signal

from director_tui.config import Settings

if TYPE_CHECKING:
    from director_tui.core.store import Store


class StoreGate:
    def __init__(self, host: App[Any], settings: Settings, store: Store | None) -> None:
        self.host = host
        self.settings = settings
        self.store = store
        self.opened: Signal[Store] = Signal(host, "store-opened")
        self.announced = False  # `opened` was published (a screen mounted later looks here)
        self._retries: list[Callable[[], object]] = []

    @property
    def has_waiters(self) -> bool:
        """Actions wait for the store to open (the keys typed meanwhile are theirs)."""
        return bool(self._retries)

    def store_or_later(self, retry: Callable[[], object]) -> Store | None:
        """The store, or None after arranging for `retry` to run once it is open.

        (An action must not await the store: Textual runs key actions inside the app's
        message loop, which also delivers the timer that opens the store.)
        """
        if self.store is None:
            self._retries.append(retry)
            self.host.notify("opening the workspace…", timeout=1)
        return self.store

    def when_open(self, node: DOMNode, callback: Callable[[Store], object]) -> None:
        """`callback(store)` once the store is open: now if it is, else when `opened` is
        published (subscribed for `node`, which must be mounted)."""
        if self.announced and self.store is not None:
            callback(self.store)
        else:
            self.opened.subscribe(node, callback, immediate=True)

    def open_in_thread(self, delay_s: float, on_open: Callable[[Store], None],
                       on_failed: Callable[[Exception], None], then: Callable[[], None]) -> None:
        """Open the full store (ORM, migrations) off the UI thread, `delay_s` from now:
        importing SQLAlchemy holds the GIL and would slow the first frame down. Once open:
        `on_open(store)`, the actions that waited for it, then `then()` (the keys held)."""
        def open_store() -> None:
            from director_tui.core.store import open_store as open_it

            try:
                store = open_it(self.settings.home, self.settings.store)
            except Exception as exc:
                self.host.call_from_thread(on_failed, exc)
                return
            self.host.call_from_thread(self.set_store, store, on_open, then)

        self.host.set_timer(delay_s, lambda: self.host.run_worker(open_store, thread=True, exclusive=True,
                                                                   name="open-store"))

    def set_store(self, store: Store, on_open: Callable[[Store], None], then: Callable[[], None]) -> None:
        self.store = store
        on_open(store)
        retries, self._retries = self._retries, []
        for retry in retries:
            retry()
        then()

    def publish_opened(self) -> None:
        """Tell the screens (the app calls this in the middle of its own start-up work: after
        the decisions kept from a crash are adopted, before the runner starts)."""
        assert self.store is not None
        self.announced = True
        self.opened.publish(self.store)
