"""A locked or failing store (issue 14, 3): the UI never freezes or crashes, says it waits,
writes once the lock goes, and when the store refuses for good says what was not saved
while what was typed stays. Two directors deciding at once: the later one is refused and
told what is there now. Comments being typed are kept like prompt drafts."""

from __future__ import annotations

import sqlite3

from sqlalchemy import select, text

from director_tui.core import review
from director_tui.core.models import Asset, AssetState, Comment, Segment
from director_tui.ui.app import make_app
from director_tui.ui.widgets.prompt_line import PromptLine
from tests.conftest import SIZE, cell, segs, wait_for


def notices(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(n.message) for n in app._notifications]


async def test_a_locked_database_shows_it_waits_and_the_decision_lands_when_it_goes(store, home, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1, s2, s3 = segs(store)[:3]
    holder = sqlite3.connect(home / "director.db", isolation_level=None)
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        holder.execute("BEGIN IMMEDIATE")  # a colleague's long write
        await pilot.press("space")
        assert "◌ v1 approved" in cell(app, s1.id, "keyframe")  # pending, at once
        assert app.main_screen.table.current.id == s2.id  # the cursor did not wait
        await pilot.pause(0.8)
        header = str(app.main_screen.query_one("#status").render())
        assert "waiting for the database to save 1 decision" in header
        await pilot.press("space")  # typed while it waits: bound to #2, where the cursor is
        assert "◌ v1 approved" in cell(app, s2.id, "keyframe")
        assert app.main_screen.table.current.id == s3.id
        holder.execute("COMMIT")
        await wait_for(pilot, lambda: "✓ v1 approved" in cell(app, s2.id, "keyframe"), timeout=30)
        assert "✓ v1 approved" in cell(app, s1.id, "keyframe")
        assert app.main_screen.table.current.id == s3.id
        await wait_for(pilot, lambda: "waiting" not in str(app.main_screen.query_one("#status").render()), timeout=5)
    holder.close()
    with store.read() as s:
        assert [s.get(Segment, i).keyframe_state for i in (s1.id, s2.id, s3.id)] == ["approved", "approved", "review"]


async def test_a_lock_held_past_the_busy_timeout_keeps_the_typed_comment(home, settings, film, impatient) -> None:  # type: ignore[no-untyped-def]
    """Issue 24: a comment typed while the lock outlasts the busy timeout (0.2 s here) is not
    dropped: it waits in the outbox, tried again, and lands once the lock goes."""
    short, holder = impatient
    app = make_app(settings, short, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        holder.execute("BEGIN IMMEDIATE")
        await pilot.press("c", *"the horizon tilts", "enter")
        line = app.main_screen.query_one(PromptLine)
        assert not line.has_focus  # closed at once: the next keys are the table's
        await pilot.pause(1.5)  # several busy timeouts
        assert not any("was not saved" in n for n in notices(app))
        assert "1 decision" in str(app.main_screen.query_one("#status").render())
        holder.execute("COMMIT")
        await wait_for(pilot, lambda: any(n == "comment added" for n in notices(app)), timeout=10)
    with short.read() as s:
        assert [c.body for c in s.execute(select(Comment)).scalars()] == ["the horizon tilts"]


async def test_a_full_disk_keeps_the_comment_waiting_and_nothing_typed_is_lost(store, home, settings, film) -> None:  # type: ignore[no-untyped-def]
    """SQLite's own "database or disk is full" (max_page_count at what the file has now)."""
    from sqlalchemy import event

    app = make_app(settings, store, "film", start_runner=False)

    def full(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    store.write_engine.dispose()
    event.listen(store.write_engine, "connect", full)
    long_comment = "more fog on the water, " * 2000  # needs new pages
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        app.main_screen.query_one(PromptLine).value = long_comment
        await pilot.press("enter")
        # the comment waits in the outbox, tried again; the header says why (issue 24)
        await wait_for(pilot, lambda: "disk is full" in str(app.main_screen.query_one("#status").render()),
                       timeout=30)
        assert app.is_running and len(app.decisions.waiting) == 1
        with store.read() as s:
            assert list(s.execute(select(Comment)).scalars()) == []
        event.remove(store.write_engine, "connect", full)  # space freed
        store.write_engine.dispose()
        await wait_for(pilot, lambda: any(n == "comment added" for n in notices(app)), timeout=30)
    with store.read() as s:
        assert [c.body for c in s.execute(select(Comment)).scalars()] == [long_comment.strip()]


async def test_two_directors_deciding_at_once_the_later_is_refused_and_shown_why(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1 = segs(store)[0]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        with store.write() as s:  # ana approves v1 the moment before this director rejects it
            review.approve(s, s1.id, Asset.KEYFRAME, "ana")
        app.main_screen.live.change_token = store.change_token()  # before this app's poll shows it
        assert "review" in cell(app, s1.id, "keyframe")
        await pilot.press("d")
        await wait_for(pilot, lambda: any("changed while you looked" in n for n in notices(app)), timeout=10)
        assert ("reject #1 keyframe v1 was not saved: segment 1's keyframe changed while you looked: it is now "
                "v1 approved by ana; your decision was not recorded (look again)") in notices(app)
        await wait_for(pilot, lambda: "✓ v1 approved" in cell(app, s1.id, "keyframe"), timeout=5)  # what is there now
        assert cell(app, s1.id, "progress").startswith("✗ reject refused: segment 1's keyframe changed")
    with store.read() as s:
        assert s.get(Segment, s1.id).keyframe_state == AssetState.APPROVED
        kinds = [r[0] for r in s.execute(text("SELECT kind FROM activity WHERE kind LIKE 'version.%'"))]
        assert "version.rejected" not in kinds


async def test_a_comment_being_typed_comes_back_after_the_app_died(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "c", *"the gulls are too big")
        await pilot.pause(1.0)  # a pause in typing: the draft is written
    # (the test's exit does what a dead app leaves: the draft row, no comment)
    with store.read() as s:
        assert list(s.execute(select(Comment)).scalars()) == []
        drafts = list(s.execute(text("SELECT field, text FROM draft")))
    assert drafts == [("comment:keyframe", "the gulls are too big")]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        line = app.main_screen.query_one(PromptLine)
        await wait_for(pilot, lambda: line.value == "the gulls are too big", timeout=10)
        assert app.main_screen.table.current.position == 3 and line.mode == "comment"
        await wait_for(pilot, lambda: any("restored your unsent comment on segment 3" in n for n in notices(app)),
                       timeout=5)  # (a notice reaches the app's list a turn after the line is filled)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(n == "comment added" for n in notices(app)), timeout=10)
    with store.read() as s:
        assert [c.body for c in s.execute(select(Comment)).scalars()] == ["the gulls are too big"]
        assert list(s.execute(text("SELECT field FROM draft"))) == []


async def test_a_refused_note_is_kept_as_a_draft_of_its_shot(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    """Issue 24: `f` + note on a shot that cannot take a new version now (one is already on
    its way): refused when it arrives, said, and the note stays a draft of that shot, not
    lost, while the cursor has moved on."""
    from director_tui.core import queue

    s1 = segs(store)[0]
    with store.write() as s:
        queue.enqueue(s, s1.id, Asset.KEYFRAME, "ana")
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f", *"warmer light", "enter")
        assert app.main_screen.table.current.id != s1.id
        await wait_for(pilot, lambda: any("your note is kept (f on its row brings it back)" in n
                                          for n in notices(app)), timeout=10)
        assert any(n.startswith("send back #1 keyframe v1 was not saved: segment 1: a keyframe task is already")
                   for n in notices(app))
        await pilot.pause(1.0)  # the draft is written after a pause, as for typing
        with store.read() as s:
            assert list(s.execute(select(Comment)).scalars()) == []
            assert list(s.execute(text("SELECT field, text FROM draft"))) == [("feedback:keyframe", "warmer light")]
        await pilot.press("k", "f")  # back on #1: f brings the note back into its line
        line = app.main_screen.query_one(PromptLine)
        assert line.has_focus and line.value == "warmer light"


async def test_a_state_folder_that_cannot_keep_the_outbox_still_decides(store, settings, film, tmp_path,  # type: ignore[no-untyped-def]
                                                                        monkeypatch) -> None:
    """$DIRECTOR_STATE is a file (or the disk under it is full): the outbox cannot be kept;
    that is said once, and decisions go straight to the store."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("DIRECTOR_STATE", str(blocker))
    s1 = segs(store)[0]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_for(pilot, lambda: "✓ v1 approved" in cell(app, s1.id, "keyframe"), timeout=10)
        assert sum("decisions go straight to the store, unkept" in n for n in notices(app)) == 1
        assert app.is_running


def test_cli_writes_on_a_locked_store_are_one_line_and_non_zero(home, film, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    holder = sqlite3.connect(home / "director.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    env = {**os.environ, "DIRECTOR_CONFIG": str(tmp_path / "none.toml"), "DIRECTOR_BUSY_TIMEOUT_MS": "300"}
    try:
        for command in (["regen", "film"], ["cancel", "film", "--all"], ["trust", "film", "--yes"],
                        ["new", "another"]):
            proc = subprocess.run([sys.executable, "-m", "director_tui", "--home", str(home), *command],
                                  env=env, capture_output=True, text=True, timeout=60)
            if command[0] == "trust":  # writes no database: it works while the store is locked
                assert proc.returncode == 0, proc.stderr
                continue
            assert proc.returncode == 1, (command, proc.stdout, proc.stderr)
            assert proc.stderr.strip().splitlines() == [
                "director-tui: stopped: the database stayed locked (another program's long write); try again"], \
                (command, proc.stderr)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
