"""Where a key goes (issue 26, 2): the app hands every event here first.

- While an action waits for the store to open, the keys typed after it belong to whatever
  it opens (the text of a quick edit): they are held, and replayed once the action has run.
  Writes never hold keys: a decision is bound to its ids when pressed (ui/decision_queue.py).
- While a read a key asked for is out (`hold()`), or the screen a key opened has not drawn
  what it reads from the store yet (`FirstDraw`), the keys typed after it are held the same
  way, at most HOLD_MAX_S: `P j space` in one burst chooses the second preset, as typed.
- A one-line prompt takes its keys as they are read, in order (PromptLine.TYPED_AT_ONCE).
- Textual hands a key to the focused widget's queue and runs its binding only when it has
  bubbled back up, so the keys of one burst (a paste, a laggy SSH link) are all handed to
  the table before `e` or `c` has opened the field they belong to, and run as commands. The
  table has no keys of its own: its bindings run here, one key at a time, so the next key
  goes to whatever the last one focused. The same for a form's keys and pastes (ui/forms.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual import events
from textual.app import App

from director_tui.ui.forms import route_key, route_paste, type_into_line
from director_tui.ui.store_gate import StoreGate

HOLD_MAX_S = 5.0  # a read that never comes back (a server away) gives the keys back after this


class KeyRouter:
    def __init__(self, app: App[Any], gate: StoreGate) -> None:
        self.app = app
        self.gate = gate
        self.held: list[events.Key] = []
        self.keys_typed = 0  # (a draft found at open takes over the screen only before any key)
        self._holds: set[object] = set()

    @property
    def holding(self) -> bool:
        return self.gate.has_waiters or bool(self._holds) or self._screen_drawing()

    def _screen_drawing(self) -> bool:
        """The screen in front was opened by a key and has not drawn its first read yet."""
        try:
            since = getattr(self.app.screen, "drawing_since", None)
        except Exception:  # no screen yet, at start
            return False
        return since is not None and time.monotonic() - since < HOLD_MAX_S

    def hold(self) -> Callable[[], None]:
        """Hold the keys typed from now until the returned release is called (or HOLD_MAX_S)."""
        token = object()
        self._holds.add(token)

        def release() -> None:
            if token in self._holds:
                self._holds.discard(token)
                timer.stop()
                self.replay_held()

        timer = self.app.set_timer(HOLD_MAX_S, release)
        return release

    async def route(self, event: events.Event) -> bool:
        """True when the event was taken here (the app does not pass it on)."""
        app = self.app
        key = event if isinstance(event, events.Key) and not event.is_forwarded else None
        if key is not None:
            self.keys_typed += 1
            if self.holding or self.held:
                if not self.held:  # the keys come back at the latest HOLD_MAX_S from now
                    self.app.set_timer(HOLD_MAX_S + 0.05, self.replay_held)
                self.held.append(key)
                return True
        typed = event if isinstance(event, events.Key | events.Paste) and not getattr(event, "is_forwarded", False) else None
        line = app.focused if typed is not None else None  # (no screen yet at start)
        if typed is not None and line is not None and getattr(line, "TYPED_AT_ONCE", False) \
                and line.screen is app.screen and await type_into_line(line, typed, app._check_bindings):
            return True
        if key is not None and getattr(app.focused, "KEYS_FROM_SCREEN", False) and app.screen.maximized is None:
            if await app._check_bindings(key.key, priority=True) or await app._check_bindings(key.key):
                return True
        if key is not None and route_key(app.screen, app.focused, key):
            return True
        return isinstance(event, events.Paste) and route_paste(app.screen, app.focused, event)

    def replay_held(self) -> None:
        if self.holding:
            return
        held, self.held = self.held, []
        for key in held:
            self.app.post_message(events.Key(key.key, key.character))

    def drop_held(self) -> None:
        """A write failed: the keys typed after it were meant for what it would have left."""
        if self.held:
            self.app.notify(f"{len(self.held)} key(s) typed meanwhile were not run", timeout=4)
        self.held = []


class FirstDraw:
    """Mixed into a screen that draws what it reads from the store: until `first_drawn()`, the
    keys typed after the one that opened it are held (KeyRouter), then handed to it."""

    drawing_since: float | None = None

    def start_first_draw(self) -> None:
        """In __init__: from the key that opens the screen."""
        self.drawing_since = time.monotonic()

    def on_unmount(self) -> None:  # (Textual calls each class's handler: this runs beside the screen's)
        # the app's context, looked up (the context names this module: no import back)
        context = getattr(getattr(self, "app", None), "context", None)
        if context is not None:
            self.first_drawn(context.keys)

    def first_drawn(self, keys: KeyRouter) -> None:
        """Once it shows what it read (or failed to, or went): the held keys are handed on."""
        if self.drawing_since is not None:
            self.drawing_since = None
            keys.replay_held()
