""""Send to my machine" (`O`): the version, or the compare pair, served on loopback under a
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
    context_of(app)
    app.deliver_binary(path, open_method="browser", mime_type=mimetypes.guess_type(path.name)[0],
                       save_filename=path.name)
    app.notify(f"{path.name}: opening in a new tab", timeout=3)
