"""Issue 13's figure: a 40-shot review costs at most 1.5 keys per decision, and every way
of deciding leaves the store as the director meant it."""

from __future__ import annotations

from sqlalchemy import select

from director_tui.core.models import Asset, AssetState, Comment, Review, Segment, Task, TaskState
from director_tui.ui.app import make_app
from tests.conftest import SIZE
from tests.scripted_review import SEGMENTS, SENT_BACK, make_stream, review
from tests.seed import seed_keyframes


async def test_forty_decisions_in_at_most_one_and_a_half_keys_each(store, home, settings) -> None:  # type: ignore[no-untyped-def]
    settings.auto_queue_video = True
    stream_id = make_stream(store)
    seed_keyframes(store, home, stream_id)
    app = make_app(settings, store, "first-hour", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        run = await review(app, pilot.press)
    assert run.decisions == SEGMENTS
    assert run.keys == 30 * 1 + 10 * 2  # space; f … enter
    assert run.keys_per_decision <= 1.5
    with store.read() as s:
        segs = {g.position: g for g in s.execute(select(Segment).where(Segment.stream_id == stream_id)).scalars()}
        states = {p: g.keyframe_state for p, g in segs.items()}
        assert {p for p, st in states.items() if st == AssetState.APPROVED} == set(range(1, 41)) - SENT_BACK
        assert {p for p, st in states.items() if st == AssetState.REGENERATE} == SENT_BACK
        tasks = list(s.execute(select(Task).where(Task.stream_id == stream_id)).scalars())
        by_pos = {(segs_pos, t.asset) for t in tasks for segs_pos, g in segs.items() if g.id == t.segment_id}
        # every approval queued its clip (as space always did), every send-back a new keyframe
        assert by_pos == {(p, Asset.VIDEO) for p in set(range(1, 41)) - SENT_BACK} | \
            {(p, Asset.KEYFRAME) for p in SENT_BACK}
        assert all(t.state == TaskState.QUEUED for t in tasks)
        notes = {r.notes for r in s.execute(select(Review).where(Review.decision == "regenerate")).scalars()}
        comments = list(s.execute(select(Comment)).scalars())
        assert len(comments) == 10 and {c.body for c in comments} == notes
        assert all(c.version_id is not None for c in comments)
