"""`:dailies`: the stream's clips as one playlist in a real mpv (headless: --vo=null), titled
by segment; when it ends the cursor stands on the clip watched last, read from mpv's IPC
socket (also when the director quits midway)."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest
from sqlalchemy import select

from director_tui.core import review
from director_tui.core.models import Segment, Task
from director_tui.media.dailies import Clip, dailies_argv, playlist_text
from director_tui.ui.app import make_app
from tests.conftest import SIZE, run_tasks, wait_for

MPV = shutil.which("mpv")
pytestmark = pytest.mark.skipif(MPV is None, reason="no mpv here; .ci/run installs it")


@pytest.fixture
def clips_film(store, home, make_stream):  # type: ignore[no-untyped-def]
    """Three segments with a clip each (real generator, real ffmpeg), 1.5 s long."""
    stream = make_stream(n=3, duration=1.5)
    with store.write() as s:
        for seg in s.execute(select(Segment)).scalars():
            s.add(Task(stream_id=stream.id, segment_id=seg.id, asset="keyframe", prompt=seg.image_prompt, seed=1))
    run_tasks(store, home, stream.id)
    with store.write() as s:
        for seg in s.execute(select(Segment)).scalars():
            review.approve(s, seg.id, "keyframe", "tester", queue_video=True)
    run_tasks(store, home, stream.id)
    with store.write() as s:  # the first clip approved: `:dailies approved` plays only it
        first = s.execute(select(Segment).where(Segment.position == 1)).scalar_one()
        review.approve(s, first.id, "video", "tester")
    return stream


def test_the_playlist_titles_each_clip_and_keeps_an_mpv_players_options(tmp_path: Path) -> None:
    clips = [Clip(1, "#1 Harbour, dawn — v2", tmp_path / "a.mp4"), Clip(2, "#2 Line\nbreak", tmp_path / "b.mp4")]
    assert playlist_text(clips).splitlines() == ["#EXTM3U", "#EXTINF:-1,#1 Harbour, dawn — v2", str(tmp_path / "a.mp4"),
                                                 "#EXTINF:-1,#2 Line break", str(tmp_path / "b.mp4")]
    argv = dailies_argv(tmp_path / "p.m3u", tmp_path / "s", ["/usr/bin/mpv", "--fs", "{path}"], in_terminal=True)
    assert argv[0] == "/usr/bin/mpv" and "--fs" in argv and "{path}" not in argv
    assert "--vo=tct" in argv and f"--playlist={tmp_path / 'p.m3u'}" in argv


def _settings(settings):  # type: ignore[no-untyped-def]
    settings.player = [MPV, "--vo=null", "--ao=null", "--really-quiet", "{path}"]
    settings.player_in_terminal = "never"
    return settings


async def test_dailies_play_in_order_and_the_cursor_stands_on_the_last(store, settings, clips_film) -> None:  # type: ignore[no-untyped-def]
    app = make_app(_settings(settings), store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon", *"dailies", "enter")
        await wait_for(pilot, lambda: app.screen.commands.last_dailies is not None, timeout=5)  # read off the loop
        run = app.screen.commands.last_dailies
        assert run is not None and [c.title.split(" —")[0] for c in run.clips] == ["#1 Shot 1", "#2 Shot 2",
                                                                                  "#3 Shot 3"]
        await wait_for(pilot, lambda: any("dailies ended at #3" in str(n.message) for n in app._notifications),
                       timeout=30)
        assert app.screen.asset == "video" and app.screen.table.current.position == 3
        assert not run.folder.exists()  # its playlist and socket are gone


async def test_quitting_midway_leaves_the_cursor_on_the_clip_being_watched(store, settings, clips_film) -> None:  # type: ignore[no-untyped-def]
    app = make_app(_settings(settings), store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon", *"dailies", "enter")
        await wait_for(pilot, lambda: app.screen.commands.last_dailies is not None, timeout=5)  # read off the loop
        run = app.screen.commands.last_dailies
        await wait_for(pilot, lambda: run.watch.last == 1, timeout=20)  # the second clip is on
        with socket.socket(socket.AF_UNIX) as ipc:  # the director presses q
            ipc.connect(str(run.socket_path))
            ipc.sendall(json.dumps({"command": ["quit"]}).encode() + b"\n")
        await wait_for(pilot, lambda: any("dailies ended at #2" in str(n.message) for n in app._notifications),
                       timeout=20)
        assert app.screen.table.current.position == 2


async def test_approved_dailies_play_only_approved_clips(store, settings, clips_film) -> None:  # type: ignore[no-untyped-def]
    app = make_app(_settings(settings), store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon", *"dailies approved", "enter")
        await wait_for(pilot, lambda: app.screen.commands.last_dailies is not None, timeout=5)
        run = app.screen.commands.last_dailies
        assert [c.title.split(" —")[0] for c in run.clips] == ["#1 Shot 1"]
        await wait_for(pilot, lambda: any("dailies ended at #1" in str(n.message) for n in app._notifications),
                       timeout=20)
        await pilot.press("colon", *"dailies nope", "enter")
        assert any("dailies: :dailies (every current clip) or :dailies approved" in str(n.message)
                   for n in app._notifications)
