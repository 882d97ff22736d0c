"""Timeline, metrics, recommendations, history hints, :export and :cleanup in the real app
(Pilot) over a real workspace whose versions real generators made."""

from __future__ import annotations

import zipfile
from pathlib import Path

from sqlalchemy import select, text
from textual.widgets import DataTable, Static

from director_tui.core.models import Activity, Segment, Version
from director_tui.ui.app import make_app
from director_tui.ui.screens.confirm import ConfirmScreen
from director_tui.ui.screens.metrics import MetricsScreen
from director_tui.ui.screens.recommend import RecommendScreen
from director_tui.ui.screens.timeline import TimelineScreen
from director_tui.ui.widgets.prompt_hints import PromptHints
from director_tui.ui.widgets.quick_edit import QuickEdit
from director_tui.ui.widgets.segment_table import SegmentTable
from tests.conftest import SIZE, segs, wait_for


def messages(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(n.message) for n in app._notifications]


def version_decision(app, version_id: int) -> str:  # type: ignore[no-untyped-def]
    """The version pane's decision and file cells of one version."""
    table = app.query_one("#versions-table")
    if str(version_id) not in table.rows:
        return ""
    return f"{table.get_cell(str(version_id), 'decision')} {table.get_cell(str(version_id), 'stored')}"


def render(widget) -> str:  # type: ignore[no-untyped-def]
    return str(widget.render())


async def command(pilot, line: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("colon", *line, "enter")


async def test_timeline_lists_filters_and_jumps_to_the_segment(store, settings, reviewed) -> None:  # type: ignore[no-untyped-def]
    with store.read() as s:
        total = s.execute(select(Activity.id).where(Activity.stream_id == reviewed.id)).all()
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TimelineScreen))
        screen = app.screen

        async def read() -> None:  # each page is read off the loop (ui/reader.py)
            await app.reader.idle()
            await pilot.pause()

        await read()
        assert len(screen._events) == len(total) > 20
        assert screen._events[0].actor == "ana"  # newest first: ana's prompt change came last
        assert [e.id for e in screen._events] == sorted((e.id for e in screen._events), reverse=True)
        await pilot.press("f", "f", "f")  # all → prompt → generation → decision
        await read()
        assert screen.filters == {"kind": "decision"}
        kinds = sorted(e.kind for e in screen._events)
        assert kinds == ["version.approved"] * 5 + ["version.rejected"] * 2
        await pilot.press("escape")  # clears the filters
        await read()
        assert not screen.filters and len(screen._events) == len(total)
        await pilot.press("slash", *"#6 @ana", "enter")
        await read()
        assert screen.filters == {"segment": "6", "author": "ana"}
        assert {(e.position, e.actor) for e in screen._events} == {(6, "ana")}
        assert sorted(e.kind for e in screen._events) == ["comment.added", "prompt.changed"]
        await pilot.press("slash", "ctrl+u", *"since:soon", "enter")  # a bad filter is named, nothing lost
        assert any("soon" in m for m in messages(app)) and screen.filters == {"segment": "6", "author": "ana"}
        await pilot.press("escape", "enter")  # close the filter box, then go to the event's segment
        await wait_for(pilot, lambda: app.screen is app.main_screen)
        assert app.query_one(SegmentTable).current.position == 6


async def test_metrics_show_counts_beside_rates_and_jump_to_attention(store, settings, reviewed) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("M")
        await wait_for(pilot, lambda: isinstance(app.screen, MetricsScreen) and app.screen.metrics is not None)
        screen = app.screen
        assert "71%  (5 of 7)" in render(screen.query_one("#card-approval", Static))
        assert "67%  (4 of 6)" in render(screen.query_one("#card-first-time", Static))
        assert "0.17 average" in render(screen.query_one("#card-regenerations", Static))
        chart = render(screen.query_one("#chart-distribution", Static))
        assert "   0 ██████████████████████████████ 5" in chart and "   1 ██████ 1" in chart
        table = screen.query_one("#attention-table", DataTable)
        assert table.row_count == 1 and str(table.get_row_at(0)[0]) == "6"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is app.main_screen)
        assert app.query_one(SegmentTable).current.position == 6


async def test_recommendations_screen_and_hints_beside_the_prompt(store, settings, reviewed) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RecommendScreen) and app.screen.items)
        screen = app.screen
        table = screen.query_one(DataTable)
        row = [str(c) for c in table.get_row_at(0)]
        assert row[:5] == ["phrase", "image", "a harbour at dawn", "4 of 6", "67%"]
        await pilot.press("f", "f")  # image → motion: no motion prompt was ever decided
        assert screen.field == "motion" and not screen.items and screen.query_one("#recommend-empty").display
        await pilot.press("escape", "G", "e")  # segment 6: "a harbour at dawn, gentle fog"
        edit = app.query_one(QuickEdit)
        hints = edit.query_one(PromptHints)
        await wait_for(pilot, lambda: "4/6" in render(hints))
        assert "✓ 'a harbour at dawn' 4/6" in render(hints)
        await pilot.press("ctrl+u", *"a lighthouse")  # the phrase gone: it is suggested instead
        assert "try: 'a harbour at dawn' 4/6" in render(hints)
        await pilot.press("escape")


async def test_export_and_cleanup_from_the_command_line(store, settings, home, reviewed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, arch = tmp_path / "out dir", tmp_path / "arch"
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await command(pilot, f'export keyframes "{out}/keys.zip"')
        await wait_for(pilot, lambda: any(m.startswith("exported keyframes") for m in messages(app)))
        with zipfile.ZipFile(out / "keys.zip") as zf:
            names = zf.namelist()
        assert names == [f"00{i}-Shot-{i}.png" for i in range(1, 6)]  # the 5 approved, in order
        await command(pilot, "export nonsense")
        assert any("export what?" in m for m in messages(app))
        await command(pilot, f"cleanup 0 {arch} dry")
        assert any(m.startswith(f"cleanup would archive 1 version to {arch}") for m in messages(app))
        await command(pilot, f"cleanup 0 {arch}")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: any(m.startswith("archived 1 version") for m in messages(app)))
    seg5 = segs(store)[4]
    with store.read() as s:
        v1 = s.execute(select(Version).where(Version.segment_id == seg5.id, Version.number == 1)).scalar_one()
        kinds = s.execute(text("SELECT kind FROM activity WHERE kind IN ('export.done', 'cleanup.done')")).scalars().all()
    assert v1.archive_location == str(arch / v1.path) and (arch / v1.path).exists()
    assert not (home / "media" / v1.path).exists()
    assert sorted(kinds) == ["cleanup.done", "export.done"]
    with store.read() as s:  # nothing else moved: approved and current versions stay
        local = [v for v in s.execute(select(Version)).scalars() if (home / "media" / v.path).exists()]
        assert len(local) == len(s.execute(select(Version)).all()) - 1
        assert s.execute(select(Segment)).scalars().all()
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        app.main_screen.go_to_segment(seg5.id)
        await pilot.press("v")  # the version pane: v1 is only in the archive
        await wait_for(pilot, lambda: "archived" in version_decision(app, v1.id))
        await command(pilot, "restore 5 9")
        await wait_for(pilot, lambda: any("segment 5 has no keyframe version 9" in m for m in messages(app)),
                       timeout=10)  # (looked up in the job's thread, off the loop)
        await command(pilot, "restore 5 1 keyframe")
        await wait_for(pilot, lambda: any(m.startswith("restored segment 5's keyframe v1") for m in messages(app)))
        await wait_for(pilot, lambda: "restored" in version_decision(app, v1.id))
    assert (home / "media" / v1.path).read_bytes() == (arch / v1.path).read_bytes()


async def test_quitting_during_an_export_asks_once_and_removes_the_half_file(store, settings, reviewed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from director_tui.ui.widgets.job_bar import JobBar

    half = tmp_path / ".keys.zip.partial"
    half.write_bytes(b"PK half written")
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(JobBar).start("export keyframes", lambda: [half])  # as :export does, mid-way
        await pilot.press("q")
        assert app.is_running and any("still running: q again" in m for m in messages(app))
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, 10)
    assert not half.exists()
