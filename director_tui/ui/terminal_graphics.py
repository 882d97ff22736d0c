"""What the terminal can draw pictures with, asked once before the app takes the terminal.

textual-image asks on import: a sixel query, then a kitty graphics query that only kitty
answers, so every other terminal (tmux, xterm, most SSH sessions) waits out its 0.1 s
timeout, and the import pulls in Pillow before the first frame. We ask everything in one
round trip instead: the kitty query, the cell-size query when the pty does not report pixel
sizes, then the device-attributes query (DA1) that every terminal answers. Terminals answer
in order, so once DA1's reply is in, every other reply that will ever come has come. The
picture widget is imported only when the first picture is shown.
"""

from __future__ import annotations

import os
import re
import select
import sys
import time
from collections.abc import Callable
from typing import Any

PROTOCOLS = ("auto", "sixel", "kitty", "halfcell", "unicode")

_KITTY_QUERY = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
_CELL_QUERY = "\x1b[16t"
_DA1_QUERY = "\x1b[c"
_DA1_REPLY = re.compile(r"\x1b\[\?([0-9;]*)c")
_KITTY_REPLY = re.compile(r"\x1b_Gi=31;([^\x1b]*)\x1b\\")
_CELL_REPLY = re.compile(r"\x1b\[6;(\d+);(\d+)t")

_chosen: dict[str, Any] = {"protocol": None, "cell": None, "notice": None, "through_tmux": False}


def parse_replies(text: str) -> tuple[bool, str, tuple[int, int] | None]:
    """(DA1 seen, protocol, cell size (w, h) in pixels or None) from what the terminal sent."""
    da1 = _DA1_REPLY.search(text)
    kitty = _KITTY_REPLY.search(text)
    cell = _CELL_REPLY.search(text)
    size = (int(cell.group(2)), int(cell.group(1))) if cell else None
    if da1 and "4" in da1.group(1).split(";"):
        return True, "sixel", size  # textual-image's own order: sixel before kitty
    if kitty and kitty.group(1) == "OK":
        return bool(da1), "kitty", size
    return bool(da1), "halfcell", size


def _pixel_cell_size() -> tuple[int, int] | None:
    """The cell size from the pty's pixel size, when the terminal fills it in."""
    import fcntl
    import struct
    import termios

    try:
        raw = fcntl.ioctl(sys.__stdout__.fileno(), termios.TIOCGWINSZ, b"\0" * 8)  # type: ignore[union-attr]
    except (OSError, AttributeError, ValueError):
        return None
    rows, cols, width, height = struct.unpack("HHHH", raw)
    if rows and cols and width and height:
        return width // cols, height // rows
    return None


def _ask_terminal(queries: str, timeout_s: float) -> str:
    import termios
    import tty

    fd_in = sys.__stdin__.fileno()  # type: ignore[union-attr]
    saved = termios.tcgetattr(fd_in)
    tty.setcbreak(fd_in, termios.TCSANOW)
    received = ""
    try:
        os.write(sys.__stdout__.fileno(), queries.encode())  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout_s
        while not _DA1_REPLY.search(received):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd_in], [], [], left)[0]:
                break
            chunk = os.read(fd_in, 1024)
            if not chunk:
                break
            received += chunk.decode(errors="replace")
    finally:
        termios.tcsetattr(fd_in, termios.TCSANOW, saved)
    return received


def probe(protocol: str = "auto", timeout_s: float = 0.5) -> str:
    """Decide how pictures are drawn. `protocol` other than "auto" skips the question."""
    tty_ok = bool(sys.__stdout__ and sys.__stdin__ and sys.__stdout__.isatty()
                  and sys.__stdin__.isatty())
    cell = _pixel_cell_size() if tty_ok else None
    tmux = None
    if tty_ok and os.environ.get("TMUX") and protocol in ("auto", "kitty", "sixel"):
        # tmux answers queries for itself: ask it what is outside (half-blocks and unicode,
        # when configured, need no one's answer)
        from director_tui.ui.tmux_graphics import decide, inspect

        view = inspect()
        if view is not None:
            decided, _chosen["notice"] = decide(view, protocol)
            tmux = decided or "halfcell"
            _chosen["through_tmux"] = tmux == "kitty"
    if tmux is not None:
        protocol = tmux
    elif protocol == "auto":
        protocol = "unicode" if not tty_ok else "halfcell"
        if tty_ok and sys.platform != "win32":
            try:
                text = _ask_terminal(_KITTY_QUERY + ("" if cell else _CELL_QUERY) + _DA1_QUERY, timeout_s)
                _, protocol, asked_cell = parse_replies(text)
                cell = cell or asked_cell
            except (OSError, ValueError, AttributeError):
                pass  # no answer: half-blocks, which every terminal can show
    if cell is None and tmux is not None and tty_ok:  # the pixel size of a cell, which tmux answers
        try:
            cell = parse_replies(_ask_terminal(_CELL_QUERY + _DA1_QUERY, timeout_s))[2]
        except (OSError, ValueError, AttributeError):
            pass
    _chosen["protocol"] = protocol
    _chosen["cell"] = cell or (10, 20)  # VT340 cells, textual-image's own default
    return protocol


def notice() -> str | None:
    """One line for the director about pictures (a tmux setting in the way), once."""
    said, _chosen["notice"] = _chosen["notice"], None
    return said


def cell_size() -> tuple[int, int]:
    if _chosen["cell"] is None:
        probe("unicode" if not _chosen["protocol"] else _chosen["protocol"])
    return _chosen["cell"]


def image_widget_class() -> Callable[..., Any]:
    """The textual-image widget for the chosen protocol, imported on first use."""
    import textual_image._terminal as terminal

    if _chosen["protocol"] is None:  # tests and headless runs: never ask a terminal mid-app
        probe("unicode")
    width, height = cell_size()
    terminal.get_cell_size._result = terminal.CellSize(width, height)  # type: ignore[attr-defined]
    if "textual_image.renderable" not in sys.modules:
        # its import asks the terminal itself; once Textual reads stdin that would eat keys,
        # so hide the terminal for the import (the renderable is chosen below anyway)
        saved, sys.__stdout__ = sys.__stdout__, None  # type: ignore[misc]  # hidden from the import's probe, put back below
        try:
            import textual_image.renderable  # noqa: F401
        finally:
            sys.__stdout__ = saved  # type: ignore[misc]
    from textual_image import widget

    if _chosen["through_tmux"]:
        from director_tui.ui.tmux_graphics import install_passthrough

        install_passthrough()
    return {"sixel": widget.SixelImage, "kitty": widget.TGPImage,
            "halfcell": widget.HalfcellImage}.get(_chosen["protocol"], widget.UnicodeImage)
