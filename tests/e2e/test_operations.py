"""core/operations.py: the decisions every screen (and the CLI) makes, on a real SQLite
store with seeded keyframes. What each returns is what the screens show and redraw, so the
outcome's ids, queued tasks and line are checked against the store by hand."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from director_tui.core import operations
from director_tui.core.errors import NotFound
from director_tui.core.models import Asset, AssetState, Comment, Segment, Task, TaskState
from director_tui.core.review import ReviewError
from tests.conftest import segs

BOTH_STORES = True  # each test on SQLite and on PostgreSQL (conftest.store_kind)


def test_approve_queues_the_clip_and_says_so(store, film) -> None:  # type: ignore[no-untyped-def]
    s1 = segs(store)[0]
    with store.write() as s:
        out = operations.approve(s, s1.id, Asset.KEYFRAME, "tester", queue_video=True,
                                 expected=(s1.keyframe_version_id, s1.keyframe_state))
    assert out.segment_ids == (s1.id,)
    assert out.queued == ((s1.id, Asset.VIDEO),)
    assert out.message == f"1. {s1.title}: keyframe v1 approved — video queued"
    with store.read() as s:
        assert s.get(Segment, s1.id).keyframe_state == AssetState.APPROVED
        clips = list(s.execute(select(Task).where(Task.segment_id == s1.id, Task.asset == Asset.VIDEO)).scalars())
    assert [t.state for t in clips] == [TaskState.QUEUED]


def test_a_decision_on_what_changed_meanwhile_is_refused(store, film) -> None:  # type: ignore[no-untyped-def]
    s1 = segs(store)[0]
    with store.write() as s:
        operations.reject(s, s1.id, Asset.KEYFRAME, "colleague")
    with store.write() as s, pytest.raises(ReviewError, match="changed while you looked"):
        operations.approve(s, s1.id, Asset.KEYFRAME, "tester", queue_video=False,
                           expected=(s1.keyframe_version_id, s1.keyframe_state))
    with store.read() as s:
        assert s.get(Segment, s1.id).keyframe_state == AssetState.REJECTED


def test_a_batch_regeneration_skips_a_busy_segment_and_names_it(store, film) -> None:  # type: ignore[no-untyped-def]
    ids = [seg.id for seg in segs(store)]
    with store.write() as s:
        operations.regenerate(s, ids[1], Asset.KEYFRAME, "tester")  # busy: a keyframe on its way
    with store.write() as s:
        out = operations.apply_to_many(s, "regen", ids, Asset.KEYFRAME, "tester", queue_video=False)
    assert out.segment_ids == (ids[0], ids[2], ids[3])
    assert out.queued == tuple((i, Asset.KEYFRAME) for i in (ids[0], ids[2], ids[3]))
    assert len(out.problems) == 1 and "segment 2" in out.problems[0]
    assert out.message.startswith("keyframe: 3 queued; 1 not: ")
    with store.read() as s:
        per_segment = {i: s.execute(select(Task).where(Task.segment_id == i, Task.state == TaskState.QUEUED))
                       .scalars().all() for i in ids}
    assert [len(per_segment[i]) for i in ids] == [1, 1, 1, 1]  # the busy one got no second task


def test_a_batch_approval_is_one_undo(store, film) -> None:  # type: ignore[no-untyped-def]
    ids = [seg.id for seg in segs(store)][:3]
    with store.write() as s:
        out = operations.apply_to_many(s, "approve", ids, Asset.KEYFRAME, "tester", queue_video=True)
    assert out.message == "keyframe: 3 approved, 3 videos queued"
    assert out.queued == tuple((i, Asset.VIDEO) for i in ids)
    with store.write() as s:
        undone = operations.undo(s, film.id, "tester")
    assert undone.cancels and set(undone.segment_ids) == set(ids)
    assert undone.message == "undone: approval of keyframes of 3 segments"
    with store.read() as s:
        assert {s.get(Segment, i).keyframe_state for i in ids} == {AssetState.REVIEW}
        states = s.execute(select(Task.state).where(Task.asset == Asset.VIDEO)).scalars().all()
    assert states == [TaskState.CANCELLED] * 3
    with store.write() as s:
        redone = operations.redo(s, film.id, "tester")
    assert redone.message == "redone: approval of keyframes of 3 segments"


def test_similar_by_position_and_a_position_that_does_not_exist(store, film) -> None:  # type: ignore[no-untyped-def]
    s1, s2 = segs(store)[:2]
    with store.write() as s:
        out = operations.similar(s, s2.id, Asset.KEYFRAME, "tester", source_position=1)
    assert out.message == f"2. {s2.title}: a keyframe like segment 1's version queued"
    with store.read() as s:
        task = s.execute(select(Task).where(Task.segment_id == s2.id)).scalar_one()
    assert task.prompt.endswith("in the style of segment 1")
    with store.write() as s, pytest.raises(NotFound, match="no segment 99"):
        operations.similar(s, s2.id, Asset.KEYFRAME, "tester", source_position=99)


def test_send_back_and_comment_keep_hostile_text_and_time_codes(store, film) -> None:  # type: ignore[no-untyped-def]
    s1 = segs(store)[0]
    text = "less fog; $(rm -rf ~) \"quoted\" 🌫️"
    with store.write() as s:
        out = operations.send_back(s, s1.id, Asset.KEYFRAME, "tester", text)
    assert out.queued == ((s1.id, Asset.KEYFRAME),) and out.message.endswith("new keyframe queued — note saved")
    with store.write() as s:
        said = operations.comment(s, s1.id, Asset.KEYFRAME, "tester", "lovely")
    assert said.message == "comment added" and said.queued == ()
    with store.read() as s:
        bodies = s.execute(select(Comment.body).where(Comment.segment_id == s1.id).order_by(Comment.id)).scalars().all()
    assert bodies == [text, "lovely"]


def test_an_unknown_batch_verb_is_a_programming_error(store, film) -> None:  # type: ignore[no-untyped-def]
    with store.write() as s, pytest.raises(ValueError, match="unknown batch operation"):
        operations.apply_to_many(s, "delete", [segs(store)[0].id], Asset.KEYFRAME, "tester", queue_video=False)


def test_cancel_tasks_is_one_rule_for_the_app_and_the_cli(store, film, make_stream) -> None:  # type: ignore[no-untyped-def]
    """Issue 26: the app cancelled each task in a savepoint and named the problems, the CLI
    all in one transaction that one problem undid. Now both call operations.cancel_tasks."""
    from director_tui.core import queue

    first, second, third, fourth = segs(store)[:4]
    other = make_stream(slug="other")
    [theirs] = [seg for seg in segs(store) if seg.stream_id == other.id][:1]
    with store.write() as s:
        queued = queue.enqueue(s, first.id, Asset.KEYFRAME, "ana", regenerate=True)
        running = queue.enqueue(s, second.id, Asset.KEYFRAME, "ana", regenerate=True)
        running.state = TaskState.RUNNING
        done = queue.enqueue(s, third.id, Asset.KEYFRAME, "ana", regenerate=True)
        done.state = TaskState.SUCCEEDED
        elsewhere = queue.enqueue(s, theirs.id, Asset.KEYFRAME, "ana", regenerate=True)
        ids = [int(t.id) for t in (queued, running, done, elsewhere)]
    with store.write() as s:
        outcome = operations.cancel_tasks(s, film.id, "ben", task_ids=[*ids, 99_999])
    assert outcome.value == ((ids[0],), (ids[1],)), outcome
    assert outcome.message == "tasks: 1 cancelled, 1 asked to stop"
    assert outcome.problems == (f"task {ids[2]} is succeeded: nothing to cancel",
                                f"task {ids[3]} is not in this stream", "task 99999 not found")
    assert outcome.segment_ids == tuple(sorted((first.id, second.id))) and outcome.cancels
    with store.read() as s:
        assert s.get(Task, ids[0]).state == TaskState.CANCELLED and s.get(Task, ids[1]).cancel_requested
        assert s.get(Task, ids[3]).state == TaskState.QUEUED  # another stream's task is left alone
    with store.write() as s:  # by segments: what is active there (the running one, asked again: no change)
        again = operations.cancel_tasks(s, film.id, "ben", segment_ids=[fourth.id])
    assert again.message == "nothing queued or running there" and not again.cancels
