"""`:dailies [current|approved]`: the stream's clips in order as one mpv playlist, titled on
screen by segment (media/dailies.py); when the player ends, the cursor stands on the
segment watched last, so the director can decide right there. Over SSH it plays in this
terminal (the app suspends), as `o` does; with a display, in a window of its own."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from director_tui.core.states import Asset

if TYPE_CHECKING:
    from director_tui.media.dailies import Dailies
    from director_tui.ui.screens.main.host import MainHost


def play_dailies(screen: MainHost, which: str, started: Callable[[Dailies], object]) -> None:
    """Start the dailies once their clips are read (off the loop: ui/reader.py); `started(run)`
    is called with the run (tests follow it) unless there is nothing to play."""
    from director_tui.core.views import dailies

    stream_id = screen.ctx.stream_id
    screen.ctx.reader.read("dailies", lambda s: dailies(s, stream_id, which),
                           lambda found: _play(screen, which, found, started), owner=screen)


def _play(screen: MainHost, which: str, found: list[tuple[int, int, str, int, str]],
          started: Callable[[Dailies], object]) -> None:
    from director_tui.media.dailies import Clip, Dailies
    from director_tui.media.player import PlayerError

    app, ctx = screen.app, screen.ctx
    clips = [Clip(seg_id, f"#{position} {title} — v{number}", ctx.settings.home / "media" / path)
             for seg_id, position, title, number, path in found]
    missing = [c for c in clips if not c.path.is_file()]
    clips = [c for c in clips if c.path.is_file()]
    if not clips:
        what = "approved clips" if which == "approved" else "clips"
        screen.notify(f"dailies: no {what} yet" + (f" ({len(missing)} files missing)" if missing else ""),
                      severity="warning", timeout=4)
        return
    settings = ctx.settings
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    in_terminal = settings.player_in_terminal == "always" or (settings.player_in_terminal == "auto"
                                                              and not has_display)
    try:
        run = Dailies(clips, settings.player, in_terminal and not app.is_headless)
    except PlayerError as exc:
        screen.notify(str(exc), severity="error", timeout=6)
        return
    started(run)
    note = f"dailies: {len(clips)} {which} clip{'s' if len(clips) != 1 else ''}" + (
        f", {len(missing)} missing" if missing else "")

    def ended(segment_id: int | None) -> None:
        if segment_id is None:
            screen.notify(f"{note} — the player ended before the first", timeout=4)
            return
        if screen.asset != Asset.VIDEO:
            screen.action_asset(Asset.VIDEO)
        screen.go_to_segment(segment_id)
        row = screen.table.rows_by_id.get(segment_id)
        screen.notify(f"dailies ended at #{row.position if row else '?'}: space approves, f sends back", timeout=5)

    if run.in_terminal:
        with app.suspend():
            try:
                last = run.run()
            except PlayerError as exc:
                screen.notify(str(exc), severity="error", timeout=6)
                return
        ended(last)
        return

    def play() -> None:
        try:
            last = run.run()
        except PlayerError as exc:
            app.call_from_thread(screen.notify, str(exc), severity="error", timeout=6)
            return
        app.call_from_thread(ended, last)

    screen.notify(note + " — playing", timeout=3)
    app.run_worker(play, thread=True, group="dailies", exit_on_error=False)
