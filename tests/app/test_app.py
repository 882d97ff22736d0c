"""The real app, driven by Pilot, on a real workspace with the real procedural generator."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from director_tui.core.models import Asset, AssetState, Comment, Segment, Task, TaskState, Version
from director_tui.ui.app import make_app
from director_tui.ui.screens.help import HelpScreen
from director_tui.ui.widgets.segment_table import SegmentTable
from director_tui.ui.widgets.version_pane import VersionPane
from tests.conftest import SIZE, cell, segs, settled, wait_for


async def test_moves_with_vim_keys_and_arrows(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(SegmentTable)
        assert table.row_count == 4 and table.cursor_row == 0
        for key, row in (("j", 1), ("down", 2), ("k", 1), ("n", 2), ("p", 1), ("G", 3), ("g", 0),
                         ("end", 3), ("home", 0)):
            await pilot.press(key)
            assert table.cursor_row == row, key
        assert app.main_screen.asset == Asset.KEYFRAME
        await pilot.press("l")
        assert app.main_screen.asset == Asset.VIDEO and "▸ Video" in str(table.columns["video"].label)
        await pilot.press("h")
        assert app.main_screen.asset == Asset.KEYFRAME


async def test_space_approves_and_jumps_to_next_needing_review(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1, s2, s3, s4 = segs(store)
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(SegmentTable)
        await pilot.press("j", "space")  # approve segment 2
        assert table.cursor_row == 2
        assert "approved" in cell(app, s2.id, "keyframe")
        await pilot.press("space", "space")  # 3 and 4, then wraps to 1
        assert table.cursor_row == 0
        await pilot.press("space")
        assert "approved" in cell(app, s1.id, "keyframe")
        assert "Keyframes ██████████ 4/4" in str(app.main_screen.query_one("#status").render())
    states = [(s.keyframe_state, s.video_state) for s in segs(store)]
    assert states == [(AssetState.APPROVED, AssetState.NONE)] * 4


async def test_reject_then_regenerate_runs_the_generator_live(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1 = segs(store)[0]
    app = make_app(settings, store, "film")  # with the runner
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        assert "rejected" in cell(app, s1.id, "keyframe")
        await pilot.press("r")
        with store.read() as s:
            task = s.execute(select(Task).where(Task.segment_id == s1.id).order_by(Task.id.desc())).scalars().first()
            assert task.requested_by == "tester" and task.state in (TaskState.QUEUED, TaskState.RUNNING, TaskState.SUCCEEDED)
        await wait_for(pilot, lambda: "v2" in cell(app, s1.id, "keyframe"))
        assert "review" in cell(app, s1.id, "keyframe")
        assert cell(app, s1.id, "progress") == ""
    with store.read() as s:
        numbers = sorted(v.number for v in s.execute(
            select(Version).where(Version.segment_id == s1.id)).scalars())
        assert numbers == [1, 2]
        first = s.execute(select(Version).where(Version.segment_id == s1.id, Version.number == 1)).scalar_one()
        assert first.decision == "rejected"


async def test_approving_a_keyframe_queues_its_video_and_regenerating_makes_it_stale(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    settings.auto_queue_video = True
    s1 = segs(store)[0]
    app = make_app(settings, store, "film")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_for(pilot, lambda: "v1" in cell(app, s1.id, "video"))
        await pilot.press("g", "r")  # regenerate the approved keyframe
        assert "stale" in cell(app, s1.id, "video")
        await wait_for(pilot, lambda: "v2" in cell(app, s1.id, "keyframe"))
    with store.read() as s:
        seg = s.get(Segment, s1.id)
        video = s.get(Version, seg.video_version_id)
        assert seg.video_state == AssetState.STALE
        assert video.reference_version_id != seg.keyframe_version_id


async def test_video_needs_an_approved_keyframe(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l", "r")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("approve a keyframe before generating its video" in m for m in messages)
    with store.read() as s:
        assert s.execute(select(Task).where(Task.asset == Asset.VIDEO)).first() is None


async def test_open_plays_the_current_version(store, settings, film, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    record = tmp_path / "player.jsonl"
    monkeypatch.setenv("PLAYER_RECORD", str(record))
    s2 = segs(store)[1]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "o")
        await wait_for(pilot, record.exists, timeout=5)
    argv = json.loads(record.read_text().splitlines()[0])
    with store.read() as s:
        version = s.get(Version, s2.keyframe_version_id)
    assert argv == [str(settings.home / "media" / version.path)]


async def test_help_lists_every_binding_with_its_id(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table")
        ids = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert {"approve", "reject", "regenerate", "open-player", "toggle-versions", "quit",
                "cursor-down", "asset-video", "help"} <= ids
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_keymap_remaps_binding_ids(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    settings.keymap = {"approve": "y", "cursor-down": "ctrl+n"}
    s1 = segs(store)[0]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        assert "review" in cell(app, s1.id, "keyframe")
        await pilot.press("y")
        assert "approved" in cell(app, s1.id, "keyframe")
        await pilot.press("g", "ctrl+n")
        assert app.query_one(SegmentTable).cursor_row == 1


async def test_version_pane_and_session_state_survive_a_restart(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "v")
        await app.reader.idle()  # the pane's versions are read off the loop
        pane = app.query_one(VersionPane)
        assert pane.display
        assert "3. Shot 3 — keyframe versions" in str(pane.query_one("#versions-title").render())
        assert pane.query_one("#versions-table").row_count == 1
        await pilot.press("l")
        await pilot.press("q")
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE):
        assert app.query_one(SegmentTable).cursor_row == 2
        assert app.main_screen.asset == Asset.VIDEO
        assert app.query_one(VersionPane).display


async def test_opening_generates_missing_keyframes_live(store, settings, make_stream) -> None:  # type: ignore[no-untyped-def]
    settings.auto_generate = True
    make_stream(n=3)
    app = make_app(settings, store, "film")
    async with app.run_test(size=SIZE) as pilot:
        ids = [s.id for s in segs(store)]
        await wait_for(pilot, lambda: all("v1" in cell(app, i, "keyframe") for i in ids))

        def logged() -> list[str]:
            return [str(line.text) for line in app.query_one("#tasklog").lines]

        # the rows may show v1 (the store's change, seen at once) a flush before the log says it
        await wait_for(pilot, lambda: sum("succeeded" in line for line in logged()) == 3, timeout=5)
        assert any("PROGRESS" in line for line in logged())
    with store.read() as s:
        assert {t.state for t in s.execute(select(Task)).scalars()} == {TaskState.SUCCEEDED}


async def test_cli_path_paints_from_the_snapshot_then_opens_the_store(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1 = segs(store)[0]
    app = make_app(settings, None, "film", start_runner=False)  # what `director-tui open` does
    assert app.store is None
    async with app.run_test(size=SIZE) as pilot:
        assert "v1 review" in cell(app, s1.id, "keyframe")  # drawn before the store exists
        await pilot.press("space")  # pending at once (◌), approved once the store has it
        assert "v1 approved" in cell(app, s1.id, "keyframe")  # ◌ while on its way, or ✓ if the store was quick
        await wait_for(pilot, lambda: "✓ v1 approved" in cell(app, s1.id, "keyframe"), timeout=10)
        assert app.store is not None
    app.store.dispose()
    with store.read() as s:
        assert s.get(Segment, s1.id).keyframe_state == AssetState.APPROVED


async def test_keys_typed_while_the_store_opens_go_to_what_the_first_key_opened(store, settings, film, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`e` then a quick " xy⏎" before the store is open: the words land in the prompt; `x`
    (mark) and `y` (approve) are not run as commands on the table."""
    import director_tui.ui.app as app_module

    monkeypatch.setattr(app_module, "STORE_OPEN_DELAY_S", 2.0)  # a slow disk: time to type
    s1 = segs(store)[0]
    app = make_app(settings, None, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", "end", "space", "x", "y", "enter")
        assert app.store is None  # all typed before the store opened
        await wait_for(pilot, lambda: app.store is not None and not app.context.keys.held, timeout=10)
        await settled(pilot, app)
        assert not app.main_screen.table.marked
    app.store.dispose()
    with store.read() as s:
        seg = s.get(Segment, s1.id)
        assert seg.image_prompt == s1.image_prompt + " xy"
        assert seg.keyframe_state != AssetState.APPROVED


async def test_a_burst_of_keys_after_e_or_c_lands_in_the_field(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    """Over a laggy SSH link keys arrive together: `e xy⏎` in one read must edit the prompt,
    not mark (x) and approve (y)."""
    from textual import events

    s1 = segs(store)[0]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for burst in ([("e", "e"), ("end", None), ("space", " "), ("x", "x"), ("y", "y"), ("enter", "\r")],
                      [("c", "c"), ("d", "d"), ("y", "y"), ("enter", "\r")]):
            for key, char in burst:
                app.post_message(events.Key(key, char))  # all queued before any is handled
            await settled(pilot, app)
        assert not app.main_screen.table.marked
    with store.read() as s:
        seg = s.get(Segment, s1.id)
        assert seg.image_prompt == s1.image_prompt + " xy"
        assert seg.keyframe_state != AssetState.APPROVED
        assert [c.body for c in s.execute(select(Comment)).scalars()] == ["dy"]


def test_snapshot_matches_the_orm_and_falls_back(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from director_tui.core.store.sqlite_snapshot import read_snapshot
    from director_tui.core.streams import snapshot_from_store

    db = settings.home / "director.db"
    fast = read_snapshot(db, "film", "tester")
    with store.read() as s:
        slow = snapshot_from_store(s, "film", "tester")
    assert fast is not None and fast.rows == slow.rows and fast.totals == slow.totals
    assert fast.latest_tasks == slow.latest_tasks
    assert read_snapshot(db, "nope", "tester") is None
    conn = sqlite3.connect(db)
    conn.execute("UPDATE alembic_version SET version_num = 'older'")
    conn.commit()
    conn.close()
    assert read_snapshot(db, "film", "tester") is None  # the ORM path (and migrations) take over


async def test_prompts_with_brackets_show_as_typed(store, settings, make_stream) -> None:  # type: ignore[no-untyped-def]
    """A str cell is parsed as Rich markup by DataTable; prompts must not be."""
    from textual.widgets._data_table import default_cell_formatter

    from tests.conftest import spec_dict

    data = spec_dict(1)
    data["segments"][0]["title"] = "[b]old[/b]"
    data["segments"][0]["image_prompt"] = "[red]neon[/red] sign [bold"
    make_stream(data)
    seg = segs(store)[0]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE):
        table = app.query_one(SegmentTable)
        shown = {col: default_cell_formatter(table.get_cell(str(seg.id), col)).plain for col in ("title", "image")}
    assert shown == {"title": "[b]old[/b]", "image": "[red]neon[/red] sign [bold"}


async def test_the_collector_is_back_on_with_start_up_frozen_and_restored_on_exit(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    import gc

    before = gc.get_threshold()
    gc.disable()  # as `director-tui open` starts (launch.py)
    try:
        app = make_app(settings, store, "film", start_runner=False)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: gc.isenabled(), timeout=20)
            assert gc.get_freeze_count() > 10_000  # the modules and widgets built so far
            assert gc.get_threshold()[2] == 100
        assert gc.get_freeze_count() == 0 and gc.get_threshold() == before
    finally:
        gc.enable()


async def test_runner_events_after_the_app_closed_are_harmless(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    """Generators go on printing while the app closes; their events reach a main screen
    whose widgets are gone. They must not raise (an exception here went up into the runner
    and left its task unfinished; make bench: flood found it)."""
    from director_tui.jobs.runner import RunnerEvent

    seg = segs(store)[0]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
    for kind in ("progress", "log", "generated", "finished"):
        app.main_screen.live.runner_event(RunnerEvent(kind, 1, film.id, seg.id, Asset.KEYFRAME, state="running",
                                                      progress=0.5, message="late", lines=("late line",)))
