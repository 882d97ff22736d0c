"""@mentions (core/mentions.py): who a comment tells, the inbox (CLI), the notice in the
mentioned user's open app and its `@` list, and @name completion in the comment line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from textual.widgets import DataTable
from typer.testing import CliRunner

from director_tui.cli import app as cli_app
from director_tui.core import mentions, review
from director_tui.core.models import Activity, Mention, Segment
from director_tui.ui.app import make_app
from director_tui.ui.screens.mentions import MentionsScreen
from director_tui.ui.widgets.prompt_line import MentionSuggester, PromptLine
from tests.conftest import SIZE, segs, wait_for

BOTH_STORES = True
runner = CliRunner()


def test_names_are_account_names_where_a_word_starts() -> None:
    text = ("@ana the fog; @ben.k, see 00:02. cc @cho. mail ana@studio.org @00:02.5 @-x @ana again "
            "«@dee» (@eve) emoji 🎬@fay")
    assert mentions.names_in(text) == ["ana", "ben.k", "cho", "dee", "eve", "fay"]
    assert mentions.names_in("no one here, not even @") == []


def comment_as(store, seg_id: int, author: str, body: str) -> None:  # type: ignore[no-untyped-def]
    with store.write() as s:
        review.add_comment(s, seg_id, body, author, asset="keyframe")


def test_a_comment_tells_each_named_user_once_not_its_author(store, home, film) -> None:  # type: ignore[no-untyped-def]
    seg = segs(store)[1]
    comment_as(store, seg.id, "ana", "@tester @ben look at the sky; @tester again; @ana (me)")
    with store.read() as s:
        rows = [(m.recipient, m.author, m.segment_id) for m in s.execute(select(Mention).order_by(Mention.id)).scalars()]
        detail = json.loads(s.execute(select(Activity.detail).where(Activity.kind == "comment.added")).scalar_one())
    assert rows == [("tester", "ana", seg.id), ("ben", "ana", seg.id)]
    assert detail["mentions"] == ["tester", "ben"]
    with store.read() as s:
        mine = mentions.inbox(s, "tester")
        assert [(m.author, m.position, m.seen) for m in mine] == [("ana", 2, False)]
        assert mentions.people(s) == ["ana", "tester"]  # the comment's author, and the stream's creator
    with store.write() as s:
        assert mentions.mark_seen(s, "tester") == 1
        assert mentions.mark_seen(s, "tester") == 0
    with store.read() as s:
        assert mentions.inbox(s, "tester") == []
        assert [m.seen for m in mentions.inbox(s, "tester", include_seen=True)] == [True]
        assert [m.author for m in mentions.inbox(s, "ben")] == ["ana"]  # ben's are his own


def test_the_inbox_command(store, home, film) -> None:  # type: ignore[no-untyped-def]
    seg = segs(store)[0]
    comment_as(store, seg.id, "ana", "@tester is this the light we wanted? " + "long " * 100)
    r = runner.invoke(cli_app, ["--home", str(home), "inbox"])
    assert r.exit_code == 0 and "ana" in r.output and "film #1 Shot 1" in r.output and "…" in r.output
    r = runner.invoke(cli_app, ["--home", str(home), "inbox", "--json", "--seen"])
    assert r.exit_code == 0
    assert [(m["author"], m["segment"], m["seen"]) for m in json.loads(r.output)] == [("ana", 1, False)]
    r = runner.invoke(cli_app, ["--home", str(home), "inbox"])
    assert r.exit_code == 0 and r.output.strip() == "no new mentions of @tester"
    r = runner.invoke(cli_app, ["--home", str(home), "inbox", "--all", "--json"])
    assert [m["seen"] for m in json.loads(r.output)] == [True]


@pytest.mark.asyncio
async def test_the_suggester_completes_the_name_being_typed() -> None:
    s = MentionSuggester(["ana", "ben", "ben.k"])
    assert await s.get_suggestion("looks good @b") == "looks good @ben "
    assert await s.get_suggestion("@A") == "@ana "
    assert await s.get_suggestion("mail x@b") is None  # not where a word starts
    assert await s.get_suggestion("@ben") == "@ben.k "
    assert await s.get_suggestion("no at sign") is None


async def test_a_mention_arrives_as_a_notice_and_enter_goes_there(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    third = segs(store)[2]
    comment_as(store, segs(store)[0].id, "ana", "@tester an older one")
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: any("1 comment mentions you" in str(n.message) for n in app._notifications),
                       timeout=20)
        comment_as(store, third.id, "ben", "@tester the noon light flattens it")  # another director, meanwhile
        await wait_for(pilot, lambda: any("ben mentioned you on #3" in str(n.message) for n in app._notifications),
                       timeout=20)
        await pilot.press("at")
        assert isinstance(app.screen, MentionsScreen)
        await app.reader.idle()  # the list is read off the loop
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2 and "2 new" in str(app.screen.query_one("#mentions-title").render())
        await pilot.press("enter")  # the newest, first
        await wait_for(pilot, lambda: not isinstance(app.screen, MentionsScreen))
        assert app.screen.table.current.id == third.id
        await wait_for(pilot, lambda: not app.writer.busy)
        # completion of names in the comment line: the workspace's people
        await pilot.press("c", "at", "b")
        line = app.screen.query_one(PromptLine)
        await wait_for(pilot, lambda: line._suggestion == "@ben ")
        await pilot.press("tab", *"agreed", "enter")
        await wait_for(pilot, lambda: not app.writer.busy and not line.parent.display, timeout=10)
    with store.read() as s:
        seen = {m.segment_id: m.seen_at is not None for m in s.execute(
            select(Mention).where(Mention.recipient == "tester")).scalars()}
        told = [m.author for m in s.execute(select(Mention).where(Mention.recipient == "ben")).scalars()]
    assert seen == {third.id: True, segs(store)[0].id: False}
    assert told == ["tester"]


def test_people_come_from_comments_and_the_timeline(store, home: Path, film) -> None:  # type: ignore[no-untyped-def]
    with store.write() as s:
        s.add(Activity(kind="version.approved", actor="dana"))
        s.add(Activity(kind="x", actor="not a name!"))
        seg = s.execute(select(Segment)).scalars().first()
        review.add_comment(s, seg.id, "fine", "eli")
    with store.read() as s:
        assert mentions.people(s) == ["dana", "eli", "tester"]
