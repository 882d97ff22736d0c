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
