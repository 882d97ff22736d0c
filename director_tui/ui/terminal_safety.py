"""Nothing that came from someone else reaches the terminal as a command (issue 25).

Titles, prompts, comments, names, preset names, progress and error lines, log lines and file
names are written by colleagues (a spec, the shared store, a generator's output). A prompt
holding `\\x1b]52;c;…\\x1b\\\\` would set the director's clipboard and tmux paste buffer when
drawn, `\\x1b]8;;…` plant a link, `\\x1b]0;…` retitle the window, `\\x1b[6n` make the terminal
answer into the app's input. Rich strips only BEL, BS, VT, FF and CR from text.

The one place every widget's text passes on its way out is `Strip.render` (the compositor
turns each screen update into strips, then into the bytes the driver writes). Here it drops
every C0 and C1 control character from the text of segments that are not control segments:
colours and cursor moves are made from styles and control segments, not from text, and the
graphics protocols (textual-image's sixel) send theirs as control segments, so they pass.
Control characters occupy no cell, so the layout is unchanged; what is left of a hostile
sequence (`]52;c;…`) shows as the plain text it is. Installed once, before the app runs
(`install()`); `safe_text()` is the same filter for text handed to the terminal elsewhere.
"""

from __future__ import annotations

import re

from rich.color import ColorSystem
from rich.console import Console

# C0 but tab and newline, DEL, and C1 (0x80-0x9f: 8-bit CSI, OSC, ST)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_installed = False


def safe_text(text: str) -> str:
    """`text` without the characters a terminal would take as (the start of) a command."""
    return _CONTROL.sub("", text) if _CONTROL.search(text) else text


def install() -> None:
    """Filter every strip the app draws (once per process)."""
    global _installed
    if _installed:
        return
    from textual.strip import Strip

    def render(self: Strip, console: Console) -> str:
        if self._render_cache is None:
            color_system = console._color_system or ColorSystem.TRUECOLOR
            style_render = self.render_style
            parts = []
            for text, style, control in self._segments:
                if control is None and not text.isprintable() and _CONTROL.search(text):  # isprintable: C-fast
                    text = _CONTROL.sub("", text)
                parts.append(text if style is None else style_render(style, text, color_system=color_system))
            self._render_cache = "".join(parts)
        return self._render_cache

    Strip.render = render  # type: ignore[method-assign]
    _installed = True
