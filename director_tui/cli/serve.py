"""`director-tui serve [STREAM]`: the same app in a browser (textual-serve), each tab its
own `director-tui open` process on the shared workspace, so decisions sync between tabs
and terminals as between two terminals. Without STREAM the first page lists the
workspace's streams; `/?stream=SLUG` (a link there) picks one for this browser.

Nobody gets in without the token: `/?token=…` (the URL printed at start) sets an HttpOnly,
SameSite=Strict cookie and redirects to `/` (the token leaves the address bar and the
history); every other request, the websocket above all, needs that cookie, and the
websocket's Origin must be this server (no page elsewhere can drive a tab). The port is on
loopback unless `--host` names another interface. Each tab's process is started with an
argv (never a shell) and without the token in its environment.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import secrets
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from director_tui.cli.common import app, complete_stream, fail, find_stream, settings, store_for

COOKIE = "director_serve"
STREAM_COOKIE = "director_stream"
TOKEN_ENV = "DIRECTOR_SERVE_TOKEN"


def app_argv(home: Path, stream: str) -> list[str]:
    """What each browser tab runs: this program's `open`, on this workspace. The store's URL
    (a password in it, often) is not in it: an argv is readable by every account in `ps`;
    it goes in the tab's environment (`tab_env`), which only this account can read."""
    return [sys.executable, "-m", "director_tui", "--home", str(home), "open", stream]


def tab_env(store: str | None) -> dict[str, str]:
    """What each tab's environment adds: the store's URL, when it is not the workspace's file."""
    return {"DIRECTOR_STORE": store} if store else {}


def stream_page(streams: list[dict[str, Any]]) -> str:
    """The first page when no stream is chosen: the workspace's streams, each a link."""
    from html import escape

    rows = "".join(f'<li><a href="/?stream={escape(r["slug"])}">{escape(r["title"] or r["slug"])}</a> '
                   f'<small>({escape(r["slug"])}: {r["segments"]} segment{"" if r["segments"] == 1 else "s"}, keyframes '
                   f'{r["keyframes_approved"]}/{r["segments"]}, videos {r["videos_approved"]}/{r["segments"]})'
                   f'</small></li>' for r in streams)
    return ("<!doctype html><meta charset=utf-8><title>director-tui</title>"
            "<body style='font-family:sans-serif;background:#1e1e1e;color:#ddd;padding:2em'>"
            "<h1>director-tui</h1><p>Which stream?</p><ul>" + (rows or "<li>no streams yet</li>") + "</ul>")


def make_server(argv_for: Any, *, host: str, port: int, token: str, title: str, public_url: str | None = None,
                child_env: dict[str, str] | None = None,
                default_stream: str | None = None, streams: Any = None, exists: Any = None) -> Any:
    """A textual-serve Server that lets in only who has `token` and starts `argv_for(stream)`
    per tab: `default_stream`, or the one this browser picked (`streams()` lists them for
    the first page, `exists(slug)` checks a pick)."""
    from aiohttp import web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server, log

    class ExecAppService(AppService):
        """textual-serve's service, starting the app from an argv: no shell, no token."""

        def __init__(self, argv: list[str], **kwargs: Any) -> None:
            super().__init__(shlex.join(argv), **kwargs)
            self.argv = argv

        async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
            env = self._build_environment(width=width, height=height)
            env.pop(TOKEN_ENV, None)
            env.update(child_env or {})
            self._process = process = await asyncio.create_subprocess_exec(
                *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=env)
            assert process.stdin is not None
            self._stdin = process.stdin
            return process

    def has_token(value: str | None) -> bool:
        return value is not None and hmac.compare_digest(value.encode(), token.encode())

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/static/"):  # textual's page scripts and fonts: nothing of ours
            return await handler(request)
        secure = (public_url or "").startswith("https://")
        if request.path == "/" and has_token(request.query.get("token")):
            response = web.HTTPFound("/" + (f"?stream={request.query['stream']}" if "stream" in request.query else ""))
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/", secure=secure)
            raise response
        if not has_token(request.cookies.get(COOKIE)):
            raise web.HTTPForbidden(text="director-tui serve: open the URL `director-tui serve` printed "
                                         "(it ends in ?token=…); this browser has not been let in\n")
        if request.path == "/" and "stream" in request.query:  # this browser's stream, from now on
            slug = request.query["stream"]
            if not valid_stream(slug):
                raise web.HTTPNotFound(text=f"director-tui serve: no stream {slug!r} here\n")
            response = web.HTTPFound("/")
            response.set_cookie(STREAM_COOKIE, slug, httponly=True, samesite="Strict", path="/", secure=secure)
            raise response
        if request.path == "/ws":
            origin = request.headers.get("Origin")
            allowed = {request.host}
            if public_url:
                allowed.add(urlsplit(public_url).netloc)
            if origin is not None and urlsplit(origin).netloc not in allowed:
                raise web.HTTPForbidden(text="director-tui serve: a page from elsewhere may not drive the app\n")
        return await handler(request)

    def valid_stream(slug: str) -> bool:
        from director_tui.core.spec import SpecError, check_slug

        try:
            check_slug(slug)
        except SpecError:
            return False
        return exists is None or bool(exists(slug))

    def chosen(request: web.Request) -> str | None:
        picked = request.cookies.get(STREAM_COOKIE)
        return picked if picked and valid_stream(picked) else default_stream

    open_tabs: set[web.WebSocketResponse] = set()

    class GuardedServer(Server):
        async def on_shutdown(self, web_app: web.Application) -> None:
            """ctrl+c: every tab's websocket is closed at once, so each handler's `finally`
            ends its app (drafts saved, tasks back on the queue) side by side. Left open,
            aiohttp waited for the browser and then stopped the tabs one after another:
            21 s with two tabs."""
            await asyncio.gather(*(ws.close(code=1001, message=b"server stopping") for ws in list(open_tabs)),
                                 return_exceptions=True)

        async def handle_index(self, request: web.Request) -> Any:
            if chosen(request) is None:  # which stream? a page of links
                return web.Response(text=stream_page(streams() if streams else []), content_type="text/html")
            return await super().handle_index(request)

        async def _make_app(self) -> web.Application:
            web_app = await super()._make_app()
            web_app.middlewares.append(guard)
            return web_app

        async def on_startup(self, web_app: web.Application) -> None:
            shown = self.public_url.rstrip("/")
            self.console.print(f"director-tui serve: {title}", highlight=False)
            self.console.print(f"open {shown}/?token={token}", highlight=False, soft_wrap=True)
            if host in ("127.0.0.1", "localhost", "::1"):
                self.console.print(f"from your machine: ssh -L {port}:127.0.0.1:{port} THIS_HOST, then the URL "
                                   "above", highlight=False)
            self.console.print("ctrl+c stops it (each open tab's app ends with it)", highlight=False)

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            """textual-serve's handler, with the service above."""
            websocket = web.WebSocketResponse(heartbeat=15)
            stream = chosen(request)
            if stream is None:
                raise web.HTTPNotFound(text="director-tui serve: no stream chosen (open / first)\n")
            width = max(20, min(500, _int(request.query.get("width"), 80)))
            height = max(10, min(300, _int(request.query.get("height"), 24)))
            service: AppService | None = None
            try:
                await websocket.prepare(request)
                open_tabs.add(websocket)
                service = ExecAppService(argv_for(stream), write_bytes=websocket.send_bytes,
                                         write_str=websocket.send_str, close=websocket.close,
                                         download_manager=self.download_manager, debug=self.debug)
                await service.start(width, height)
                try:
                    await self._process_messages(websocket, service)
                finally:
                    await service.stop()
            except asyncio.CancelledError:
                await websocket.close()
            except Exception as error:  # one tab's trouble: logged, the server goes on
                log.exception(error)
            finally:
                open_tabs.discard(websocket)
                if service is not None:
                    await service.stop()
            return websocket

    return GuardedServer(shlex.join(argv_for(default_stream or "STREAM")), host=host, port=port, title=title,
                         public_url=public_url)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


@app.command()
def serve(
    stream: Annotated[str | None, typer.Argument(help="The stream every tab opens (default: each browser picks one "
                                                 "from a list).", autocompletion=complete_stream)] = None,
    host: Annotated[str, typer.Option("--host", help="The interface to listen on; another than 127.0.0.1 opens "
                                      "the port to others (put it behind the studio's proxy).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="The port.", min=1, max=65535)] = 8000,
    public_url: Annotated[str | None, typer.Option("--public-url", help="The address browsers use, when a reverse "
                                                   "proxy serves it (https://review.studio.example/).")] = None,
) -> None:
    """Serve the review app to browsers (each tab its own app on this workspace); a token lets them in."""
    from director_tui.core.overview import stream_row
    from director_tui.core.store.sql import as_reader
    from director_tui.core.streams import list_streams

    try:
        import textual_serve  # noqa: F401  (an extra: only this command needs it)
    except ImportError:
        raise fail("serve needs textual-serve, which is not installed: pip install 'director-tui[serve]'") from None
    s = settings()
    store = store_for(s)
    if stream is not None:
        find_stream(store, stream)  # exit 2 naming it now, not in each tab
    token = os.environ.get(TOKEN_ENV) or s.serve_token or secrets.token_urlsafe(24)
    if len(token) < 16:
        raise fail(f"the serve token ({TOKEN_ENV} or serve_token in the config) is shorter than 16 characters")
    if public_url is not None and not public_url.startswith(("http://", "https://")):
        raise fail(f"--public-url: {public_url!r} is not an http:// or https:// address")

    def streams() -> list[dict[str, Any]]:
        with store.read() as session:
            return list_streams(session)

    def exists(slug: str) -> bool:  # each tab's pick, checked by one indexed lookup
        with store.read() as session:
            return stream_row(as_reader(session), slug) is not None

    server = make_server(lambda slug: app_argv(s.home, slug), host=host, port=port, token=token, child_env=tab_env(s.store),
                         title=f"director-tui · {stream or s.home}", public_url=public_url, default_stream=stream,
                         streams=streams, exists=exists)
    try:
        server.serve()
    except OSError as exc:  # the port taken, the address not this machine's
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 1) from None
    finally:
        store.dispose()
