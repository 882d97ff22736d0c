"""What waits for the database, said in the header (the writer's change, the decisions on
their way): each waiter has a slot; `changed` (a Signal) carries the joined line, or None
once nothing waits. The main screen draws it; nobody reaches into the header."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.signal import Signal


class WaitingBoard:
    def __init__(self, host: App[Any]) -> None:
        self.changed: Signal[tuple[str | None, str, str | None]] = Signal(host, "waiting-changed")
        self._waiting: dict[str, str] = {}  # slot -> what waits

    @property
    def said(self) -> str | None:
        return ", ".join(self._waiting.values()) or None

    def show(self, what: str | None, slot: str = "writer") -> None:
        """`what` waits in `slot` (None: no longer). Publishes (line, slot, what) on a change."""
        was = dict(self._waiting)
        if what is None:
            self._waiting.pop(slot, None)
        else:
            self._waiting[slot] = what
        if self._waiting != was:
            self.changed.publish((self.said, slot, what))
