"""Python's garbage collector while the app runs (measured: its full passes took 100-150 ms
each here, and a key pressed then waited that long).

Everything built up to the store opening (modules, widgets, rows) lives as long as the app:
`settle()` freezes it out of the collector's passes and makes the full passes rarer (1 in
100 middle ones, not 10). `director-tui open` starts with the collector off (launch.py):
start-up only allocates what the app keeps. `restore()` puts things back when the app
ends, since another app may follow in this process (tests)."""

from __future__ import annotations

import gc


class Collector:
    def __init__(self) -> None:
        self._threshold: tuple[int, int, int] | None = None  # the collector's, before ours

    def settle(self) -> None:
        gc.freeze()
        gc.enable()
        if self._threshold is None:
            self._threshold = gc.get_threshold()
            gc.set_threshold(self._threshold[0], self._threshold[1], 100)

    def restore(self) -> None:
        if self._threshold is not None:
            gc.unfreeze()
            gc.set_threshold(*self._threshold)
            self._threshold = None
