"""Pictures through tmux. A director over SSH usually works in tmux, which draws its panes
itself: kitty graphics reach the terminal outside only as tmux passthrough (`ESC P tmux;
… ESC \\`, every ESC inside doubled), which tmux lets through only with
`allow-passthrough on` (tmux 3.3+); sixel needs a tmux built with sixel (3.4+), which then
draws it itself. Nothing in the pane can ask the terminal outside what it draws, so tmux
is asked: which terminal its client is (`client_termname`: kitty, ghostty), what features
it found there (`client_termfeatures`: sixel), and the passthrough setting.

Kitty images are placed with Unicode placeholders (textual-image's way), plain text to
tmux, so only the image data needs the passthrough: `install_passthrough` wraps
textual-image's sender. When passthrough is off the pictures stay half-blocks and the
director is told the one setting that changes it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

KITTY_TERMINALS = ("kitty", "ghostty")  # draw kitty graphics with Unicode placeholders
PASSTHROUGH_OFF = ("pictures are half-blocks here: tmux's allow-passthrough is off, so kitty graphics cannot reach "
                   "your terminal. `tmux set -g allow-passthrough on` (and in ~/.tmux.conf) lets them through, "
                   "then open the stream again")


@dataclass(frozen=True)
class TmuxView:
    outer: str  # the attached client's terminal name, e.g. xterm-kitty
    features: str  # tmux's features of that terminal, e.g. "256,RGB,sixel,…"
    passthrough: str | None  # on | all | off; None: tmux older than 3.3 (no such setting)


def inspect(env: dict[str, str] | None = None) -> TmuxView | None:
    """What tmux says of the terminal around it; None outside tmux (or when it will not say)."""
    env = dict(os.environ) if env is None else env
    tmux = shutil.which("tmux")
    if not env.get("TMUX") or tmux is None:
        return None

    def ask(*args: str) -> str | None:
        try:
            done = subprocess.run([tmux, *args], capture_output=True, text=True, timeout=2, env=env)  # noqa: S603
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    said = ask("display-message", "-p", "#{client_termname}\t#{client_termfeatures}")
    if said is None:
        return None
    outer, _, features = said.partition("\t")
    return TmuxView(outer, features, ask("show", "-gv", "allow-passthrough"))


def decide(view: TmuxView, wanted: str = "auto") -> tuple[str | None, str | None]:
    """(protocol, notice): the protocol to draw with in this tmux (None: ask nothing, half-
    blocks), and one line for the director when a setting stands in the way."""
    kitty_outside = wanted == "kitty" or any(name in view.outer for name in KITTY_TERMINALS)
    sixel_here = wanted == "sixel" or "sixel" in view.features.split(",")
    if kitty_outside:
        if view.passthrough in ("on", "all"):
            return "kitty", None
        if view.passthrough is None:
            return None, "pictures are half-blocks here: kitty graphics through tmux need tmux 3.3 or newer " \
                         "(allow-passthrough)"
        return None, PASSTHROUGH_OFF
    if sixel_here:
        return "sixel", None
    return None, None


def wrap(sequence: str) -> str:
    """A terminal sequence as tmux passthrough."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def install_passthrough() -> None:
    """From now on textual-image's kitty graphics messages go out as tmux passthrough."""
    import textual_image.renderable.tgp as tgp

    if getattr(tgp._send_tgp_message, "through_tmux", False):
        return

    def send(*, payload: str | None = None, **kwargs: int | str | None) -> None:
        out = sys.__stdout__
        if out is None:
            raise tgp.TerminalError("sys.__stdout__ is None")
        keys = ",".join(f"{k}={v}" for k, v in kwargs.items() if v is not None)
        out.write(wrap(f"{tgp._TGP_MESSAGE_START}{keys}{f';{payload}' if payload else ''}{tgp._TGP_MESSAGE_END}"))
        out.flush()

    send.through_tmux = True  # type: ignore[attr-defined]
    tgp._send_tgp_message = send
