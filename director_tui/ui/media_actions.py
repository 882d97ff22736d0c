"""What a director does with a version's file, from any screen (issue 26, 5): `o` opens it
in the player (`open_player`: in this terminal over SSH, suspended, or a window of its own),
and "send to my machine" (`O`): the version, or the compare pair, served on loopback under a
fresh token (media/share.py), its URL copied to the clipboard (OSC 52 reaches the
director's own machine through SSH in most terminals) and shown with the `ssh -L` line
that opens it there. In a browser (`director-tui serve`) `o` hands the file to the
browser instead: a new tab at full quality (textual-serve's download route)."""

from __future__ import annotations

import asyncio
import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App

from director_tui.core.states import Asset
from director_tui.ui.context import context_of

if TYPE_CHECKING:
    from director_tui.core.store import Store


def _current(store: Store, segment_id: int, asset: str) -> tuple[int, str] | None:
    from director_tui.core.views import current_version_path

    with store.read() as s:
        return current_version_path(s, segment_id, asset)


async def current_file(app: App[Any], segment_id: int, asset: str, position: int | None) -> tuple[str, Path] | None:
    """(label, file) of the segment's current `asset`, read off the loop; None (and a notice)
    when there is none."""
    ctx = context_of(app)
    store = ctx.store
    assert store is not None
    found = await asyncio.to_thread(_current, store, segment_id, asset)
    if found is None:
        app.notify(f"segment {position} has no {asset} yet", severity="warning")
        return None
    number, relative = found
    path = ctx.settings.home / "media" / relative
    if not path.is_file():
        app.notify(f"file missing: {path}", severity="error")
        return None
    return f"#{position} {asset} v{number}", path


async def send_to_my_machine(app: App[Any], files: list[tuple[str, Path]]) -> str | None:
    from director_tui.media.share import ShareServer, forward_hint

    ctx = context_of(app)
    if app.is_web:  # the browser is the director's machine already
        for _label, path in files:
            open_in_browser(app, path)
        return None
    server = ctx.share_server
    if server is None:
        server = ctx.share_server = ShareServer()
    try:
        await server.start()
    except OSError as exc:
        app.notify(f"cannot serve it: {exc}", severity="error", timeout=6)
        return None
    url = server.share(files)
    app.copy_to_clipboard(url)
    what = " and ".join(label for label, _ in files)
    app.notify(f"{what}: {url} (copied; the last share is closed). On your machine: {forward_hint(server.port or 0)}, "
               f"then open it in a browser, or `mpv {url}0`", title="send to my machine", timeout=30)
    return url


def open_in_browser(app: App[Any], path: Path) -> None:
    """In a browser tab (`serve`): the file itself in a new tab."""
    app.deliver_binary(path, open_method="browser", mime_type=mimetypes.guess_type(path.name)[0],
                       save_filename=path.name)
    app.notify(f"{path.name}: opening in a new tab", timeout=3)


async def open_player(app: App[Any], segment_id: int, asset: str, position: int | None,
                start: float | None = None) -> None:
    """The segment's current `asset` in the player (mpv, or the configured one): in this
    terminal (over SSH, suspended) or in a window of its own; a clip from `start` seconds."""
    from director_tui.media.player import PlayerError, launch_detached, plan_player, run_in_terminal

    ctx = context_of(app)
    found = await current_file(app, segment_id, asset, position)  # None: it said why
    if found is None:
        return
    label, path = found
    if app.is_web:  # a browser tab (`director-tui serve`): the file in a new tab, at full quality
        open_in_browser(app, path)
        return
    settings = ctx.settings
    try:
        plan = plan_player(path, settings.player, settings.player_in_terminal, is_image=asset == Asset.KEYFRAME,
                           start=start)
        if plan.in_terminal and not app.is_headless:
            with app.suspend():
                run_in_terminal(plan)
        else:
            launch_detached(plan)
            app.notify(f"opened {label.split(' ', 2)[-1]} in {plan.argv[0].rsplit('/', 1)[-1]}", timeout=2)
    except PlayerError as exc:
        app.notify(str(exc), severity="error", timeout=6)
