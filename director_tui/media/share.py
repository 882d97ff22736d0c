""""Send to my machine": a version (or a compare pair) served over HTTP on this machine's
loopback, at full quality, under a fresh token, so a director working over SSH opens it in
their own player or browser through a forwarded port (`ssh -L PORT:127.0.0.1:PORT host`).

One share at a time: a new one revokes the last; a share lasts SHARE_TTL_S; the server
lives on the app's event loop and ends with it. Files are served with range requests
(players seek), read-only, from the paths given, never from a path in the request.
"""

from __future__ import annotations

import html
import mimetypes
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PORT = 8765  # a fixed port: a LocalForward in ~/.ssh/config keeps working
SHARE_TTL_S = 4 * 3600


@dataclass(frozen=True)
class Shared:
    token: str
    files: list[tuple[str, Path]]  # (label, file), in the order shown
    created: float

    def alive(self, now: float) -> bool:
        return now - self.created < SHARE_TTL_S


class ShareServer:
    """The loopback server; `share(files)` returns the URL of the newest share."""

    def __init__(self, port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> None:
        self.host, self.wanted_port = host, port
        self.port: int | None = None
        self.current: Shared | None = None
        self._runner: Any = None

    async def start(self) -> None:
        """Listen (the wanted port, else any free one); idempotent."""
        if self._runner is not None:
            return
        from aiohttp import web

        app = web.Application()
        app.add_routes([web.get("/{token}/", self._page), web.get("/{token}/{index}", self._file)])
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for port in (self.wanted_port, 0):
            try:
                site = web.TCPSite(runner, self.host, port)
                await site.start()
            except OSError:
                continue
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self._runner = runner
            return
        await runner.cleanup()
        raise OSError(f"cannot listen on {self.host}")

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def share(self, files: list[tuple[str, Path]]) -> str:
        self.current = Shared(secrets.token_urlsafe(18), list(files), time.monotonic())
        return f"http://{self.host}:{self.port}/{self.current.token}/"

    def _shared(self, token: str) -> Shared:
        from aiohttp import web

        shared = self.current
        if shared is None or not secrets.compare_digest(token, shared.token) or not shared.alive(time.monotonic()):
            raise web.HTTPNotFound(text="nothing is shared under this address (any more): press O again\n")
        return shared

    async def _page(self, request: Any) -> Any:
        from aiohttp import web

        shared = self._shared(request.match_info["token"])
        parts = []
        for i, (label, path) in enumerate(shared.files):
            kind = (mimetypes.guess_type(path.name)[0] or "").split("/")[0]
            src = f"{i}"
            media = (f'<video src="{src}" controls loop style="max-width:100%"></video>' if kind == "video"
                     else f'<img src="{src}" style="max-width:100%">')
            parts.append(f'<figure style="flex:1;margin:0 1em"><figcaption>{html.escape(label)} · '
                         f'<a href="{src}" download="{html.escape(path.name)}">the file</a></figcaption>{media}</figure>')
        body = ("<!doctype html><meta charset=utf-8><title>director-tui</title>"
                "<body style='background:#111;color:#ddd;font-family:sans-serif'>"
                f"<div style='display:flex'>{''.join(parts)}</div>")
        return web.Response(text=body, content_type="text/html")

    async def _file(self, request: Any) -> Any:
        from aiohttp import web

        shared = self._shared(request.match_info["token"])
        index = request.match_info["index"]
        if not index.isdigit() or int(index) >= len(shared.files):
            raise web.HTTPNotFound()
        path = shared.files[int(index)][1]
        if not path.is_file():
            raise web.HTTPGone(text="the file is no longer there\n")
        return web.FileResponse(path)  # ranges, content type, conditional requests


def forward_hint(port: int) -> str:
    return f"ssh -L {port}:127.0.0.1:{port} THIS_HOST"
