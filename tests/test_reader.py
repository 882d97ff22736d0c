"""The screens' reads off the event loop (issue 26, 4): ui/reader.py, and the main screen's
sync from other instances through it. A real SQLite store and the real app under Pilot."""

from __future__ import annotations

import threading
import time
from typing import Any

from director_tui.core import review
from director_tui.core.models import Asset, Segment
from director_tui.ui.app import make_app
from tests.conftest import SIZE, cell, segs, wait_for

TIER = "app"


async def test_a_newer_read_of_a_group_wins_over_a_slower_older_one(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    applied: list[str] = []

    def slow(s: Any) -> str:
        time.sleep(0.5)  # a studio server's slow answer
        return "older"

    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.store is not None, timeout=10)
        assert app.reader.read("g", slow, applied.append)
        assert app.reader.read("g", lambda s: "newer", applied.append)
        assert app.reader.read("other", lambda s: s.get(Segment, segs(store)[0].id).title, applied.append)
        await app.reader.idle()
        assert sorted(applied) == ["Shot 1", "newer"]  # the older answer of "g" came last and was dropped


async def test_the_main_screens_sync_reads_in_a_worker_thread(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    """Before: the sync's reads ran on the event loop (a network round trip per sync on a
    studio's PostgreSQL, with every key waiting behind it)."""
    s2 = segs(store)[1]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.main_screen.live.change_token != -1, timeout=10)
        await pilot.pause(0.3)
        loop_thread = threading.current_thread()
        threads: list[threading.Thread] = []
        read = store.read

        def recording_read():  # type: ignore[no-untyped-def]
            threads.append(threading.current_thread())
            return read()

        store.read = recording_read  # the real read, with who called it noted
        try:
            with store.write() as s:
                review.approve(s, s2.id, Asset.KEYFRAME, "colleague")
            await wait_for(pilot, lambda: "approved" in cell(app, s2.id, "keyframe"), timeout=5)
        finally:
            del store.read
        assert threads and loop_thread not in threads, threads


async def test_the_latest_variations_grid_opens_once_its_group_is_read(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    from director_tui.ui.screens.variations import VariationScreen

    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.store is not None, timeout=10)
        await pilot.press("A")  # none yet: said, nothing opens
        await wait_for(pilot, lambda: any("has no keyframe variations" in str(n.message) for n in app._notifications),
                       timeout=5)
        await pilot.press("a")  # variations queued: their grid opens
        await wait_for(pilot, lambda: isinstance(app.screen, VariationScreen), timeout=10)
        group = app.screen.group
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main_screen, timeout=5)
        await pilot.press("A")  # the same grid again, read off the loop
        await wait_for(pilot, lambda: isinstance(app.screen, VariationScreen) and app.screen.group == group, timeout=5)


async def test_the_review_screen_finds_its_picture_off_the_loop(store, settings, film, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Before: the review screen found its picture on the loop: a store read, and for a clip
    ffmpeg taking a still (compare.load_side). Its callers are noted here, the real one runs."""
    from director_tui.ui.screens import compare
    from director_tui.ui.screens.review import ReviewScreen
    from director_tui.ui.widgets.preview import Preview

    callers: list[threading.Thread] = []
    real = compare.load_side

    def noting(app, version_id):  # type: ignore[no-untyped-def]
        callers.append(threading.current_thread())
        return real(app, version_id)

    monkeypatch.setattr(compare, "load_side", noting)
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.store is not None, timeout=10)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), timeout=5)
        preview = app.screen.query_one("#review-picture", Preview)
        await wait_for(pilot, lambda: preview._path is not None, timeout=5)  # the keyframe shown
        assert callers and threading.main_thread() not in callers, callers
