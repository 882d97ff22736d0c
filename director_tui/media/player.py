"""The external player: a configured command, else mpv, else xdg-open.

Over SSH (no $DISPLAY) mpv draws in the terminal (`--vo=tct`): the app
suspends while it plays and comes back when it ends.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


class PlayerError(Exception):
    """No usable player; the message says what to install or configure."""


@dataclass(frozen=True)
class PlayerPlan:
    argv: list[str]
    in_terminal: bool  # suspend the app and let the player use the terminal


def plan_player(path: Path, configured: list[str] | None, in_terminal: str = "auto",
                is_image: bool = False, start: float | None = None) -> PlayerPlan:
    """`start`: seconds into a clip to begin at (mpv's --start; another player starts at 0)."""
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    at = [f"--start={start:.3f}"] if start is not None else []
    if configured:
        argv = [a.replace("{path}", str(path)) for a in configured]
        if at and _is_mpv(argv[0]):
            argv[1:1] = at
        terminal = in_terminal == "always" or (in_terminal == "auto" and not has_display
                                               and _is_mpv(argv[0]))
        return PlayerPlan(argv, terminal)
    mpv = shutil.which("mpv")
    if mpv:
        argv = [mpv, "--really-quiet", "--keep-open=no", *at]
        if is_image:
            argv.append("--image-display-duration=inf")
        terminal = in_terminal == "always" or (in_terminal == "auto" and not has_display)
        if terminal:
            argv += ["--vo=tct", "--vo-tct-algo=half-blocks", "--no-audio-display"]
        return PlayerPlan(argv + [str(path)], terminal)
    opener = shutil.which("xdg-open")
    if opener and has_display:
        return PlayerPlan([opener, str(path)], False)
    raise PlayerError("no player found: install mpv (apt-get install mpv), "
                      "or set `player = [\"…\", \"{path}\"]` in the config")


def _is_mpv(program: str) -> bool:
    return Path(program).name.startswith("mpv")


def launch_detached(plan: PlayerPlan) -> subprocess.Popen[bytes]:
    """Start a windowed player that outlives nothing of ours and never blocks the UI."""
    try:
        return subprocess.Popen(  # noqa: S603  (argv list, no shell)
            plan.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )
    except FileNotFoundError:
        raise PlayerError(f"player not found: {plan.argv[0]!r}") from None
    except PermissionError:
        raise PlayerError(f"player not executable: {plan.argv[0]!r}") from None


def run_in_terminal(plan: PlayerPlan) -> int:
    try:
        return subprocess.run(plan.argv, check=False).returncode  # noqa: S603
    except FileNotFoundError:
        raise PlayerError(f"player not found: {plan.argv[0]!r}") from None
