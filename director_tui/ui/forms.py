"""Fields that take a fast burst of keys or a paste intact.

Textual hands each key to the widget focused *when the app reads it* and runs a field's
Tab (focus the next field) only after the key has bubbled back up; by then the rest of a
burst (a paste typed by tmux, a laggy SSH link, a fast typist) has already gone to the old
field. So Tab, Shift+Tab and a form's Enter-to-next-field move the focus here, at once,
before the next key is read. A bracketed paste into a one-line field keeps every line
(joined with spaces: Textual's Input keeps only the first), and a paste holding tabs into
a form fills its fields in order, as typing it would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import events
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, TextArea


def _fields(screen: Screen) -> list[Widget]:
    return [w for w in screen.focus_chain if isinstance(w, Input | TextArea)]


def _moves_focus(widget: Widget, key: str) -> bool:
    if key not in ("tab", "shift+tab"):
        return False
    if isinstance(widget, TextArea):
        return widget.tab_behavior == "focus"
    return isinstance(widget, Input) and not getattr(widget, "TAB_COMPLETES", False)


def route_key(screen: Screen, focused: Widget | None, event: events.Key) -> bool:
    """Move the focus now for a key that moves it; True when the key was used."""
    if focused is None or focused.screen is not screen:
        return False
    if _moves_focus(focused, event.key):
        (screen.focus_next if event.key == "tab" else screen.focus_previous)()
        return True
    if event.key == "enter" and getattr(screen, "ENTER_ADVANCES", False) and isinstance(focused, Input):
        fields = _fields(screen)
        if focused in fields and fields.index(focused) < len(fields) - 1:
            screen.set_focus(fields[fields.index(focused) + 1])
            return True
    return False


def route_paste(screen: Screen, focused: Widget | None, event: events.Paste) -> bool:
    """Insert a paste into one-line fields without losing any of it; True when done here."""
    if not isinstance(focused, Input) or focused.screen is not screen or not event.text:
        return False
    text = event.text
    if "\t" in text and getattr(screen, "ENTER_ADVANCES", False):  # a form: one piece a field
        fields = [f for f in _fields(screen) if isinstance(f, Input)]
        pieces = text.split("\t")
        start = fields.index(focused) if focused in fields else 0
        for field, piece in zip(fields[start:], pieces, strict=False):
            field.insert_text_at_cursor(" ".join(piece.splitlines()))
        screen.set_focus(fields[min(len(fields) - 1, start + len(pieces) - 1)])
        return True
    if "\n" in text or "\r" in text:
        focused.insert_text_at_cursor(" ".join(line.strip() for line in text.splitlines() if line.strip()))
        return True
    return False


async def type_into_line(line: Widget, event: events.Key | events.Paste,
                         check_bindings: Callable[..., Awaitable[bool]]) -> bool:
    """A key or paste for a one-line prompt (`TYPED_AT_ONCE`), taken as the app reads it, in
    order: a character is text, never a command; enter, esc, tab, backspace and arrows run
    the line's bindings now (the app's `_check_bindings`). True when used."""
    assert isinstance(line, Input)
    if isinstance(event, events.Paste):
        line.insert_text_at_cursor(" ".join(part.strip() for part in event.text.splitlines() if part.strip()))
        return True
    if await check_bindings(event.key, priority=True):
        return True
    if event.is_printable and event.character:
        line.insert_text_at_cursor(event.character)
        return True
    return await check_bindings(event.key)
