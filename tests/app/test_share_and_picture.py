""""Send to my machine" (`O`): the version served on loopback under a fresh token, with
ranges (players seek), the last share closed by the next, nothing without the token; in
the compare screen both versions on one page. And the picture beside the table (`i`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import aiohttp
from sqlalchemy import select

from director_tui.core.models import Segment, Version
from director_tui.ui.app import make_app
from tests.conftest import SIZE, wait_for


def shares(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(n.message) for n in app._notifications if n.title == "send to my machine"]


async def test_O_serves_the_version_on_loopback_under_a_fresh_token(store, settings, film, home) -> None:  # type: ignore[no-untyped-def]
    with store.write() as s:  # segment 2 gets a second keyframe, to compare with its first
        seg = s.execute(select(Segment).where(Segment.position == 1)).scalar_one()
        path = home / "media" / s.get(Version, seg.keyframe_version_id).path
        two = s.execute(select(Segment).where(Segment.position == 2)).scalar_one()
        v1 = s.get(Version, two.keyframe_version_id)
        copy = Path(v1.path).with_name("keyframe-v002.png")
        shutil.copyfile(home / "media" / v1.path, home / "media" / copy)
        v2 = Version(segment_id=two.id, asset="keyframe", number=2, path=str(copy), prompt="p", seed=2,
                     generator="g", width=v1.width, height=v1.height, size_bytes=v1.size_bytes, checksum=v1.checksum)
        s.add(v2)
        s.flush()
        two.keyframe_version_id = v2.id
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("O")
        await wait_for(pilot, lambda: bool(shares(app)), timeout=10)
        note = shares(app)[-1]
        url = note.split(": ", 1)[1].split(" ", 1)[0]
        assert url.startswith("http://127.0.0.1:") and "ssh -L " in note and "#1 keyframe v1" in note
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as r:
                assert r.status == 200 and '<img src="0"' in await r.text()
            async with http.get(url + "0", headers={"Range": "bytes=0-7"}) as r:
                assert r.status == 206 and await r.read() == path.read_bytes()[:8]
            async with http.get(url + "0") as r:
                assert r.status == 200 and await r.read() == path.read_bytes()
            for bad in (url.replace(url.split("/")[3], "x" * 24), url + "1", url + "../director.db"):
                async with http.get(bad) as r:
                    assert r.status == 404, bad
            await pilot.press("j", "O")  # the next share closes this one
            await wait_for(pilot, lambda: len(shares(app)) == 2, timeout=10)
            async with http.get(url) as r:
                assert r.status == 404
            second = shares(app)[-1].split(": ", 1)[1].split(" ", 1)[0]
            async with http.get(second) as r:
                assert r.status == 200
            await pilot.press("C")  # compare: both on one page
            await wait_for(pilot, lambda: getattr(app.screen, "sides", None) is not None, timeout=10)
            await pilot.press("O")
            await wait_for(pilot, lambda: len(shares(app)) == 3, timeout=10)
            assert " and " in shares(app)[-1]
            pair = shares(app)[-1].split(": ", 1)[1].split(" ", 1)[0]
            async with http.get(pair) as r:
                page = await r.text()
                assert '<img src="0"' in page and '<img src="1"' in page
    async with aiohttp.ClientSession() as http:  # the app is gone: so is the server
        try:
            async with http.get(second) as r:
                status = r.status
        except aiohttp.ClientConnectionError:
            status = None
    assert status is None


async def test_i_shows_the_picture_beside_the_table_and_follows_the_cursor(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    from director_tui.ui.widgets.preview import Preview

    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        assert not app.screen.query("#picture-pane")  # not even made until asked: the first frame is lighter
        await pilot.press("i")
        await pilot.pause()
        pane = app.screen.query_one("#picture-pane", Preview)

        def caption() -> str:
            return str(pane.query_one(".preview-caption").render())

        await wait_for(pilot, lambda: caption() == "#1 Shot 1 — keyframe v1" and bool(pane.query(".preview-image")),
                       timeout=10)
        await pilot.press("j", "j")
        await wait_for(pilot, lambda: caption() == "#3 Shot 3 — keyframe v1", timeout=10)
        await pilot.press("l")  # the video column: no clip yet
        await wait_for(pilot, lambda: caption() == "#3 Shot 3 — video none yet" and not pane.query(".preview-image"),
                       timeout=10)
        await pilot.press("i")
        assert not pane.display
