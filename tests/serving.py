"""Serving a stand-in (an aiohttp app) on 127.0.0.1 in a thread with its own event loop, as
the tests' ComfyUI and Replicate stand-ins do, and running one by hand."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web


@dataclass
class Served:
    url: str
    kill: Callable[[], None]  # stop serving at once (a server lost mid-run); also done at the end


@contextlib.contextmanager
def served(app: web.Application, started: Callable[[asyncio.AbstractEventLoop], None] | None = None,
           stopping: Callable[[], Awaitable[None]] | None = None) -> Iterator[Served]:
    """`app` on a free port until the block ends. `started(loop)` runs on its loop once it
    listens (background tasks start there); `stopping()` runs there before it closes."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: list[tuple[web.AppRunner, str]] = []

    async def start() -> None:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        box.append((runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"))  # type: ignore[union-attr]
        if started is not None:
            started(loop)
        ready.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True)
    thread.start()
    ready.wait(10)
    stopped: list[bool] = []

    async def stop() -> None:
        if stopping is not None:
            await stopping()
        await box[0][0].cleanup()

    def kill() -> None:
        if not stopped:
            stopped.append(True)
            asyncio.run_coroutine_threadsafe(stop(), loop).result(10)

    try:
        yield Served(box[0][1], kill)
    finally:
        kill()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def serve_by_hand(running: Callable[[Path, float], contextlib.AbstractContextManager[Any]], name: str) -> None:
    """`python -m tests.<stand-in> [ROOT] [STEP_S]`: serve until killed (trying the app by
    hand); the URL is printed and written to ROOT/url."""
    import sys

    root = Path(sys.argv[1] if len(sys.argv) > 1 else name)
    root.mkdir(parents=True, exist_ok=True)
    with running(root, float(sys.argv[2]) if len(sys.argv) > 2 else 0.3) as standin:
        (root / "url").write_text(standin.url, encoding="utf-8")
        print(standin.url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
