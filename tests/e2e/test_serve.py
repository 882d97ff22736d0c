"""`director-tui serve` in a real browser: Debian's chromium driven by playwright (its
executable_path set to it; no browser is ever downloaded). The page is let in by the
token, keys pressed in it make a decision that lands in the store; every request without
the token is refused, and a websocket from a page elsewhere too. Each tab is its own app."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from director_tui.core.models import Review, Segment

TOKEN = "test-token-0123456789abcdef"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tabs_running(home: Path) -> int:
    """`director-tui open` processes the server started on this workspace (one per tab)."""
    count = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(home).encode() in argv and b"open" in argv and b"-m" in argv:
            count += 1
    return count


def start_server(home: Path, *args: str, before: tuple[str, ...] = ()) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {**os.environ, "DIRECTOR_SERVE_TOKEN": TOKEN, "DIRECTOR_HOME": str(home)}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("director-tui")), *before, "serve", *args,
                             "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if line.startswith("open http://"):
            break
    else:
        proc.kill()
        raise AssertionError("".join(lines))
    assert line.strip() == f"open http://127.0.0.1:{port}/?token={TOKEN}"
    while time.monotonic() < deadline:  # said at start-up, just before the port listens
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture
def server(home: Path, film) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """`serve film`: every tab opens the film."""
    proc, url = start_server(home, "film")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_without_the_token_nothing_is_served(server: str) -> None:
    import aiohttp

    async def probe() -> list[int]:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # an IP host
            codes = []
            for path in ("/", "/?token=wrong", "/ws", "/download/x"):
                async with http.get(server + path, allow_redirects=False) as r:
                    codes.append(r.status)
            async with http.get(server + f"/?token={TOKEN}", allow_redirects=False) as r:
                codes.append(r.status)  # let in: a cookie, and back to / without the token
                assert r.headers["Location"] == "/" and "HttpOnly" in r.headers["Set-Cookie"]
            async with http.get(server + "/") as r:
                codes.append(r.status)
            try:  # a page on another site opening the websocket with the cookie: refused
                async with http.ws_connect(server + "/ws", headers={"Origin": "http://evil.example"}):
                    codes.append(101)
            except aiohttp.WSServerHandshakeError as exc:
                codes.append(exc.status)
            return codes

    assert asyncio.run(probe()) == [403, 403, 403, 403, 302, 200, 403]


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="no chromium here; .ci/run installs it")
def test_a_browser_tab_reviews_and_the_decision_is_in_the_store(server: str, store, home: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None, "CI has no chromium: .ci/run installs it (apt-get install chromium)"
    first = segs_first(store)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            refused = browser.new_page()
            assert refused.goto(server + "/").status == 403  # no token, no app
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(server + f"/?token={TOKEN}")
            assert page.url == server + "/"  # the token is out of the address bar
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not approved(store, first):
                page.mouse.click(640, 400)  # the terminal takes keys once it has the focus, as for a person
                page.keyboard.press("Space")  # lost until the tab's app is up; then one approval
                page.wait_for_timeout(1000)
            assert approved(store, first), "space in the browser tab did not approve segment 1"
            with page.context.expect_page(timeout=20_000) as opened:  # `o`: the picture in a new tab
                page.keyboard.press("o")
            picture = opened.value
            picture.wait_for_load_state()
            assert "/download/" in picture.url
            assert picture.evaluate("document.contentType") == "image/png"
            picture.close()
            other = browser.new_page()
            other.goto(server + f"/?token={TOKEN}")
            wait_until(lambda: tabs_running(home) == 2)  # a tab, an app
            other.close()
            page.close()
            wait_until(lambda: tabs_running(home) == 0)  # a closed tab ends its app
        finally:
            browser.close()
    with store.read() as s:
        review = s.execute(select(Review).where(Review.segment_id == first)).scalars().first()
    assert review is not None and review.reviewer == "tester" and review.decision == "approved"


def segs_first(store) -> int:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return int(s.execute(select(Segment.id).where(Segment.position == 1)).scalar_one())


def approved(store, segment_id: int) -> bool:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return s.get(Segment, segment_id).keyframe_state == "approved"  # type: ignore[union-attr]


def wait_until(condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_without_a_stream_each_browser_picks_one(home: Path, film, make_stream) -> None:  # type: ignore[no-untyped-def]
    import aiohttp

    make_stream(n=1, slug="teaser")
    proc, server = start_server(home)

    async def browse() -> list[object]:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            seen: list[object] = []
            async with http.get(server + f"/?token={TOKEN}") as r:  # let in, then the list
                page = await r.text()
                seen.append(('href="/?stream=film"' in page, 'href="/?stream=teaser"' in page))
            for bad in ("../x", "nope", "x y"):
                async with http.get(server + "/", params={"stream": bad}, allow_redirects=False) as r:
                    seen.append(r.status)
            async with http.get(server + "/?stream=teaser", allow_redirects=False) as r:
                seen.append((r.status, r.headers["Location"]))
            async with http.get(server + "/") as r:  # now the app's page, its websocket for teaser
                seen.append("app_websocket_url" in await r.text() or "/ws" in await r.text())
            return seen

    try:
        assert asyncio.run(browse()) == [(True, True), 404, 404, 404, (302, "/"), True]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_tab_never_has_the_stores_password_in_its_argv(postgres_url: str, tmp_path: Path) -> None:
    """Issue 25: every tab's argv had `--store postgresql://studio:<password>@…`, which every
    account on the server reads in `ps`. The URL goes in the tab's environment instead."""
    import aiohttp

    from director_tui.core.spec import create_stream, validate_spec
    from director_tui.core.store import open_store
    from tests.conftest import spec_dict
    from tests.postgres_cluster import PASSWORD, PASSWORD_ROLE, create_database

    home = tmp_path / "ws"
    home.mkdir()
    url = create_database(postgres_url, "serve_secret")
    db, sock = url.split("/")[3].split("?")[0], postgres_url.split("host=")[1]
    secret_url = f"postgresql://{PASSWORD_ROLE}:{PASSWORD}@/{db}?host={sock}"
    store = open_store(home, secret_url)
    with store.write() as s:
        create_stream(s, validate_spec(spec_dict(1)), "tester")
    store.dispose()
    proc, server = start_server(home, "film", before=("--store", secret_url))

    async def open_tab() -> list[tuple[bytes, bytes]]:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(server + f"/?token={TOKEN}") as r:
                assert r.status == 200
            async with http.ws_connect(server + "/ws", headers={"Origin": server}) as ws:
                await ws.send_json(["resize", {"width": 80, "height": 24}])
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    found = _tabs(home)
                    if found:
                        await asyncio.sleep(1.0)  # and its own children, had it any
                        return _tabs(home)
                    await asyncio.sleep(0.1)
        return []

    try:
        tabs = asyncio.run(open_tab())
        assert tabs, "no tab started"
        for argv, environ in tabs:
            assert PASSWORD.encode() not in argv, argv
            assert f"DIRECTOR_STORE={secret_url}".encode() in environ.split(b"\0")  # where it goes instead
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _tabs(home: Path) -> list[tuple[bytes, bytes]]:
    """(argv, environment) of each tab process on this workspace."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes()
                if str(home).encode() in argv.split(b"\0") and b"open" in argv.split(b"\0"):
                    found.append((argv, Path(f"/proc/{pid}/environ").read_bytes()))
            except OSError:
                continue
    return found


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="no chromium here; .ci/run installs it")
def test_ctrl_c_with_tabs_open_stops_serve_and_every_tab_at_once(home: Path, film) -> None:  # type: ignore[no-untyped-def]
    """Two tabs open, then SIGINT (ctrl+c): aiohttp waited for the browsers to hang up and
    then stopped the tabs one after another (21 s measured); the tabs' websockets are now
    closed together at shutdown and each app ends as a closed tab's does."""
    import signal

    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None, "CI has no chromium: .ci/run installs it (apt-get install chromium)"
    proc, url = start_server(home, "film")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                for _ in range(2):
                    browser.new_page(viewport={"width": 1280, "height": 800}).goto(url + f"/?token={TOKEN}")
                wait_until(lambda: tabs_running(home) == 2)
                started = time.monotonic()
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=60)
                wait_until(lambda: tabs_running(home) == 0)
                took = time.monotonic() - started
            finally:
                browser.close()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode is not None and took < 8, f"serve took {took:.1f} s to stop with two tabs open"
