"""Drafts (unsaved prompt edits survive a killed app) and session state (cursor, marks,
filter, panes, active column), with the real app: Pilot, and a real process killed -9."""

from __future__ import annotations

import os
import select as io_select
import signal
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from textual.widgets import Input, TextArea

from director_tui.core import drafts
from director_tui.core.commands import CommandError, parse_command
from director_tui.core.models import Draft, Segment
from director_tui.ui.app import make_app
from director_tui.ui.draft_keeper import MAX_WAIT_S, PAUSE_S
from director_tui.ui.screens.review import ReviewScreen
from director_tui.ui.widgets.quick_edit import QuickEdit
from director_tui.ui.widgets.segment_table import SegmentTable
from director_tui.ui.widgets.task_log import TaskLog
from director_tui.ui.widgets.version_pane import VersionPane
from tests.conftest import SIZE, segs, wait_for
from tests.e2e.test_app_signals import drain_until, exited, spawn_app

BOTH_STORES = True  # each test on SQLite and on PostgreSQL (conftest.store_kind)


TRICKY = ' "quoted" ; $(rm -rf x) 🎬'


def read_until(fd: int, marker: bytes, timeout: float = 30.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = io_select.select([fd], [], [], 0.05)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def draft_rows(store) -> list[tuple[int, str, str, str]]:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return [(d.segment_id, d.field, d.text, d.base) for d in s.execute(select(Draft)).scalars()]


def prompt_of(store, seg_id: int, field: str = "image") -> str:  # type: ignore[no-untyped-def]
    with store.read() as s:
        seg = s.get(Segment, seg_id)
        return seg.image_prompt if field == "image" else seg.motion_prompt


def test_a_draft_typed_in_a_killed_app_is_in_the_store(store, home, film, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The real app in a pty: e, type, pause, then SIGKILL mid-sentence; the draft is there."""
    s2 = segs(store)[1]
    config = tmp_path / "config.toml"
    config.write_text("auto_generate = false\n")
    pid, fd = spawn_app(home, config)
    try:
        screen = read_until(fd, b"Shot 2")  # the first frame is up
        assert b"Shot 2" in screen
        os.write(fd, b"j")
        time.sleep(0.3)
        os.write(fd, b"e")
        time.sleep(0.3)
        os.write(fd, (" with a raven" + TRICKY).encode())
        drain_until(fd, lambda: bool(draft_rows(store)), 20)  # on the pause after typing
        os.kill(pid, signal.SIGKILL)  # mid-edit: the prompt was never saved
        drain_until(fd, lambda: exited(pid), 10)
    finally:
        os.close(fd)
    assert draft_rows(store) == [(s2.id, "image", s2.image_prompt + " with a raven" + TRICKY, s2.image_prompt)]
    assert prompt_of(store, s2.id) == s2.image_prompt  # a draft, not a save


async def test_reopening_restores_the_draft_in_place_and_saving_clears_it(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1, s2, s3 = segs(store)[:3]
    with store.write() as s:  # as the killed app left them: the newest first
        drafts.save(s, "tester", s3.id, "motion", "older draft", s3.motion_prompt)
        drafts.save(s, "tester", s2.id, "image", s2.image_prompt + " at night" + TRICKY, s2.image_prompt)
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        edit = app.query_one(QuickEdit)
        await wait_for(pilot, lambda: edit.display)
        assert edit.segment_id == s2.id and edit.field == "image"
        assert app.query_one("#quick-edit-input", Input).value == s2.image_prompt + " at night" + TRICKY
        await wait_for(pilot, lambda: any("restored your unsaved image prompt of segment 2" in str(n.message)
                                          and "3 motion" in str(n.message) for n in app._notifications), timeout=5)
        await pilot.press("enter")
        assert prompt_of(store, s2.id) == s2.image_prompt + " at night" + TRICKY
        await wait_for(pilot, lambda: [r[0] for r in draft_rows(store)] == [s3.id])
        await pilot.press("j", "l", "e")  # the other draft comes back on e
        assert app.query_one("#quick-edit-input", Input).value == "older draft"
        await pilot.press("escape")  # dropped deliberately
        await wait_for(pilot, lambda: draft_rows(store) == [])
    assert prompt_of(store, s3.id, "motion") == s3.motion_prompt
    assert prompt_of(store, s1.id) == s1.image_prompt


async def test_drafts_are_written_on_a_pause_and_while_typing_on(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1 = segs(store)[0]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", "end", *" rain")
        await pilot.pause(PAUSE_S + 0.4)
        await wait_for(pilot, lambda: draft_rows(store) == [(s1.id, "image", s1.image_prompt + " rain", s1.image_prompt)], 5)
        # typing on without a pause: written within MAX_WAIT_S anyway
        for _ in range(int((MAX_WAIT_S + 1) / 0.2)):
            await pilot.press("x")
            await pilot.pause(0.2)
            if draft_rows(store)[0][2].endswith("x"):
                break
        assert draft_rows(store)[0][2].startswith(s1.image_prompt + " rain" + "x")


async def test_review_screen_edits_become_drafts_and_come_back(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1, s2 = segs(store)[:2]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("e", "end", *" two", "enter", *"lines")
        await wait_for(pilot, lambda: draft_rows(store) == [(s1.id, "image", s1.image_prompt + " two\nlines", s1.image_prompt)], 5)
        await pilot.press("escape", "n")  # to segment 2: the edit stays a draft
        await wait_for(pilot, lambda: app.screen.segment_id == s2.id)
        assert draft_rows(store)[0][0] == s1.id
    app = make_app(settings, store, "film", start_runner=False)  # reopened: several lines → the review screen
    async with app.run_test(size=SIZE) as pilot:
        # pushed, then composed: the field exists a frame later under load
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen) and bool(app.screen.query("#prompt-image")))
        area = app.screen.query_one("#prompt-image", TextArea)
        # the draft goes into the field once the screen is up (a frame later under load)
        await wait_for(pilot, lambda: area.text == s1.image_prompt + " two\nlines", 5)
        assert app.screen.segment_id == s1.id
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: draft_rows(store) == [])
    assert prompt_of(store, s1.id) == s1.image_prompt + " two\nlines"


async def test_session_state_comes_back_per_user(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    ids = [s.id for s in segs(store)]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x", "x", "l", "v", "L", "slash", *"shot", "enter", "j")
        await pilot.press("q")
    app = make_app(settings, None, "film", start_runner=False)  # from the first frame's snapshot
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(SegmentTable)
        assert table.marked == {ids[0], ids[1]} and table.filter_text == "shot"
        assert table.current.id == ids[3] and app.main_screen.asset == "video"
        assert app.query_one(VersionPane).display and not app.query_one(TaskLog).display
    app = make_app(replace(settings, user="ana"), store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:  # another director starts from her own state
        table = app.query_one(SegmentTable)
        assert not table.marked and table.filter_text == "" and table.current.id == ids[0]


def test_export_and_cleanup_commands_parse_and_name_what_is_wrong() -> None:
    c = parse_command('export keyframes all "/tmp/my keys.zip"', 10)
    assert (c.verb, c.asset, c.option, c.text) == ("export", "keyframes", "all", "/tmp/my keys.zip")
    assert parse_command("export backup gdrive:backups", 10).text == "gdrive:backups"
    c = parse_command("cleanup 3 :local:/arch dry", 10)
    assert (c.positions, c.text, c.option) == ((3,), ":local:/arch", "dry")
    for bad, why in (("export", "export what?"), ("export cut a b", "one destination"),
                     ("cleanup x", "keep how many"), ('export spec "unclosed', "quote")):
        try:
            parse_command(bad, 10)
        except CommandError as exc:
            assert why in str(exc)
        else:
            raise AssertionError(f"{bad!r} parsed")
