"""`/` filter and the `:` command line, in the real app; the parser on its own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from director_tui.core.commands import Command, CommandError, parse_command
from director_tui.core.models import AssetState, Segment, Task, TaskState
from director_tui.ui.app import make_app
from director_tui.ui.widgets.segment_table import SegmentTable
from tests.conftest import SIZE, cell, segs, settled


def test_parse_commands() -> None:
    assert parse_command(":regen 3-4 keyframe", 6) == Command("regen", (3, 4), "keyframe")
    assert parse_command("approve 1,2", 6) == Command("approve", (1, 2), None)
    assert parse_command("cancel all", 6) == Command("cancel", (1, 2, 3, 4, 5, 6), None)
    assert parse_command("filter  night market", 6) == Command("filter", text="night market")
    for bad, message in (("", "empty command"), ("explode 1", "unknown command 'explode'"),
                         ("regen 9", "regen: '9': positions run from 1 to 6"),
                         ("regen", "regen which segments?"), ("cancel", "cancel what?")):
        with pytest.raises(CommandError, match=message):
            parse_command(bad, 6)


async def test_filter_narrows_rows_and_esc_clears(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(SegmentTable)
        await pilot.press("slash", *"shot 3")
        assert [table.rows_by_id[i].position for i in table.order] == [3]
        assert "filter 'shot 3': 1/4" in str(app.main_screen.query_one("#status").render())
        await pilot.press("enter")  # keeps the filter, back to the table
        assert table.has_focus and len(table.order) == 1
        await pilot.press("slash")
        await pilot.press("escape")  # clears it
        assert len(table.order) == 4
        await pilot.press("slash", *"approved")
        assert table.order == []
        await pilot.press("escape")


async def test_command_line_regen_approve_cancel(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    ids = [s.id for s in segs(store)]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon", *"approve 1-2", "enter")
        assert "approved" in cell(app, ids[0], "keyframe") and "approved" in cell(app, ids[1], "keyframe")
        await pilot.press("colon", *"regen 3-4 keyframe", "enter")
        assert "queued" in cell(app, ids[2], "progress") and "queued" in cell(app, ids[3], "progress")
        await pilot.press("colon", *"cancel all", "enter")
        await settled(pilot, app)
        await pilot.press("colon", *"regen 9", "enter")
        await pilot.pause()
        assert any("positions run from 1 to 4" in n.message for n in app._notifications)
    with store.read() as s:
        states = {t.segment_id: t.state for t in s.execute(select(Task).where(Task.segment_id.in_(ids[2:]))
                                                            .order_by(Task.id)).scalars()}
        assert set(states.values()) == {TaskState.CANCELLED}
        approved = s.execute(select(Segment.id).where(Segment.keyframe_state == AssetState.APPROVED)).scalars().all()
        assert sorted(approved) == ids[:2]
