"""The screens' reads off the event loop (issue 26, 4): ui/reader.py, and the main screen's
sync from other instances through it. A real SQLite store and the real app under Pilot."""

from __future__ import annotations

import threading
import time
from typing import Any

from director_tui.core import review
from director_tui.core.models import Asset, Segment
from director_tui.ui.app import make_app
from tests.conftest import SIZE, cell, segs, settled, wait_for


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
        await settled(pilot, app)
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


async def test_no_screen_reads_the_store_on_the_loop(store, settings, reviewed, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 26, 4: every read a screen makes runs in a worker thread. The store's read() notes
    each call made on the loop's thread from ui/ code while a director goes through the
    screens: the table, the version pane, the review screen (stepping, asset, a pick), compare,
    presets, tasks, the timeline, metrics, mentions, trust, a comment with @, :restore and
    :presets export. Before this change ten of them read on the loop."""
    import traceback
    from pathlib import Path

    from director_tui.ui.screens.compare import CompareScreen
    from director_tui.ui.screens.main import MainScreen
    from director_tui.ui.screens.presets import PresetsScreen
    from director_tui.ui.screens.review import ReviewScreen

    on_loop: list[str] = []
    real_read = type(store).read
    loop_thread = threading.main_thread()

    def noting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if threading.current_thread() is loop_thread:
            frames = [f for f in traceback.extract_stack()[:-1] if "/director_tui/ui/" in f.filename]
            if frames:
                on_loop.append(f"{Path(frames[-1].filename).name}:{frames[-1].lineno} {frames[-1].name}")
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(type(store), "read", noting)
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.store is not None and app.main_screen.live.change_token != -1, timeout=10)
        await pilot.press("j", "j", "v", "v", "k")  # the version pane, on and off, moving
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), timeout=5)
        await pilot.press("n", "l", "h", "p", "m")  # step, asset and back, back, a pick
        await pilot.press("C")  # compare with the previous version (or say there is none)
        await settled(pilot, app)
        if isinstance(app.screen, CompareScreen):
            await wait_for(pilot, lambda: app.screen.sides is not None, timeout=10)
            await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), timeout=5)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout=5)
        await pilot.press("g", "j", "j", "j", "j", "C")  # segment 5: rejected then a v2 made, two to compare
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), timeout=5)
        await wait_for(pilot, lambda: app.screen.sides is not None, timeout=10)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout=5)
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, PresetsScreen), timeout=5)
        await pilot.press("escape")
        for key in ("T", "t", "M", "at"):  # tasks, timeline, metrics, mentions
            await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout=5)
            await pilot.press(key)
            await wait_for(pilot, lambda: not isinstance(app.screen, MainScreen), timeout=5)
            await settled(pilot, app)
            await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout=5)
        await pilot.press("c", *"for @an", "escape")
        await pilot.press("colon", *"trust", "enter")
        await settled(pilot, app)
        await pilot.press("colon", *"restore 1 9", "enter")
        await pilot.press("colon", *f"presets export {settings.home / 'presets.toml'}", "enter")
        await wait_for(pilot, lambda: (settings.home / "presets.toml").exists(), timeout=10)
        await app.reader.idle()
        await app.writer.idle()
    assert on_loop == []


def _burst(app, *keys: str) -> None:  # type: ignore[no-untyped-def]
    """Keys as one read of the terminal delivers them (a paste, tmux send-keys, a laggy SSH
    link): all in the app's queue before the first has run; Pilot's press waits between keys."""
    from textual import events

    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_keys_typed_before_a_screen_has_drawn_its_read_act_on_it(store, settings, reviewed) -> None:  # type: ignore[no-untyped-def]
    """`P j space` in one burst chooses the second preset, and `C f` flickers, as typed: the
    screens read off the loop, and the keys after the one that opened them wait for their
    first draw (FirstDraw in ui/key_router.py). Before, `j` and `space` found an empty table
    and were lost, and `f` found no versions to flicker."""
    from director_tui.ui.screens.compare import CompareScreen
    from director_tui.ui.screens.main import MainScreen
    from director_tui.ui.screens.presets import PresetsScreen

    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.store is not None and app.main_screen.live.change_token != -1, timeout=10)
        first = app.main_screen.table.current.id
        _burst(app, "P", "j", "space")
        await wait_for(pilot, lambda: isinstance(app.screen, PresetsScreen) and bool(app.screen.chosen), timeout=10)
        screen = app.screen
        order = [int(str(key.value)) for key in screen.query_one("DataTable").rows]
        assert screen.chosen == {order[1]} and screen.segment_ids == [first]
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout=5)
        await pilot.press("g", "j", "j", "j", "j")  # segment 5: two keyframe versions
        _burst(app, "C", "f")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.flicker_on == "A",
                       timeout=10)
        assert not app.screen.query_one("#compare-pair").display
