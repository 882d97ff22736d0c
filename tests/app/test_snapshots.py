"""SVG snapshots of the main and help screens (look at the SVG when one changes)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from director_tui.core import queue, review
from director_tui.core.models import Asset, Segment, Version
from director_tui.ui.app import make_app
from tests.conftest import run_tasks, spec_dict

FIXED = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


@pytest.fixture
def reviewed(store, home, make_stream):  # type: ignore[no-untyped-def]
    """Six segments in every state a director sees, with fixed seeds and times."""
    data = spec_dict(6)
    data["segments"][3]["image_prompt"] = 'a "quoted" night market; $(neon) signs 🎬 ' + "rain " * 40
    stream = make_stream(data)
    with store.read() as s:
        segs = list(s.execute(select(Segment).order_by(Segment.position)).scalars())
    with store.write() as s:
        for seg in segs[:5]:
            queue.enqueue(s, seg.id, Asset.KEYFRAME, "tester", seed=1000 + seg.position)
    run_tasks(store, home, stream.id)
    with store.write() as s:
        review.approve(s, segs[0].id, Asset.KEYFRAME, "tester")
        review.approve(s, segs[1].id, Asset.KEYFRAME, "tester")
        review.reject(s, segs[2].id, Asset.KEYFRAME, "tester")
        queue.enqueue(s, segs[0].id, Asset.VIDEO, "tester", seed=7)
        queue.enqueue(s, segs[2].id, Asset.KEYFRAME, "tester", seed=2003, regenerate=True)
    run_tasks(store, home, stream.id)
    with store.write() as s:
        review.approve(s, segs[0].id, Asset.VIDEO, "tester")
        s.execute(update(Version).values(created_at=FIXED))
    return stream


def test_main_screen(snap_compare, store, settings, reviewed) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    assert snap_compare(app, terminal_size=(160, 40), press=["j", "j", "v"])


def test_main_screen_video_column(snap_compare, store, settings, reviewed) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    assert snap_compare(app, terminal_size=(120, 30), press=["l"])


def test_help_screen(snap_compare, store, settings, reviewed) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    assert snap_compare(app, terminal_size=(160, 48), press=["question_mark"])


@pytest.fixture
def commented(store, reviewed):  # type: ignore[no-untyped-def]
    """Segment 3 (rejected v1, new v2) with comments and an edited prompt, times fixed."""
    from director_tui.core import prompts
    from director_tui.core.models import Comment, PromptRevision

    with store.read() as s:
        seg3 = s.execute(select(Segment).where(Segment.position == 3)).scalar_one()
    with store.write() as s:
        review.add_comment(s, seg3.id, "the sky is too flat; more [red] in the clouds", "tester",
                           asset=Asset.KEYFRAME)
        review.add_comment(s, seg3.id, "better, keep the seed", "colleague", asset=Asset.KEYFRAME)
        prompts.save_prompt(s, seg3.id, "image", "a harbour at dusk, storm clouds, shot 3", "tester",
                            expected=None)
        s.execute(update(Comment).values(created_at=FIXED))
        s.execute(update(PromptRevision).values(created_at=FIXED))
    return reviewed


def test_review_screen(snap_compare, store, settings, commented) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    assert snap_compare(app, terminal_size=(160, 48), press=["j", "j", "enter", "e", "end", *" rain"])


def test_compare_screen(snap_compare, store, settings, commented) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    assert snap_compare(app, terminal_size=(160, 48), press=["j", "j", "C"])


def test_presets_screen(snap_compare, store, settings, reviewed) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    assert snap_compare(app, terminal_size=(160, 30), press=["x", "x", "P", "j", "space"])


def test_variations_screen(snap_compare, store, home, settings, reviewed) -> None:  # type: ignore[no-untyped-def]
    from director_tui.core.models import Task

    with store.read() as s:
        seg5 = s.execute(select(Segment).where(Segment.position == 5)).scalar_one()
    with store.write() as s:
        group, tasks = queue.variations(s, seg5.id, Asset.KEYFRAME, "tester", count=3)
        for i, task in enumerate(tasks):
            s.execute(update(Task).where(Task.id == task.id).values(seed=500 + i))
    run_tasks(store, home, reviewed.id)
    with store.write() as s:
        s.execute(update(Version).values(created_at=FIXED))
        # two run at once, so numbers follow finish order: number them in queued order
        group_versions = s.execute(select(Version).where(Version.variation_group == group)
                                   .order_by(Version.task_id)).scalars().all()
        for v in group_versions:
            v.number += 100
        s.flush()
        for i, v in enumerate(group_versions):
            v.number = 2 + i
    app = make_app(settings, store, "film", start_runner=False)
    assert snap_compare(app, terminal_size=(160, 40), press=["j", "j", "j", "j", "A"])


@pytest.fixture
def fixed_history(store, reviewed, monkeypatch):  # type: ignore[no-untyped-def]
    """The same workspace with every activity and task time fixed (a second apart), read in UTC."""
    import time

    from sqlalchemy import text

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    with store.write() as s:
        ids = s.execute(text("SELECT id FROM activity ORDER BY id")).scalars().all()
        for i, activity_id in enumerate(ids):
            s.execute(text("UPDATE activity SET created_at = :t WHERE id = :id"),
                      {"t": FIXED.replace(tzinfo=None, minute=i % 60, second=0).isoformat(" "), "id": activity_id})
        s.execute(text("UPDATE checkpoint SET started_at = :t"), {"t": FIXED.replace(tzinfo=None).isoformat(" ")})
        s.execute(text("UPDATE task SET started_at = :t, finished_at = :t2"),
                  {"t": FIXED.replace(tzinfo=None).isoformat(" "),
                   "t2": FIXED.replace(tzinfo=None, second=4).isoformat(" ")})
    yield reviewed
    monkeypatch.delenv("TZ")
    time.tzset()


def test_metrics_screen(snap_compare, store, settings, fixed_history) -> None:  # type: ignore[no-untyped-def]
    from director_tui.ui.screens.metrics import MetricsScreen

    app = make_app(settings, store, "film", start_runner=False)

    async def open_metrics(pilot) -> None:  # type: ignore[no-untyped-def]
        app.push_screen(MetricsScreen(now=FIXED.replace(tzinfo=None, hour=18)))
        for _ in range(50):
            await pilot.pause(0.05)
            if isinstance(app.screen, MetricsScreen) and app.screen.metrics is not None:
                break

    assert snap_compare(app, terminal_size=(160, 40), run_before=open_metrics)


PROMPT_LINES = {"filter": ["slash", *"harbour"], "command": ["colon", *"regen 3-4"],
                "comment": ["j", "c", *"too dark, more light"]}


@pytest.mark.parametrize("size", [(160, 48), (80, 24)], ids=["160x48", "80x24"])
@pytest.mark.parametrize("line", list(PROMPT_LINES))
def test_prompt_line_open(snap_compare, store, settings, reviewed, line, size) -> None:  # type: ignore[no-untyped-def]
    """Each one-line prompt open with text in it: label, text and cursor on the bottom line."""
    from director_tui.ui.widgets.prompt_line import PromptLine

    app = make_app(settings, store, "film", start_runner=False)

    async def steady_cursor(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.pause()
        app.main_screen.query_one(PromptLine).cursor_blink = False  # no blink phase in the picture

    assert snap_compare(app, terminal_size=size, press=PROMPT_LINES[line], run_before=steady_cursor)


def test_main_screen_80x24(snap_compare, store, settings, reviewed) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    assert snap_compare(app, terminal_size=(80, 24), press=["j", "l"])
