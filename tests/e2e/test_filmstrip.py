"""A clip frame by frame in the review screen: the filmstrip (real ffmpeg, cached), `,` `.`
a frame, `[` `]` a second, `{` `}` to the comments' time codes marked on the strip, and
enter playing from there (mpv's --start)."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from director_tui.core import review
from director_tui.core.models import Segment, Task
from director_tui.ui.app import make_app
from director_tui.ui.widgets.filmstrip import Filmstrip, ruler
from director_tui.ui.widgets.preview import Preview
from tests.conftest import SIZE, gen, run_tasks, wait_for


def test_the_ruler_marks_comments_and_the_time() -> None:
    line = ruler(21, 2.0, 1.0, [0.0, 2.0])
    assert line.plain == "▲" + "─" * 9 + "┃" + "─" * 9 + "▲"


@pytest.fixture
def clip(store, home, make_stream):  # type: ignore[no-untyped-def]
    """One segment with a 1 s clip (the real generator) and a comment at 00:00.5 on it."""
    stream = make_stream(n=1, duration=1.0)
    with store.write() as s:
        seg = s.execute(select(Segment)).scalar_one()
        s.add(Task(stream_id=stream.id, segment_id=seg.id, asset="keyframe", prompt="p", seed=1))
    run_tasks(store, home, stream.id)
    with store.write() as s:
        review.approve(s, seg.id, "keyframe", "tester", queue_video=True)
    run_tasks(store, home, stream.id)
    with store.write() as s:
        review.add_comment(s, seg.id, "the boat jumps here", "ana", asset="video", timecode=0.5)
    return stream


async def test_stepping_through_a_clip(store, settings, clip, home, tmp_path: Path,  # type: ignore[no-untyped-def]
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    mpv = tmp_path / "mpv"  # a player named mpv (so it is given --start) that writes down its argv
    shutil.copyfile(gen("record_player.py"), mpv)
    mpv.chmod(mpv.stat().st_mode | stat.S_IXUSR)
    record = tmp_path / "played.jsonl"
    monkeypatch.setenv("PLAYER_RECORD", str(record))
    settings.player = [str(mpv), "{path}"]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l", "enter")  # the video column, the review screen
        strip = app.screen.query_one("#review-strip", Filmstrip)
        await wait_for(pilot, lambda: strip.display and bool(strip.query_one("#strip-frames", Preview)
                                                                  .query(".preview-image")), timeout=20)
        assert any(home.glob("media/.cache/strip-*-8.png"))  # made once, kept

        def time_line() -> str:
            return str(strip.query_one("#strip-time").render())

        def caption() -> str:
            return str(app.screen.query_one("#review-picture", Preview).query_one(".preview-caption").render())

        assert time_line().startswith("the middle frame above")
        assert "▲" in str(strip.query_one("#strip-ruler").render())  # the comment at 00:00.5
        await pilot.press("full_stop")  # one frame on from the middle (00:00.50, 24 fps: frame 13)
        await wait_for(pilot, lambda: time_line().startswith("00:00.54 / 00:01.00 · frame 14"), timeout=10)
        await wait_for(pilot, lambda: caption().startswith("current v1 · 00:00.54 · frame 14 of 24"), timeout=10)
        app.screen.load()  # the screen read again, as after a colleague's commit: the frame stays named
        await app.reader.idle()
        assert time_line().startswith("00:00.54 / 00:01.00 · frame 14"), time_line()
        await pilot.press("comma", "comma")
        await wait_for(pilot, lambda: time_line().startswith("00:00.46"), timeout=10)
        await pilot.press("right_square_bracket")  # a second on: the last frame, not past the end
        await wait_for(pilot, lambda: time_line().startswith("00:00.96 / 00:01.00 · frame 24"), timeout=10)
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: time_line().startswith("00:00.00"), timeout=10)
        await pilot.press("right_curly_bracket")  # to the comment
        await wait_for(pilot, lambda: time_line().startswith("00:00.50"), timeout=10)
        await pilot.press("enter")  # play from there
        await wait_for(pilot, lambda: record.exists(), timeout=10)
        played = json.loads(record.read_text().splitlines()[-1])
        assert played[0] == "--start=0.500" and played[-1].endswith(".mp4")
        await pilot.press("left_curly_bracket")  # no comment before it
        assert any("no comment with a time code that way" in str(n.message) for n in app._notifications)
